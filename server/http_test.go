package server_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server"
	"bedside/server/store"
)

func get(t *testing.T, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

func requireHTTPError(t *testing.T, resp *http.Response, body []byte, status int, code signal.Code) {
	t.Helper()
	require.Equal(t, status, resp.StatusCode, string(body))
	var he signal.HTTPError
	require.NoError(t, json.Unmarshal(body, &he), string(body))
	require.Equal(t, code, he.Code)
}

func TestEnroll(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Enrollments = server.RateLimit{PerMinute: -1} })
	ctx := context.Background()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	key := base64.StdEncoding.EncodeToString(pub)

	resp, body := e.post(signal.EnrollPath, signal.EnrollRequest{Code: e.demo.EnrollmentToken, PublicKey: "bm90IGEga2V5"})
	requireHTTPError(t, resp, body, http.StatusBadRequest, signal.CodeBadMessage)
	resp, body = e.post(signal.EnrollPath, "not an object")
	requireHTTPError(t, resp, body, http.StatusBadRequest, signal.CodeBadMessage)
	resp, body = e.post(signal.EnrollPath, signal.EnrollRequest{Code: "ZZZZ-ZZZZ", PublicKey: key})
	requireHTTPError(t, resp, body, http.StatusNotFound, signal.CodeEnrollInvalid)
	resp, body = e.post(signal.EnrollPath, map[string]string{"code": strings.Repeat("x", 20000)})
	requireHTTPError(t, resp, body, http.StatusRequestEntityTooLarge, signal.CodeTooLarge)

	// The long token works (the bad requests above did not use it up), once.
	resp, body = e.post(signal.EnrollPath, signal.EnrollRequest{Code: e.demo.EnrollmentToken, PublicKey: key, Name: "tab", AppVersion: "1.0"})
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var er signal.EnrollResponse
	require.NoError(t, json.Unmarshal(body, &er))
	require.Equal(t, server.DemoBed, er.Bed)
	d, err := e.st.Device(ctx, er.Device)
	require.NoError(t, err)
	require.Equal(t, []byte(pub), d.PublicKey)
	require.Equal(t, e.demo.BedID, d.BedID)
	// Either form uses up both.
	resp, body = e.post(signal.EnrollPath, signal.EnrollRequest{Code: strings.ToLower(e.demo.PairingCode), PublicKey: key})
	requireHTTPError(t, resp, body, http.StatusGone, signal.CodeEnrollUsed)

	token, _, err := server.NewEnrollment(ctx, e.st, e.demo.WardID, "", time.Minute, server.EnrollmentOptions{Now: e.clock.Now})
	require.NoError(t, err)
	e.clock.Advance(2 * time.Minute)
	resp, body = e.post(signal.EnrollPath, signal.EnrollRequest{Code: token, PublicKey: key})
	requireHTTPError(t, resp, body, http.StatusGone, signal.CodeEnrollExpired)
}

func TestEnrollRateLimited(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Enrollments = server.RateLimit{PerMinute: 1, Burst: 2} })
	for range 2 {
		resp, body := e.post(signal.EnrollPath, signal.EnrollRequest{Code: "WRONG", PublicKey: base64.StdEncoding.EncodeToString(make([]byte, 32))})
		requireHTTPError(t, resp, body, http.StatusNotFound, signal.CodeEnrollInvalid)
	}
	resp, body := e.post(signal.EnrollPath, signal.EnrollRequest{Code: e.demo.PairingCode})
	requireHTTPError(t, resp, body, http.StatusTooManyRequests, signal.CodeRateLimited)
}

func TestPhotos(t *testing.T) {
	e := newEnv(t, nil)
	data := []byte("\x89PNG\r\n\x1a\nfake photo bytes")
	hash := e.contactPhoto(data)

	auth := "Bearer " + e.demo.FamilyToken
	resp, body := get(t, e.url+"/api/photos/"+hash, "Authorization", auth)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, data, body)
	require.Equal(t, "image/png", resp.Header.Get("Content-Type"))
	require.Contains(t, resp.Header.Get("Cache-Control"), "immutable")
	require.Contains(t, resp.Header.Get("Cache-Control"), "private")
	resp, _ = get(t, e.url+"/api/photos/"+hash, "If-None-Match", `"`+hash+`"`, "Authorization", auth)
	require.Equal(t, http.StatusNotModified, resp.StatusCode)

	resp, body = get(t, e.url+"/api/photos/"+strings.Repeat("0", 64), "Authorization", auth)
	requireHTTPError(t, resp, body, http.StatusNotFound, "not-found")
	resp, body = get(t, e.url+"/api/photos/..%2f..%2fetc")
	require.Equal(t, http.StatusNotFound, resp.StatusCode, string(body))
}

// contactPhoto stores data as the demo contact's photo and returns its hash.
func (e *env) contactPhoto(data []byte) string {
	e.t.Helper()
	ctx := context.Background()
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	require.NoError(e.t, e.st.PutPhoto(ctx, hash, "image/png", data))
	k, err := e.st.Contact(ctx, e.demo.ContactID)
	require.NoError(e.t, err)
	k.PhotoHash = hash
	require.NoError(e.t, e.st.UpdateContact(ctx, k))
	return hash
}

func TestPagesAndHeaders(t *testing.T) {
	e := newEnv(t, nil)
	resp, body := get(t, e.demo.FamilyURL)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "text/html")
	require.Contains(t, string(body), "/static/family.js")
	require.Equal(t, "no-store", resp.Header.Get("Cache-Control"))
	h := resp.Header
	require.Equal(t, "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'", h.Get("Content-Security-Policy"))
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	require.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
	require.Equal(t, "camera=(self), microphone=(self)", h.Get("Permissions-Policy"))

	resp, body = get(t, e.url+"/static/family.js")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Contains(t, resp.Header.Get("Content-Type"), "javascript")
	require.NotEmpty(t, body)
	require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"))

	for _, p := range []string{"/static/nope.js", "/static/..%2fweb.go", "/static/", "/nothing"} {
		resp, _ = get(t, e.url+p)
		require.Equal(t, http.StatusNotFound, resp.StatusCode, p)
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), p)
	}
	resp, body = get(t, e.url+"/healthz")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "ok\n", string(body))
	resp, _ = http.Post(e.url+"/healthz", "text/plain", nil)
	require.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)

	// The request log shows the family page's path without its token.
	require.Contains(t, e.logs.String(), "path=/j/…")
	require.NotContains(t, e.logs.String(), e.demo.FamilyToken)
}

func TestRestartKeepsEverything(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	fam := e.family(e.demo.FamilyToken)
	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)

	// Closing the server ends the call still being set up (logged as failed) and tells clients.
	e.restart()
	fam.expect(signal.TypeEnded)
	fam.expectError(signal.CodeShuttingDown)
	fam.expectClosed()
	dev.expectClosed()
	recs := e.calls()
	require.Len(t, recs, 1)
	require.Equal(t, string(signal.ReasonFailed), recs[0].Reason)

	dev = e.device(d)
	require.Equal(t, server.DemoPatient, dev.cfg.Patient)
	fam = e.family(e.demo.FamilyToken)
	require.True(t, fam.cfg.DeviceOnline)
	fam.send(signal.Message{Type: signal.TypeInvite})
	id = fam.expect(signal.TypeRinging).Call
	require.Equal(t, id, dev.expect(signal.TypeRing).Call)
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
	fam.expect(signal.TypeEnded)
	require.Len(t, e.waitCalls(2), 2)

	// Seeding again reuses the demo ward and issues fresh secrets.
	info, err := server.SeedDemo(context.Background(), e.st, server.DemoOptions{BaseURL: e.url, Now: e.clock.Now})
	require.NoError(t, err)
	require.Equal(t, e.demo.PatientID, info.PatientID)
	require.Equal(t, e.demo.ContactID, info.ContactID)
	require.NotEqual(t, e.demo.FamilyToken, info.FamilyToken)
	wards, err := e.st.Wards(context.Background())
	require.NoError(t, err)
	require.Len(t, wards, 1)
	e.family(info.FamilyToken)
	e.enroll(info.PairingCode)
	var _ store.Store = e.st
}
