package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
)

// /metrics follows the embedded relay: its allocations now, and the ones it refused by reason.
func TestMetricsCountRelayAllocations(t *testing.T) {
	r := newRelayEnv(t, false, nil)
	base := r.serveMetrics()
	m := scrape(t, base)
	require.Contains(t, m, "bedside_relay_allocations")
	require.Zero(t, m["bedside_relay_allocations"])
	for _, reason := range []string{"username", "expired", "holder", "quota"} {
		require.Contains(t, m, `bedside_relay_allocations_refused_total{reason="`+reason+`"}`)
	}

	fam := r.family(r.demo.FamilyToken)
	c := turnCreds(t, fam.cfg.ICEServers)
	relayed := r.allocate(t, "udp", c)
	require.NotNil(t, relayed)
	require.NotNil(t, r.allocate(t, "tcp", c))
	until(t, "two allocations on /metrics", func() bool { return scrape(t, base)["bedside_relay_allocations"] == 2 })
	require.NoError(t, relayed.Close())
	until(t, "one allocation on /metrics", func() bool { return scrape(t, base)["bedside_relay_allocations"] == 1 })

	// A username that is not ours, and a revoked link's holder, are refused and counted.
	require.Nil(t, r.allocate(t, "udp", creds{user: "someone", pass: c.pass}))
	links, err := r.st.Links(t.Context(), r.demo.ContactID)
	require.NoError(t, err)
	for _, l := range links {
		require.NoError(t, r.st.RevokeLink(t.Context(), l.ID, r.clock.Now()))
	}
	require.Nil(t, r.allocate(t, "udp", c))
	m = scrape(t, base)
	require.Equal(t, 1.0, m[`bedside_relay_allocations_refused_total{reason="username"}`])
	require.Equal(t, 1.0, m[`bedside_relay_allocations_refused_total{reason="holder"}`])
	require.Zero(t, m[`bedside_relay_allocations_refused_total{reason="quota"}`])
}

// A call answered whose media never connects fails at "setup", and /metrics says so.
func TestMetricsCountFailuresByStage(t *testing.T) {
	e := newEnv(t, nil)
	base := e.serveMetrics()
	m := scrape(t, base)
	for _, stage := range []string{"ringing", "setup", "in_call"} {
		require.Zero(t, m[`bedside_calls_failed_total{stage="`+stage+`"}`])
		require.Contains(t, m, `bedside_calls_failed_total{stage="`+stage+`"}`)
	}
	dev := e.device(e.enroll(e.demo.PairingCode))
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	fam.send(signal.Message{Type: signal.TypeInvite})
	id := fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)
	e.clock.Advance(31 * time.Second) // past the connect timeout
	require.Equal(t, signal.ReasonFailed, fam.expect(signal.TypeEnded).Reason)
	e.waitCalls(1)
	m = scrape(t, base)
	require.Equal(t, 1.0, m[`bedside_calls_failed_total{stage="setup"}`])
	require.Equal(t, 1.0, m[`bedside_calls_ended_total{reason="failed"}`])
}
