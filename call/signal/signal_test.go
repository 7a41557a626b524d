package signal

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecode(t *testing.T) {
	tests := []struct {
		name string
		in   string
		code Code // empty when the message is valid
	}{
		{"challenge", `{"type":"challenge","nonce":"abc"}`, ""},
		{"family hello", `{"type":"hello","role":"family","token":"t0k3n"}`, ""},
		{"device hello", `{"type":"hello","role":"device","device":"dev-1","sig":"c2ln"}`, ""},
		{"staff hello", `{"type":"hello","role":"staff"}`, ""},
		{"welcome", `{"type":"welcome","config":{"patient":"Maria"}}`, ""},
		{"presence", `{"type":"presence","peer":"device","online":true}`, ""},
		{"invite family", `{"type":"invite"}`, ""},
		{"invite device", `{"type":"invite","to":"c1"}`, ""},
		{"ringing", `{"type":"ringing","call":"k1"}`, ""},
		{"ring", `{"type":"ring","call":"k1","from":{"id":"c1","name":"Anna"}}`, ""},
		{"accept", `{"type":"accept","call":"k1"}`, ""},
		{"offer", `{"type":"offer","call":"k1","sdp":"v=0"}`, ""},
		{"answer", `{"type":"answer","call":"k1","sdp":"v=0"}`, ""},
		{"candidate", `{"type":"candidate","call":"k1","candidate":{"candidate":"candidate:1 1 udp 1 127.0.0.1 5000 typ host","sdpMid":"0","sdpMLineIndex":0}}`, ""},
		{"end of candidates", `{"type":"candidate","call":"k1","candidate":{"candidate":""}}`, ""},
		{"ended", `{"type":"ended","call":"k1","reason":"missed"}`, ""},
		{"error", `{"type":"error","code":"busy"}`, ""},
		{"status", `{"type":"status","battery":87,"appVersion":"1.4.2"}`, ""},
		{"status empty battery", `{"type":"status","battery":0}`, ""},
		{"status battery unknown", `{"type":"status","battery":-1,"appVersion":"dev"}`, ""},
		{"status full", `{"type":"status","battery":100}`, ""},
		{"hangup", `{"type":"hangup","call":"k1"}`, ""},
		{"hangup failed", `{"type":"hangup","call":"k1","reason":"failed"}`, ""},
		{"resume", `{"type":"resume","call":"k1","side":"caller","to":"c1"}`, ""},
		{"resume family", `{"type":"resume","call":"k1","side":"callee"}`, ""},
		{"live", `{"type":"live","call":"k1","participants":[{"id":"device","name":"Maria"},{"id":"c1","name":"Anna"}],"canJoin":true}`, ""},
		{"live over", `{"type":"live","call":"k1"}`, ""},
		{"join", `{"type":"join","call":"k1"}`, ""},
		{"joined", `{"type":"joined","call":"k1","participants":[{"id":"device","name":"Maria"}]}`, ""},
		{"add", `{"type":"add","call":"k1","to":"c2"}`, ""},
		{"ring into a call", `{"type":"ring","call":"k1","from":{"id":"device","name":"Maria"},"participants":[{"id":"c1","name":"Anna"}]}`, ""},
		{"participant joined", `{"type":"participant","call":"k1","from":{"id":"g1","name":"Luca","relation":"Interpreter","guest":true},"event":"joined"}`, ""},
		{"participant left", `{"type":"participant","call":"k1","from":{"id":"c1","name":"Anna"},"event":"left","reason":"failed"}`, ""},
		{"offer to a peer", `{"type":"offer","call":"k1","peer":"c2","sdp":"v=0"}`, ""},
		{"candidate from a peer", `{"type":"candidate","call":"k1","peer":"device","candidate":{"candidate":""}}`, ""},
		{"restart", `{"type":"restart","call":"k1"}`, ""},
		{"restart to a peer", `{"type":"restart","call":"k1","peer":"device"}`, ""},
		{"ping", `{"type":"ping"}`, ""},
		{"pong", `{"type":"pong"}`, ""},

		{"not json", `hello`, CodeBadMessage},
		{"array", `[1,2]`, CodeBadMessage},
		{"trailing", `{"type":"invite"} {}`, CodeBadMessage},
		{"no type", `{"call":"k1"}`, CodeBadMessage},
		{"unknown type", `{"type":"teleport"}`, CodeUnknownType},
		{"bad call id", `{"type":"accept","call":"../etc"}`, CodeBadMessage},
		{"long call id", `{"type":"accept","call":"` + strings.Repeat("a", 65) + `"}`, CodeBadMessage},
		{"accept without call", `{"type":"accept"}`, CodeBadMessage},
		{"hello unknown role", `{"type":"hello","role":"admin"}`, CodeBadMessage},
		{"family hello no token", `{"type":"hello","role":"family"}`, CodeBadMessage},
		{"device hello no sig", `{"type":"hello","role":"device","device":"d1"}`, CodeBadMessage},
		{"offer without sdp", `{"type":"offer","call":"k1"}`, CodeBadMessage},
		{"huge sdp", `{"type":"offer","call":"k1","sdp":"` + strings.Repeat("a", maxSDPLen+1) + `"}`, CodeBadMessage},
		{"candidate missing", `{"type":"candidate","call":"k1"}`, CodeBadMessage},
		{"join without call", `{"type":"join"}`, CodeBadMessage},
		{"add without contact", `{"type":"add","call":"k1"}`, CodeBadMessage},
		{"participant unknown event", `{"type":"participant","call":"k1","from":{"id":"c1","name":"A"},"event":"danced"}`, CodeBadMessage},
		{"participant without who", `{"type":"participant","call":"k1","event":"joined"}`, CodeBadMessage},
		{"offer to a bad peer", `{"type":"offer","call":"k1","peer":"../x","sdp":"v=0"}`, CodeBadMessage},
		{"live bad participant", `{"type":"live","call":"k1","participants":[{"id":"","name":"A"}]}`, CodeBadMessage},
		{"ended bad reason", `{"type":"ended","call":"k1","reason":"bored"}`, CodeBadMessage},
		{"presence no online", `{"type":"presence","peer":"device"}`, CodeBadMessage},
		{"ring no from", `{"type":"ring","call":"k1"}`, CodeBadMessage},
		{"wrong field type", `{"type":"accept","call":7}`, CodeBadMessage},
		{"hangup other reason", `{"type":"hangup","call":"k1","reason":"missed"}`, CodeBadMessage},
		{"resume without call", `{"type":"resume","side":"caller"}`, CodeBadMessage},
		{"resume without side", `{"type":"resume","call":"k1"}`, CodeBadMessage},
		{"resume odd side", `{"type":"resume","call":"k1","side":"both"}`, CodeBadMessage},
		{"restart without call", `{"type":"restart"}`, CodeBadMessage},
		{"restart empty call", `{"type":"restart","call":""}`, CodeBadMessage},
		{"restart bad call id", `{"type":"restart","call":"k 1"}`, CodeBadMessage},
		{"restart bad peer", `{"type":"restart","call":"k1","peer":"../x"}`, CodeBadMessage},
		{"restart long peer", `{"type":"restart","call":"k1","peer":"` + strings.Repeat("p", 65) + `"}`, CodeBadMessage},
		{"restart peer not a string", `{"type":"restart","call":"k1","peer":7}`, CodeBadMessage},
		{"restart with sdp", `{"type":"restart","call":"k1","sdp":"v=0"}`, CodeBadMessage},
		{"restart with candidate", `{"type":"restart","call":"k1","candidate":{"candidate":""}}`, CodeBadMessage},
		{"restart capitalised", `{"type":"Restart","call":"k1"}`, CodeUnknownType},
		{"status no battery", `{"type":"status","appVersion":"1.0"}`, CodeBadMessage},
		{"status battery over 100", `{"type":"status","battery":101}`, CodeBadMessage},
		{"status battery below -1", `{"type":"status","battery":-2}`, CodeBadMessage},
		{"status battery not int", `{"type":"status","battery":50.5}`, CodeBadMessage},
		{"status battery string", `{"type":"status","battery":"50"}`, CodeBadMessage},
		{"status long version", `{"type":"status","battery":5,"appVersion":"` + strings.Repeat("1", 65) + `"}`, CodeBadMessage},
		{"status control in version", `{"type":"status","battery":5,"appVersion":"1.0\n"}`, CodeBadMessage},
		{"status non-ASCII version", `{"type":"status","battery":5,"appVersion":"1.0é"}`, CodeBadMessage},
		{"too large", `{"type":"invite","message":"` + strings.Repeat("x", MaxMessageSize) + `"}`, CodeTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			if tt.code == "" {
				require.NoError(t, err)
				assert.NotEmpty(t, m.Type)
				// A valid message survives a round trip unchanged.
				data, err := Encode(m)
				require.NoError(t, err)
				again, err := Decode(data)
				require.NoError(t, err)
				assert.Equal(t, m, again)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.code, CodeOf(err), "error: %v", err)
		})
	}
}

func TestDecodeKeepsOnlySafeCallID(t *testing.T) {
	m, err := Decode([]byte(`{"type":"offer","call":"k1"}`))
	require.Error(t, err)
	assert.Equal(t, "k1", m.Call, "a well-formed call id is kept so the error can name the call")

	m, err = Decode([]byte(`{"type":"offer","call":"<script>"}`))
	require.Error(t, err)
	assert.Empty(t, m.Call)
}

func TestEncodeRefusesInvalid(t *testing.T) {
	_, err := Encode(Message{Type: TypeOffer, Call: "k1"})
	assert.Equal(t, CodeBadMessage, CodeOf(err))
}

func TestErrorMessage(t *testing.T) {
	m := ErrorMessage("k1", Errorf(CodeBusy, "in another call"))
	assert.Equal(t, Message{Type: TypeError, Call: "k1", Code: CodeBusy, Message: "in another call"}, m)

	m = ErrorMessage("", assert.AnError)
	assert.Equal(t, CodeInternal, m.Code)
	assert.Empty(t, m.Message, "internal errors are not shown to clients")

	assert.ErrorIs(t, Errorf(CodeBusy, "x"), &Error{Code: CodeBusy})
	assert.NotErrorIs(t, Errorf(CodeBusy, "x"), &Error{Code: CodeForbidden})
}

func TestWireNames(t *testing.T) {
	// The family page's JavaScript depends on these exact names.
	on := true
	data, err := Encode(Message{Type: TypePresence, Peer: DevicePeer, Online: &on})
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"presence","peer":"device","online":true}`, string(data))

	data, err = Encode(Message{Type: TypeRestart, Call: "k1", Peer: DevicePeer})
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"restart","call":"k1","peer":"device"}`, string(data))

	var back map[string]any
	data, err = Encode(Message{Type: TypeWelcome, Config: &Config{Patient: "Maria", DeviceOnline: true, RingSeconds: 45,
		Contacts: []Contact{{Party: Party{ID: "c1", Name: "Anna", Relation: "daughter"}, Online: true}}}})
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, &back))
	cfg := back["config"].(map[string]any)
	assert.Equal(t, "Maria", cfg["patient"])
	assert.Equal(t, true, cfg["deviceOnline"])
	assert.Equal(t, "Anna", cfg["contacts"].([]any)[0].(map[string]any)["name"])

	// The kiosk reads these names.
	data, err = Encode(Message{Type: TypeConfig, Config: &Config{VisitingHours: "09:00-20:00", NursePINHash: "$2a$10$abc"}})
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"config","config":{"visitingHours":"09:00-20:00","nursePinHash":"$2a$10$abc"}}`, string(data))
	zero := 0
	data, err = Encode(Message{Type: TypeStatus, Battery: &zero, AppVersion: "1.2.0"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"status","battery":0,"appVersion":"1.2.0"}`, string(data))
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{"type":"hello","role":"family","token":"t"}`,
		`{"type":"candidate","call":"k1","candidate":{"candidate":"c","sdpMid":"0","sdpMLineIndex":0}}`,
		`{"type":"ring","call":"k1","from":{"id":"c1","name":"Anna"}}`,
		`{"type":"welcome","config":{"contacts":[{"id":"c","name":"n","online":true}]}}`,
		`{"type":"ended","call":"k1","reason":"hangup"}`,
		`{"type":"status","battery":42,"appVersion":"1.0.3"}`,
		`{"type":"status","battery":-1}`,
		`{"type":"restart","call":"k1","peer":"device"}`,
		`{"type":"welcome","config":{"visitingHours":"09:00-20:00","nursePinHash":"$2a$10$x"}}`,
		`{}`, `null`, `"x"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			var e *Error
			if !assert.ErrorAs(t, err, &e) {
				t.Fatalf("Decode returned a non-protocol error: %v", err)
			}
			return
		}
		// Whatever decodes must encode, and decode again to the same message.
		out, err := Encode(m)
		if err != nil {
			t.Fatalf("decoded message does not encode: %v", err)
		}
		again, err := Decode(out)
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		// Compared as JSON: an empty list and no list encode alike.
		out2, err := Encode(again)
		if err != nil {
			t.Fatalf("re-encode: %v", err)
		}
		assert.Equal(t, string(out), string(out2))
	})
}
