package e2e

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/server"
)

// A call between two Go engines that may only use the relay, reached over TCP: the relay has
// no UDP listener and both engines use relayed candidates only (what a network that blocks all
// UDP from the clients leaves). The relay's permissions come from the candidates the ward
// relayed; loopback must be allowed here because the relay's address is 127.0.0.1.
func TestGoCallThroughTheRelayOverTCPOnly(t *testing.T) {
	relay, err := server.NewTURN(server.TURNConfig{TCPListen: "127.0.0.1:0", PublicIP: net.IPv4(127, 0, 0, 1),
		RelayAddress: "127.0.0.1", AllowLoopback: true, Logger: testLogger(t)})
	require.NoError(t, err)
	t.Cleanup(func() { relay.Close() })
	w := newWard(t, withConfig(func(c *server.Config) { c.TURN = relay }))
	api, err := call.NewAPI(call.APIOptions{LoopbackOnly: true, RelayOnly: true, Logger: testLogger(t)})
	require.NoError(t, err)
	shared := func(c *call.Config) { c.API = api }
	tab := newTablet(t, w, shared)
	fam := newFamily(t, w, shared)
	for _, s := range fam.phone.Config().ICEServers {
		for _, u := range s.URLs {
			require.True(t, strings.HasSuffix(u, "?transport=tcp"), u)
		}
	}

	ctx := context.Background()
	callID := fam.dial(t, "")
	require.Equal(t, callID, tab.ringingCall(t))
	answered := time.Now()
	require.NoError(t, tab.phone.Answer(ctx, callID))
	eventually(t, "both ends are in the call", func() bool {
		return tab.phone.State() == call.InCall && fam.phone.State() == call.InCall
	})
	t.Logf("set-up through the relay over TCP: %v from answer to both in call (a figure, not a bound)", time.Since(answered))
	tab.waitMedia(t, "the tablet", 30)
	fam.waitMedia(t, "the family", 30)
	require.GreaterOrEqual(t, relay.Allocations(), 2, "both ends hold allocations")
	require.NoError(t, fam.phone.Hangup(ctx))
	waitIdle(t, tab, fam)
}
