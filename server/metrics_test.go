package server_test

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/internal/testkit"
	"bedside/server"
)

// serveMetrics serves the server's internal handler on its own loopback listener, as
// -metrics-listen does, and returns its base URL.
func (e *env) serveMetrics() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(e.t, err)
	hs := &http.Server{Handler: e.srv.MetricsHandler(), ReadHeaderTimeout: wait}
	go func() { _ = hs.Serve(ln) }()
	e.t.Cleanup(func() { _ = hs.Close() })
	return "http://" + ln.Addr().String()
}

// fetch is get (http_test.go) for a status and a text body.
func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, body := get(t, url)
	return resp.StatusCode, string(body)
}

// scrape fetches and parses /metrics from base; a page that breaks the format fails the test.
func scrape(t *testing.T, base string) map[string]float64 {
	t.Helper()
	status, body := fetch(t, base+"/metrics")
	require.Equal(t, http.StatusOK, status, body)
	x, err := parseExposition(body)
	require.NoError(t, err, body)
	return x.samples
}

// A call between a family page and a tablet moves the gauges and counters: who is connected
// per ward, the call in progress, its set-up time, its duration and its end reason; refused
// hellos are counted. The page is valid exposition text throughout, and carries no name,
// contact or token. The public handler has no /metrics.
func TestMetricsFollowACall(t *testing.T) {
	e := newEnv(t, nil)
	base := e.serveMetrics()
	ward := `{ward="` + e.demo.WardID + `"}`
	tablets, families := "bedside_tablets_connected"+ward, "bedside_family_pages_connected"+ward

	m := scrape(t, base)
	require.Zero(t, m["bedside_calls_in_progress"])
	require.NotContains(t, m, tablets)
	require.Zero(t, m["bedside_call_setup_seconds_count"])
	require.Zero(t, m["bedside_draining"])
	require.Positive(t, m["go_goroutines"])

	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	m = scrape(t, base)
	require.Equal(t, 1.0, m[tablets])
	require.Equal(t, 1.0, m[families])

	// Ringing is a call in progress; connecting 2.5 s after the answer is its set-up time.
	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	require.Equal(t, 1.0, scrape(t, base)["bedside_calls_in_progress"])
	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)
	e.clock.Advance(2500 * time.Millisecond)
	dev.send(signal.Message{Type: signal.TypeConnected, Call: id})
	dev.sync()
	m = scrape(t, base)
	require.Equal(t, 1.0, m["bedside_calls_in_progress"])
	require.Equal(t, 1.0, m["bedside_call_setup_seconds_count"])
	require.Equal(t, 2.5, m["bedside_call_setup_seconds_sum"])
	require.Zero(t, m[`bedside_call_setup_seconds_bucket{le="2"}`])
	require.Equal(t, 1.0, m[`bedside_call_setup_seconds_bucket{le="3"}`])
	require.Zero(t, m["bedside_call_duration_seconds_count"], "not over yet")

	// Ninety seconds later the family hangs up: the call is over, its duration counted from
	// the answer, its reason counted.
	e.clock.Advance(90 * time.Second)
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
	dev.expect(signal.TypeEnded)
	fam.expect(signal.TypeEnded)
	e.waitCalls(1) // the row is written after the metrics count it
	m = scrape(t, base)
	require.Zero(t, m["bedside_calls_in_progress"])
	require.Equal(t, 1.0, m[`bedside_calls_ended_total{reason="hangup"}`])
	require.Equal(t, 1.0, m["bedside_call_duration_seconds_count"])
	require.Equal(t, 92.5, m["bedside_call_duration_seconds_sum"])
	require.Zero(t, m[`bedside_call_duration_seconds_bucket{le="60"}`])
	require.Equal(t, 1.0, m[`bedside_call_duration_seconds_bucket{le="120"}`])

	// A hello with a dead link is refused and counted by its code.
	bad := e.dial()
	bad.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: "no-such-link-token-at-all"})
	bad.expectError(signal.CodeLinkRevoked)
	bad.expectClosed()
	require.Equal(t, 1.0, scrape(t, base)[`bedside_websocket_refused_total{code="link-revoked"}`])

	// The family page goes: its gauge falls back to zero, the tablet's stays.
	fam.c.Close(websocket.StatusNormalClosure, "")
	testkit.Eventually(t, "the family page is counted gone", func() bool {
		return scrape(t, base)[families] == 0
	})
	m = scrape(t, base)
	require.Equal(t, 1.0, m[tablets])

	// A tablet's newer connection replaces its old one: still one tablet, also once the old
	// connection has finished leaving.
	e.device(d)
	dev.expectClosed()
	testkit.Eventually(t, "only the new connection is open", func() bool { return e.srv.Connections() == 1 })
	require.Equal(t, 1.0, scrape(t, base)[tablets])

	// Nothing personal or secret is on the page.
	_, body := fetch(t, base+"/metrics")
	for _, secret := range []string{server.DemoPatient, server.DemoContact, e.demo.FamilyToken,
		e.demo.PatientID, e.demo.ContactID, e.demo.BedID, d.id, server.DemoWard} {
		require.NotContains(t, body, secret)
	}

	// The public handler has no metrics; it has readiness.
	status, _ := fetch(t, e.url+"/metrics")
	require.Equal(t, http.StatusNotFound, status)
	status, body = fetch(t, e.url+"/readyz")
	require.Equal(t, http.StatusOK, status, body)
	status, _ = fetch(t, base+"/readyz")
	require.Equal(t, http.StatusOK, status)
}

// /readyz answers 503 when the store does not answer, on both handlers; /healthz still 200.
func TestReadyzFailsWhenTheStoreIsGone(t *testing.T) {
	e := newEnv(t, nil)
	base := e.serveMetrics()
	status, _ := fetch(t, base+"/readyz")
	require.Equal(t, http.StatusOK, status)
	require.NoError(t, e.st.Close())
	for _, u := range []string{base, e.url} {
		status, body := fetch(t, u+"/readyz")
		require.Equal(t, http.StatusServiceUnavailable, status, u)
		require.Equal(t, "store not answering\n", body)
		status, _ = fetch(t, u+"/healthz")
		require.Equal(t, http.StatusOK, status, u)
	}
}

// A drain: readiness flips to 503 at once and new connections are refused with
// shutting-down, while the connected ones carry on; Close then tells them the server is
// shutting down and closes them going-away, leaves their connected call unended (no log
// row: the ends resume it with another server), and returns.
func TestDrainRefusesNewClientsThenCloses(t *testing.T) {
	e := newEnv(t, nil)
	base := e.serveMetrics()
	dev := e.device(e.enroll(e.demo.PairingCode))
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	connectedCall(fam, dev)
	dev.sync()

	e.srv.Drain()
	for _, u := range []string{base, e.url} {
		status, body := fetch(t, u+"/readyz")
		require.Equal(t, http.StatusServiceUnavailable, status, u)
		require.Equal(t, "draining\n", body)
	}
	require.Equal(t, 1.0, scrape(t, base)["bedside_draining"])

	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, e.wsURL(), nil)
	require.Error(t, err)
	require.NotNil(t, resp)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	m := scrape(t, base)
	require.Equal(t, 1.0, m[`bedside_websocket_refused_total{code="shutting-down"}`])
	require.Equal(t, 1.0, m["bedside_calls_in_progress"])

	// The connected clients still talk to the server and to each other.
	fam.sync()
	dev.sync()

	closed := make(chan struct{})
	go func() {
		e.srv.Close()
		close(closed)
	}()
	for _, w := range []*ws{dev, fam} {
		w.expectError(signal.CodeShuttingDown)
		for {
			_, _, err := w.c.Read(ctx) // a presence may come before the close
			if err != nil {
				require.Equal(t, websocket.StatusGoingAway, websocket.CloseStatus(err), "%v", err)
				break
			}
		}
	}
	select {
	case <-closed:
	case <-ctx.Done():
		t.Fatal("Close did not return")
	}
	require.Empty(t, e.calls(), "the connected call is not ended by the server")
	m = scrape(t, base)
	require.Zero(t, m["bedside_calls_in_progress"])
	require.Zero(t, m[`bedside_tablets_connected{ward="`+e.demo.WardID+`"}`])
	status, _ := fetch(t, base+"/readyz")
	require.Equal(t, http.StatusServiceUnavailable, status)
}
