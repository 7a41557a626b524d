package call

import (
	"crypto/ed25519"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"bedside/call/calltest"
	"bedside/call/signal"
	"bedside/internal/testkit"

	"github.com/pion/transport/v5/vnet"
	"github.com/stretchr/testify/require"
)

// In a group call only the path between Anna and Ben is cut (the tablet's paths stay up):
// that one pair says it is reconnecting on both ends, the pair's offerer (Ben, who joined)
// restarts its ICE, Anna waits; the tablet's call is not touched; when the path comes back the
// pair's media flows again.
func TestGroupCallPairRestartsICE(t *testing.T) {
	var cut atomic.Bool
	dev, anna, ben := groupTrio(t, &cut, nil)
	id := trioInCall(t, dev, anna, ben)

	cut.Store(true)
	reconnecting := func(s Snapshot, peer string) bool {
		for _, p := range s.Call.Participants {
			if p.Party.ID == peer {
				return p.State == PartReconnecting
			}
		}
		return false
	}
	anna.waitSnap(t, "anna: ben reconnecting", func(s Snapshot) bool { return reconnecting(s, "ben") })
	ben.waitSnap(t, "ben: anna reconnecting", func(s Snapshot) bool { return reconnecting(s, "anna") })
	testkit.Eventually(t, "ben restarting the pair's ICE", func() bool {
		st, err := ben.PeerStats(t.Context())
		return err == nil && st["anna"].ICERestarts > 0
	})
	st, err := anna.PeerStats(t.Context())
	require.NoError(t, err)
	require.Zero(t, st["ben"].ICERestarts, "anna waits for the offerer's restart")
	require.False(t, dev.Snapshot().Call.Reconnecting, "the tablet's call is not touched")
	require.False(t, anna.Snapshot().Call.Reconnecting, "nor anna's pair with the tablet")

	cut.Store(false)
	anna.inCallWith(t, signal.DevicePeer, "ben")
	ben.inCallWith(t, signal.DevicePeer, "anna")
	anna.receives(t, "ben")
	ben.receives(t, "anna")
	require.Equal(t, id, anna.Snapshot().Call.ID, "the same call goes on")
}

// In a group call Anna's address goes while every path still works: she offered none of her
// pairs (the tablet called her, Ben joined and offered to both), so she offers nothing and asks
// both offerers, who restart ICE on their pair with her at once, and only on it.
func TestGroupCallPairsRestartWhenAsked(t *testing.T) {
	var cut, moved atomic.Bool
	addrs := func() ([]netip.Addr, error) {
		if moved.Load() {
			return []netip.Addr{netip.MustParseAddr("10.0.3.2")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("10.0.2.2")}, nil
	}
	dev, anna, ben := groupTrio(t, &cut, addrs)
	id := trioInCall(t, dev, anna, ben)

	moved.Store(true)
	testkit.Eventually(t, "the tablet and ben restarting their pairs with anna", func() bool {
		st, err := ben.PeerStats(t.Context())
		return err == nil && st["anna"].ICERestarts > 0 && dev.Stats().ICERestarts > 0
	})
	st, err := anna.PeerStats(t.Context())
	require.NoError(t, err)
	require.Zero(t, st["ben"].ICERestarts+st[signal.DevicePeer].ICERestarts, "anna offers nothing")
	st, err = ben.PeerStats(t.Context())
	require.NoError(t, err)
	require.Zero(t, st[signal.DevicePeer].ICERestarts, "the pair without anna is not touched")
	anna.inCallWith(t, signal.DevicePeer, "ben")
	ben.inCallWith(t, signal.DevicePeer, "anna")
	anna.receives(t, "ben")
	ben.receives(t, "anna")
	require.Equal(t, id, anna.Snapshot().Call.ID, "the same call goes on")
}

// trioInCall puts the three in one call (Anna calls, Ben joins) with Ben's picture reaching
// Anna, and returns the call's id.
func trioInCall(t *testing.T, dev, anna, ben *groupPhone) string {
	t.Helper()
	id := callInProgress(t, t.Context(), dev.testPhone, anna.testPhone, "anna")
	require.NoError(t, ben.Join(t.Context(), id))
	anna.inCallWith(t, signal.DevicePeer, "ben")
	ben.inCallWith(t, signal.DevicePeer, "anna")
	anna.receives(t, "ben")
	return id
}

// groupTrio starts a tablet, Anna and Ben on a virtual network whose path between Anna and
// Ben is cut while cut is set; annaAddrs, when set, are Anna's host addresses (netwatch.go).
func groupTrio(t *testing.T, cut *atomic.Bool, annaAddrs func() ([]netip.Addr, error)) (dev, anna, ben *groupPhone) {
	return groupTrioLosing(t, func(from, to string) bool {
		return cut.Load() && (from == "anna" && to == "ben" || from == "ben" && to == "anna")
	}, annaAddrs)
}

// groupTrioLosing is groupTrio whose network drops the packets from one of "dev", "anna" and
// "ben" to another while lost says so.
func groupTrioLosing(t *testing.T, lost func(from, to string) bool, annaAddrs func() ([]netip.Addr, error)) (dev, anna, ben *groupPhone) {
	const devIP, annaIP, benIP = "192.0.2.30", "192.0.2.31", "192.0.2.32"
	names := map[string]string{devIP: "dev", annaIP: "anna", benIP: "ben"}
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "192.0.2.0/24", LoggerFactory: pionLogger{log: logger(nil)}})
	require.NoError(t, err)
	router.AddChunkFilter(func(c vnet.Chunk) bool {
		src, ok1 := c.SourceAddr().(*net.UDPAddr)
		dst, ok2 := c.DestinationAddr().(*net.UDPAddr)
		return !ok1 || !ok2 || !lost(names[src.IP.String()], names[dst.IP.String()])
	})
	nets := map[string]*vnet.Net{}
	for _, ip := range []string{devIP, annaIP, benIP} {
		n, err := vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{ip}})
		require.NoError(t, err)
		require.NoError(t, router.AddNet(n))
		nets[ip] = n
	}
	require.NoError(t, router.Start())
	t.Cleanup(func() { _ = router.Stop() })

	signer := newTestSigner(t, "tablet-1")
	hub, err := calltest.NewHub(calltest.HubConfig{
		Device: "tablet-1", DeviceKey: signer.key.Public().(ed25519.PublicKey), GroupCalls: true, HoldCalls: true,
		Family: map[string]signal.Party{"anna-token": {ID: "anna", Name: "Anna"}, "ben-token": {ID: "ben", Name: "Ben"}},
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = hub.Close() })
	start := func(ip string, cfg Config) *groupPhone {
		api, err := NewAPI(APIOptions{Net: nets[ip], DisconnectedTimeout: time.Second,
			KeepAlive: 250 * time.Millisecond, FailedTimeout: 30 * time.Second})
		require.NoError(t, err)
		gp := &groupPhone{sinks: newPeerSinks(), local: newTestLocal(t)}
		cfg.ServerURL, cfg.Media, cfg.RemoteFor, cfg.API = hub.URL(), gp.local, gp.sinks.For, api
		cfg.OutageLimit, cfg.RestartEvery = 30*time.Second, time.Second
		if testing.Verbose() {
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug})).With("who", ip)
		}
		gp.testPhone = startPhone(t, cfg)
		t.Cleanup(func() {
			gp.stop(t)
			_ = gp.local.Close()
		})
		return gp
	}
	dev = start(devIP, Config{Signer: signer})
	annaCfg := Config{FamilyToken: "anna-token", AutoAnswer: true}
	if annaAddrs != nil {
		annaCfg.Addrs, annaCfg.NetworkCheckEvery = annaAddrs, 100*time.Millisecond
	}
	anna = start(annaIP, annaCfg)
	ben = start(benIP, Config{FamilyToken: "ben-token"})
	return dev, anna, ben
}
