package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/assets"
	"bedside/call/signal"
	"bedside/provisioning"
	"bedside/server"
	"bedside/server/console"
	"bedside/server/store"
)

// wardDevices counts the demo ward's devices.
func (e *env) wardDevices() int {
	e.t.Helper()
	ds, err := e.st.Devices(context.Background(), e.demo.WardID)
	require.NoError(e.t, err)
	return len(ds)
}

func enrollReq(code string, pub ed25519.PublicKey) signal.EnrollRequest {
	return signal.EnrollRequest{Code: code, PublicKey: base64.StdEncoding.EncodeToString(pub)}
}

// A refused enrollment never leaves a device behind, half paired, and never uses up a token
// that the refusal was not about.
func TestEnrollFailuresLeaveNoDevice(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Enrollments = server.RateLimit{PerMinute: -1} })
	ctx := context.Background()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	pub2, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	token, _, err := server.NewEnrollment(ctx, e.st, e.demo.WardID, e.demo.BedID, 10*time.Minute, server.EnrollmentOptions{Now: e.clock.Now})
	require.NoError(t, err)
	short, _, err := server.NewEnrollment(ctx, e.st, e.demo.WardID, "", time.Minute, server.EnrollmentOptions{Now: e.clock.Now})
	require.NoError(t, err)
	// An enrollment a nurse approved for another tablet's key.
	bound := "bound-to-another-key-0123456789"
	require.NoError(t, e.st.CreateEnrollment(ctx, store.Enrollment{TokenHash: provisioning.HashSecret(bound), WardID: e.demo.WardID,
		Created: e.clock.Now(), Expires: e.clock.Now().Add(time.Hour), Fingerprint: provisioning.KeyFingerprint(pub2)}))

	before := e.wardDevices()
	refused := func(name string, req any, status int, code signal.Code) {
		t.Helper()
		resp, body := e.post(signal.EnrollPath, req)
		requireHTTPError(t, resp, body, status, code)
		require.Equal(t, before, e.wardDevices(), name)
	}
	refused("wrong code", enrollReq("WRONG-CODE", pub), http.StatusNotFound, signal.CodeEnrollInvalid)
	refused("no key", signal.EnrollRequest{Code: token}, http.StatusBadRequest, signal.CodeBadMessage)
	refused("short key", signal.EnrollRequest{Code: token, PublicKey: base64.StdEncoding.EncodeToString(pub[:31])}, http.StatusBadRequest, signal.CodeBadMessage)
	refused("another tablet's approval", enrollReq(bound, pub), http.StatusNotFound, signal.CodeEnrollInvalid)
	refused("name too long", signal.EnrollRequest{Code: token, PublicKey: base64.StdEncoding.EncodeToString(pub), Name: strings.Repeat("n", 65)},
		http.StatusBadRequest, signal.CodeBadMessage)
	e.clock.Advance(2 * time.Minute)
	refused("expired", enrollReq(short, pub), http.StatusGone, signal.CodeEnrollExpired)

	// None of that used the token up: it pairs once...
	resp, body := e.post(signal.EnrollPath, enrollReq(token, pub))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	before++
	require.Equal(t, before, e.wardDevices())
	refused("reused", enrollReq(token, pub2), http.StatusGone, signal.CodeEnrollUsed)

	// A key that a live tablet holds is refused, and the token it came with survives.
	again, _, err := server.NewEnrollment(ctx, e.st, e.demo.WardID, e.demo.BedID, 10*time.Minute, server.EnrollmentOptions{Now: e.clock.Now})
	require.NoError(t, err)
	refused("key already paired", enrollReq(again, pub), http.StatusForbidden, signal.CodeForbidden)
	resp, body = e.post(signal.EnrollPath, enrollReq(again, pub2))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	require.Equal(t, before+1, e.wardDevices())
	// The other tablet's approval is still there for it.
	resp, body = e.post(signal.EnrollPath, enrollReq(bound, pub2))
	requireHTTPError(t, resp, body, http.StatusForbidden, signal.CodeForbidden) // pub2 is paired now
	require.NotContains(t, e.logs.String(), token)
	require.NotContains(t, e.logs.String(), bound)
}

// A device proves itself by signing this server's fresh challenge for this connection;
// nothing else passes.
func TestDeviceHelloProofs(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)
	hello := func(sig []byte) signal.Message {
		return signal.Message{Type: signal.TypeHello, Role: signal.RoleDevice, Device: d.id, Sig: base64.StdEncoding.EncodeToString(sig)}
	}

	t.Run("tampered signature", func(t *testing.T) {
		w := e.dial()
		sig := ed25519.Sign(d.key, signal.HelloPayload(w.nonce))
		sig[len(sig)/2] ^= 0x01
		w.send(hello(sig))
		w.expectError(signal.CodeUnauthorized)
		w.expectClosed()
	})
	t.Run("truncated signature", func(t *testing.T) {
		w := e.dial()
		w.send(hello(ed25519.Sign(d.key, signal.HelloPayload(w.nonce))[:40]))
		w.expectError(signal.CodeUnauthorized)
		w.expectClosed()
	})
	t.Run("signature not base64", func(t *testing.T) {
		w := e.dial()
		w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleDevice, Device: d.id, Sig: "!!not base64!!"})
		w.expectError(signal.CodeUnauthorized)
		w.expectClosed()
	})
	t.Run("another server's challenge", func(t *testing.T) {
		// The device's own key answers a challenge that another ward server issued, and
		// that signature is relayed here.
		other := newEnv(t, nil)
		there := other.dial()
		sig := ed25519.Sign(d.key, signal.HelloPayload(there.nonce))
		w := e.dial()
		w.send(hello(sig))
		w.expectError(signal.CodeUnauthorized)
		w.expectClosed()
	})
	t.Run("another connection's challenge", func(t *testing.T) {
		first := e.dial()
		sig := ed25519.Sign(d.key, signal.HelloPayload(first.nonce))
		w := e.dial()
		w.send(hello(sig))
		w.expectError(signal.CodeUnauthorized)
		w.expectClosed()
		// It was good only where it was issued.
		first.send(hello(sig))
		first.expect(signal.TypeWelcome)
	})
	t.Run("unknown device", func(t *testing.T) {
		w := e.dial()
		w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleDevice, Device: "no-such-device",
			Sig: base64.StdEncoding.EncodeToString(ed25519.Sign(d.key, signal.HelloPayload(w.nonce)))})
		w.expectError(signal.CodeUnauthorized)
		w.expectClosed()
	})
	require.False(t, e.deviceRow(d.id).Revoked)
}

// consoleBrowser is a logged-in nurse console session against the real console.
type consoleBrowser struct {
	t    *testing.T
	url  string
	hc   *http.Client
	csrf string
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func (b *consoleBrowser) do(method, path string, form url.Values) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		form.Set("csrf", b.csrf)
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.url+path, body)
	require.NoError(b.t, err)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.hc.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	if m := csrfRE.FindSubmatch(data); m != nil {
		b.csrf = string(m[1])
	}
	return resp.StatusCode, string(data)
}

// console serves the real nurse console beside the server, wired to it, and logs a nurse of
// the demo ward in.
func (e *env) console(t *testing.T) *consoleBrowser {
	t.Helper()
	files, err := fs.Sub(assets.Console, "console")
	require.NoError(t, err)
	con, err := console.New(console.Config{Store: e.st, Files: files, Hub: e.srv, Now: e.clock.Now})
	require.NoError(t, err)
	hs := httptest.NewServer(con.Handler())
	t.Cleanup(hs.Close)
	pw, err := console.AddUser(context.Background(), e.st, "nurse", store.RoleNurse, []string{e.demo.WardID}, rand.Reader)
	require.NoError(t, err)
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	b := &consoleBrowser{t: t, url: hs.URL, hc: &http.Client{Jar: jar, Timeout: wait,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	b.do("GET", "/console/login", nil)
	status, body := b.do("POST", "/console/login", url.Values{"name": {"nurse"}, "password": {pw}})
	require.Equal(t, http.StatusSeeOther, status, body)
	b.do("GET", "/console/", nil)
	return b
}

// The console and the server together: a tablet revoked from the console is dropped at once
// and refused afterwards; a nurse PIN set in the console reaches the connected tablet at once
// and never the family page.
func TestConsoleDrivesTablets(t *testing.T) {
	e := newEnv(t, nil)
	b := e.console(t)
	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	ok, err := provisioning.CheckNursePIN(dev.cfg.NursePINHash, server.DemoNursePIN)
	require.NoError(t, err)
	require.True(t, ok, "the demo's PIN")
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)

	code, body := b.do("POST", "/console/wards/"+e.demo.WardID+"/pin", url.Values{"pin": {"864200"}, "repeat": {"864200"}})
	require.Equal(t, http.StatusSeeOther, code, body)
	cfg := dev.expect(signal.TypeConfig).Config
	ok, err = provisioning.CheckNursePIN(cfg.NursePINHash, "864200")
	require.NoError(t, err)
	require.True(t, ok, "the PIN the console set")
	require.Equal(t, server.DemoPatient, cfg.Patient, "the rest of the configuration comes along")
	fam.sync() // nothing for the family page before the barrier's answer
	require.NotContains(t, e.logs.String(), "864200")

	// A reported status shows in the console's tablet list.
	dev.send(status(64, "2.3.1"))
	dev.sync()
	_, page := b.do("GET", "/console/wards/"+e.demo.WardID, nil)
	require.Contains(t, page, "<td>64%</td>")
	require.Contains(t, page, "<td>2.3.1</td>")

	code, body = b.do("POST", "/console/devices/"+d.id+"/revoke", url.Values{})
	require.Equal(t, http.StatusSeeOther, code, body)
	dev.expectError(signal.CodeRevoked)
	dev.expectClosed()
	w := e.dial()
	w.send(w.deviceHello(d))
	w.expectError(signal.CodeRevoked)
	w.expectClosed()
}
