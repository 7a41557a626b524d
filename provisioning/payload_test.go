package provisioning

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testToken = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

func testPin() []byte {
	h := sha256.Sum256([]byte("certificate"))
	return h[:]
}

func TestPayloadRoundTrip(t *testing.T) {
	cases := []struct {
		name string
		p    Payload
		want string // the exact encoding, when given
	}{
		{"minimal", Payload{Server: "http://192.168.1.10:8080", Token: testToken},
			"BSD1:S=http://192.168.1.10:8080;T=" + testToken},
		{"full", Payload{
			Server: "https://ward3.example:8443/bedside", Token: testToken, Pin: testPin(),
			WiFiSSID: "Ward;3\\guest", WiFiSecurity: WiFiWPA, WiFiPassword: "p=a;s\\s",
			Ward: "Ward 3", Bed: "12",
		}, ""},
		{"open wifi", Payload{Server: "https://[::1]:8443", Token: testToken, WiFiSSID: "Open", WiFiSecurity: WiFiNoPass}, ""},
		{"wep", Payload{Server: "https://x", Token: testToken, WiFiSSID: "Old", WiFiSecurity: WiFiWEP, WiFiPassword: "12345"}, ""},
		{"unicode names", Payload{Server: "https://x", Token: testToken, Ward: "Pédiatrie — Ñ", Bed: "床 7"}, ""},
		{"ward only", Payload{Server: "https://x", Token: testToken, Ward: "ICU"},
			"BSD1:S=https://x;T=" + testToken + ";N=ICU"},
		{"path with semicolon", Payload{Server: "https://x/a;b", Token: testToken},
			"BSD1:S=https://x/a\\;b;T=" + testToken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := EncodePayload(tc.p)
			require.NoError(t, err)
			if tc.want != "" {
				assert.Equal(t, tc.want, s)
			}
			got, err := ParsePayload(s)
			require.NoError(t, err)
			assert.Equal(t, tc.p, got)
		})
	}
}

func TestParsePayloadErrors(t *testing.T) {
	ok := "BSD1:S=https://x;T=" + testToken
	pin := "P=" + strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(
		// base64 std of testPin, converted to url alphabet without padding
		stdB64(testPin())), "=")
	require.NoError(t, parseErr(ok))
	require.NoError(t, parseErr("BSD1:S=https://x;T="+testToken+";"+pin))

	cases := []struct {
		name string
		in   string
		want error
	}{
		{"empty", "", ErrPayloadMalformed},
		{"other scheme", "WIFI:S:x;T:WPA;P:y;;", ErrPayloadMalformed},
		{"a URL", "https://example.com", ErrPayloadMalformed},
		{"lower-case prefix", "bsd1:S=https://x;T=" + testToken, ErrPayloadMalformed},
		{"version 2", "BSD2:S=https://x;T=" + testToken, ErrPayloadVersion},
		{"version 10", "BSD10:whatever", ErrPayloadVersion},
		{"version 0", "BSD0:", ErrPayloadVersion},
		{"no fields", "BSD1:", ErrPayloadMalformed},
		{"missing server", "BSD1:T=" + testToken, ErrPayloadURL},
		{"missing token", "BSD1:S=https://x", ErrPayloadToken},
		{"duplicate field", ok + ";T=" + testToken, ErrPayloadMalformed},
		{"duplicate ward", ok + ";N=a;N=b", ErrPayloadMalformed},
		{"out of order", "BSD1:T=" + testToken + ";S=https://x", ErrPayloadMalformed},
		{"unknown field", ok + ";X=1", ErrPayloadMalformed},
		{"lower-case key", "BSD1:s=https://x;T=" + testToken, ErrPayloadMalformed},
		{"empty value", ok + ";N=", ErrPayloadMalformed},
		{"trailing separator", ok + ";", ErrPayloadMalformed},
		{"double separator", "BSD1:S=https://x;;T=" + testToken, ErrPayloadMalformed},
		{"no equals", ok + ";N", ErrPayloadMalformed},
		{"bad escape", ok + ";N=a\\b", ErrPayloadMalformed},
		{"trailing backslash", ok + ";N=a\\", ErrPayloadMalformed},
		{"ftp", "BSD1:S=ftp://x;T=" + testToken, ErrPayloadURL},
		{"javascript", "BSD1:S=javascript:alert(1);T=" + testToken, ErrPayloadURL},
		{"upper-case scheme", "BSD1:S=HTTPS://x;T=" + testToken, ErrPayloadURL},
		{"no host", "BSD1:S=https://;T=" + testToken, ErrPayloadURL},
		{"user info", "BSD1:S=https://u:p@x;T=" + testToken, ErrPayloadURL},
		{"query", "BSD1:S=https://x?a=b;T=" + testToken, ErrPayloadURL},
		{"fragment", "BSD1:S=https://x#f;T=" + testToken, ErrPayloadURL},
		{"space in URL", "BSD1:S=https://x/a b;T=" + testToken, ErrPayloadURL},
		{"bad port", "BSD1:S=https://x:port;T=" + testToken, ErrPayloadURL},
		{"short token", "BSD1:S=https://x;T=ABCDEF", ErrPayloadToken},
		{"lower-case token", "BSD1:S=https://x;T=" + strings.ToLower(testToken), ErrPayloadToken},
		{"token with 1", "BSD1:S=https://x;T=1" + testToken[1:], ErrPayloadToken},
		{"pin with http", "BSD1:S=http://x;T=" + testToken + ";" + pin, ErrPayloadMalformed},
		{"short pin", ok + ";P=AAAA", ErrPayloadMalformed},
		{"padded pin", ok + ";" + pin + "=", ErrPayloadMalformed},
		{"std base64 pin", ok + ";P=" + strings.TrimRight(stdB64(bytes.Repeat([]byte{0xff}, 32)), "="), ErrPayloadMalformed},
		{"wifi without ssid", ok + ";A=WPA;K=secret12", ErrPayloadMalformed},
		{"wifi bad security", ok + ";W=net;A=WPA3;K=secret12", ErrPayloadMalformed},
		{"wifi no security", ok + ";W=net;K=secret12", ErrPayloadMalformed},
		{"wpa without password", ok + ";W=net;A=WPA", ErrPayloadMalformed},
		{"open with password", ok + ";W=net;A=nopass;K=x", ErrPayloadMalformed},
		{"long ssid", ok + ";W=" + strings.Repeat("s", 33) + ";A=nopass", ErrPayloadMalformed},
		{"long ward", ok + ";N=" + strings.Repeat("w", 101), ErrPayloadMalformed},
		{"control char", ok + ";N=Ward\n3", ErrPayloadMalformed},
		{"bad utf-8", ok + ";N=Ward\xff", ErrPayloadMalformed},
		{"oversized", ok + ";N=" + strings.Repeat("w", MaxPayloadLen), ErrPayloadTooLarge},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePayload(tc.in)
			require.Error(t, err)
			assert.ErrorIs(t, err, tc.want)
			if !errors.Is(tc.want, ErrPayloadVersion) {
				assert.ErrorIs(t, err, ErrPayloadMalformed)
			}
			assert.NotContains(t, err.Error(), testToken, "errors never carry the token")
		})
	}
}

func TestEncodePayloadValidates(t *testing.T) {
	_, err := EncodePayload(Payload{Server: "https://x", Token: "short"})
	assert.ErrorIs(t, err, ErrPayloadToken)
	_, err = EncodePayload(Payload{Server: "file:///etc", Token: testToken})
	assert.ErrorIs(t, err, ErrPayloadURL)
	_, err = EncodePayload(Payload{Server: "https://x", Token: testToken, Pin: []byte{1, 2}})
	assert.ErrorIs(t, err, ErrPayloadMalformed)
	// Each name fits, but together they pass the size limit.
	long := strings.Repeat("\\", maxNameLen)
	_, err = EncodePayload(Payload{Server: "https://x/" + strings.Repeat(";", 240), Token: testToken,
		WiFiSSID: strings.Repeat(";", 32), WiFiSecurity: WiFiWPA, WiFiPassword: strings.Repeat(";", 63),
		Ward: long, Bed: long})
	assert.ErrorIs(t, err, ErrPayloadTooLarge)
}

func TestPairingRequestURL(t *testing.T) {
	u := PairingRequestURL("https://ward3.example:8443/", "abcd-efgh", "ABCD-EFGH-IJKL-MNOP")
	assert.Equal(t, "https://ward3.example:8443/console/pair?c=ABCDEFGH&f=ABCD-EFGH-IJKL-MNOP", u)
	parsed, err := url.Parse(u)
	require.NoError(t, err)
	assert.Equal(t, ConsolePairPath, parsed.Path)
	assert.Equal(t, "ABCDEFGH", parsed.Query().Get("c"))
}

func TestParsePairingRequest(t *testing.T) {
	u, err := url.Parse(PairingRequestURL("https://x", "abcd-efgh", "ABCD-EFGH-IJKL-MNOP"))
	require.NoError(t, err)
	code, fp, err := ParsePairingRequest(u.Query())
	require.NoError(t, err)
	assert.Equal(t, "ABCDEFGH", code)
	assert.Equal(t, "ABCD-EFGH-IJKL-MNOP", fp)

	for _, q := range []string{
		"", "c=ABCDEFGH", "f=ABCD-EFGH-IJKL-MNOP",
		"c=ABCDEFGH&c=ABCDEFGH&f=ABCD-EFGH-IJKL-MNOP",
		"c=ABCDEFG0&f=ABCD-EFGH-IJKL-MNOP",
		"c=ABCDEFGH&f=ABCD-EFGH-IJKL-MNO1",
		"c=ABCDEFGH&f=abcd-efgh-ijkl-mnop",
		"c=ABCDEFGH&f=ABCDEFGHIJKLMNOP",
	} {
		v, err := url.ParseQuery(q)
		require.NoError(t, err)
		_, _, err = ParsePairingRequest(v)
		assert.ErrorIs(t, err, ErrPairingRequest, q)
	}
}

func FuzzParsePayload(f *testing.F) {
	full, err := EncodePayload(Payload{
		Server: "https://ward3.example:8443/b", Token: testToken, Pin: testPin(),
		WiFiSSID: "Ward;3", WiFiSecurity: WiFiWPA, WiFiPassword: "pa\\ss;word", Ward: "Ward 3", Bed: "12",
	})
	require.NoError(f, err)
	for _, s := range []string{
		full, "BSD1:S=http://x;T=" + testToken, "BSD1:S=https://x;T=" + testToken + ";W=o;A=nopass",
		"BSD2:", "BSD1:", "BSD1:S=https://x;T=" + testToken + ";N=a\\;b", "WIFI:S:x;;",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePayload(s)
		if err != nil {
			if !errors.Is(err, ErrPayloadMalformed) && !errors.Is(err, ErrPayloadVersion) {
				t.Fatalf("error %v is not a payload error", err)
			}
			return
		}
		enc, err := EncodePayload(p)
		if err != nil {
			t.Fatalf("parsed %q but cannot encode it: %v", s, err)
		}
		if enc != s {
			t.Fatalf("encode(parse(%q)) = %q", s, enc)
		}
		again, err := ParsePayload(enc)
		if err != nil {
			t.Fatalf("cannot parse encoded %q: %v", enc, err)
		}
		assert.Equal(t, p, again)
	})
}

func parseErr(s string) error { _, err := ParsePayload(s); return err }

func stdB64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }
