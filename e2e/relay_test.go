package e2e

import (
	"bedside/internal/testkit"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/server"
)

// relayWard starts a ward whose relay listens on TCP only, and a tablet and a family member
// whose engines use relayed candidates only when relayOnly (what a network that blocks all
// UDP from the clients leaves them); otherwise they call directly on loopback. The relay's
// permissions come from the candidates the ward relayed; loopback must be allowed here
// because the relay's own address is 127.0.0.1.
func relayWard(tb testing.TB, relayOnly bool) (relay *server.TURN, tab, fam *peer) {
	tb.Helper()
	relay, err := server.NewTURN(server.TURNConfig{TCPListen: "127.0.0.1:0", PublicIP: net.IPv4(127, 0, 0, 1),
		RelayAddress: "127.0.0.1", AllowLoopback: true, Logger: testLogger(tb)})
	require.NoError(tb, err)
	tb.Cleanup(func() { relay.Close() })
	w := newWard(tb, withConfig(func(c *server.Config) { c.TURN = relay }))
	api, err := call.NewAPI(call.APIOptions{LoopbackOnly: true, RelayOnly: relayOnly, Logger: testLogger(tb)})
	require.NoError(tb, err)
	shared := func(c *call.Config) { c.API = api }
	return relay, newTablet(tb, w, shared), newFamily(tb, w, shared)
}

// callSetup places a call from the family, answers it on the tablet and returns the time from
// answer to both ends in the call; the call stays up.
func callSetup(tb testing.TB, tab, fam *peer) time.Duration {
	tb.Helper()
	ctx := context.Background()
	callID := fam.dial(tb, "")
	require.Equal(tb, callID, tab.ringingCall(tb))
	answered := time.Now()
	require.NoError(tb, tab.phone.Answer(ctx, callID))
	testkit.Eventually(tb, "both ends are in the call", func() bool {
		return tab.phone.State() == call.InCall && fam.phone.State() == call.InCall
	})
	return time.Since(answered)
}

// A call between two Go engines that may only use the relay, reached over TCP.
func TestGoCallThroughTheRelayOverTCPOnly(t *testing.T) {
	relay, tab, fam := relayWard(t, true)
	for _, s := range fam.phone.Config().ICEServers {
		for _, u := range s.URLs {
			require.True(t, strings.HasSuffix(u, "?transport=tcp"), u)
		}
	}
	setup := callSetup(t, tab, fam)
	t.Logf("set-up through the relay over TCP: %v from answer to both in call (a figure, not a bound)", setup)
	tab.waitMedia(t, "the tablet", 30)
	fam.waitMedia(t, "the family", 30)
	require.GreaterOrEqual(t, relay.Allocations(), 2, "both ends hold allocations")
	require.NoError(t, fam.phone.Hangup(context.Background()))
	waitIdle(t, tab, fam)
}

// BenchmarkCallSetupRelayTCP measures a call's set-up (answer to both ends in the call) through
// the relay over TCP only, and over TLS only, beside the same call made directly on loopback in
// the same run.
// Issue 10's goal: ≤ 3 s with UDP blocked.
func BenchmarkCallSetupRelayTCP(b *testing.B) {
	for _, bc := range []struct {
		name string
		ward func(testing.TB) (*server.TURN, *peer, *peer)
	}{
		{"direct", func(tb testing.TB) (*server.TURN, *peer, *peer) { return relayWard(tb, false) }},
		{"relay-tcp", func(tb testing.TB) (*server.TURN, *peer, *peer) { return relayWard(tb, true) }},
		{"relay-tls", relayWardTLS},
	} {
		b.Run(bc.name, func(b *testing.B) {
			_, tab, fam := bc.ward(b)
			var total time.Duration
			for b.Loop() {
				total += callSetup(b, tab, fam)
				require.NoError(b, fam.phone.Hangup(context.Background()))
				waitIdle(b, tab, fam)
			}
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms/setup")
		})
	}
}
