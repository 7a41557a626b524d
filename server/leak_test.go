package server_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/internal/testkit"
	"bedside/server"
)

// TestNoGoroutinesLeft: after calls, drops and Close, every connection's goroutines are gone
// (goleak names any that is left).
func TestNoGoroutinesLeft(t *testing.T) {
	testkit.NoLeaks(t)
	e := newEnv(t, nil)
	dev := e.device(e.enroll(e.demo.PairingCode))
	fam := e.family(e.demo.FamilyToken)
	e.dial() // never says hello
	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)
	dev.c.CloseNow()
	fam.expect(signal.TypeEnded)
	e.w.Stop()
	fam.c.CloseNow()
}

// FuzzEnroll posts arbitrary bodies to the enrollment endpoint: every answer is a 2xx or a
// 4xx with a JSON error, never a server error.
func FuzzEnroll(f *testing.F) {
	e := newEnv(f, func(c *server.Config) { c.Enrollments = server.RateLimit{PerMinute: -1} })
	h := e.srv.Handler()
	f.Add([]byte(`{"code":"ABCD-EFGH","publicKey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Add([]byte(`{"code":"` + e.demo.PairingCode + `","publicKey":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Add([]byte(`{"code":1}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"code":"x","publicKey":"` + strings.Repeat("A", 100) + `"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, signal.EnrollPath, bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("status %d for %q: %s", rec.Code, body, rec.Body)
		}
		if rec.Code != http.StatusOK {
			require.Contains(t, rec.Body.String(), `"error":`)
		}
	})
}
