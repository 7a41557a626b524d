package call

import (
	"context"
	"crypto/ed25519"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"bedside/call/calltest"
	"bedside/call/signal"
	"bedside/internal/testkit"

	"github.com/stretchr/testify/require"
)

// newCutPair starts a hub on loopback and two phones whose media runs on a virtual network
// that the test can cut: signaling stays up while the media path goes.
func newCutPair(t *testing.T, outage time.Duration, famAddrs ...func() ([]netip.Addr, error)) (hub *calltest.Hub, ln *lossyNet, dev, fam *testPhone) {
	t.Helper()
	signer := newTestSigner(t, "tablet-1")
	hub, err := calltest.NewHub(calltest.HubConfig{
		Device:    "tablet-1",
		DeviceKey: signer.key.Public().(ed25519.PublicKey),
		Family:    map[string]signal.Party{"anna-token": {ID: "anna", Name: "Anna"}},
		HoldCalls: true,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = hub.Close() })
	ln = newLossyNet(t)
	api := func(n *lossyNet, a bool) *API {
		net := n.b
		if a {
			net = n.a
		}
		api, err := NewAPI(APIOptions{Net: net, DisconnectedTimeout: time.Second,
			KeepAlive: 250 * time.Millisecond, FailedTimeout: outage})
		require.NoError(t, err)
		return api
	}
	la, lb := newTestLocal(t), newTestLocal(t)
	t.Cleanup(func() {
		_ = la.Close()
		_ = lb.Close()
	})
	dev = startPhone(t, Config{ServerURL: hub.URL(), Signer: signer, Media: la, API: api(ln, true),
		OutageLimit: outage, RestartEvery: time.Second})
	famCfg := Config{ServerURL: hub.URL(), FamilyToken: "anna-token", Media: lb, API: api(ln, false),
		AutoAnswer: true, OutageLimit: outage, RestartEvery: time.Second}
	if len(famAddrs) > 0 {
		famCfg.Addrs, famCfg.NetworkCheckEvery = famAddrs[0], 100*time.Millisecond
	}
	fam = startPhone(t, famCfg)
	t.Cleanup(func() {
		dev.stop(t)
		fam.stop(t)
	})
	return hub, ln, dev, fam
}

// A call whose media path is cut for longer than ICE's disconnection timeout says so on both
// ends ("reconnecting"), the caller restarts ICE, and the call carries on when the path comes
// back: same call, media flowing again.
func TestPhoneSurvivesACut(t *testing.T) {
	_, ln, dev, fam := newCutPair(t, 30*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	id := callInProgress(t, ctx, dev, fam, "anna")

	ln.setCut(true)
	for _, p := range []*testPhone{dev, fam} {
		p.waitSnap(t, "reconnecting", func(s Snapshot) bool { return s.Call.ID == id && s.Call.Reconnecting })
	}
	testkit.Eventually(t, "the caller restarting ICE", func() bool { return dev.Stats().ICERestarts > 0 })
	require.Zero(t, fam.Stats().ICERestarts, "the callee waits for the caller's restart")
	ln.setCut(false)
	for _, p := range []*testPhone{dev, fam} {
		c := p.waitSnap(t, "media back", func(s Snapshot) bool {
			return s.Call.ID == id && !s.Call.Reconnecting
		}).Call
		require.Equal(t, InCall, c.State, "the same call goes on")
	}
	frames := fam.Stats().FramesDecoded
	testkit.Eventually(t, "frames again", func() bool { return fam.Stats().FramesDecoded > frames+30 })
}

// An outage longer than the limit ends the call as failed, on both ends.
func TestPhoneOutageLimit(t *testing.T) {
	_, ln, dev, fam := newCutPair(t, 4*time.Second)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	id := callInProgress(t, ctx, dev, fam, "anna")
	ln.setCut(true)
	// Whichever end gives up first tells the server that the call failed: both ends, and the
	// server, say "failed", not "hangup".
	require.Equal(t, signal.ReasonFailed, dev.waitCall(t, id, Failed).Reason)
	require.Equal(t, signal.ReasonFailed, fam.waitCall(t, id, Failed).Reason)
}

// The callee whose address goes (a tablet roaming) says so at once and reconnects to the
// server; the caller restarts ICE (only the caller offers: pion cannot withdraw an offer that
// crossed another); the same call carries on.
func TestPhoneCalleeWhoseAddressGoes(t *testing.T) {
	var moved atomic.Bool
	addrs := func() ([]netip.Addr, error) {
		if moved.Load() {
			return []netip.Addr{netip.MustParseAddr("10.0.3.2")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("10.0.2.2")}, nil
	}
	_, ln, dev, fam := newCutPair(t, 30*time.Second, addrs)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	id := callInProgress(t, ctx, dev, fam, "anna")

	ln.setCut(true)
	moved.Store(true)
	fam.waitSnap(t, "the callee reconnecting", func(s Snapshot) bool { return s.Call.ID == id && s.Call.Reconnecting })
	testkit.Eventually(t, "the caller restarting ICE", func() bool { return dev.Stats().ICERestarts > 0 })
	require.Zero(t, fam.Stats().ICERestarts, "the callee does not offer")
	ln.setCut(false)
	for _, p := range []*testPhone{dev, fam} {
		c := p.waitSnap(t, "media back", func(s Snapshot) bool {
			return s.Call.ID == id && !s.Call.Reconnecting
		}).Call
		require.Equal(t, InCall, c.State, "the same call goes on")
	}
	frames := dev.Stats().FramesDecoded
	testkit.Eventually(t, "frames again", func() bool { return dev.Stats().FramesDecoded > frames+30 })
}

// The callee whose address goes while its media path still works (the caller cannot notice
// anything) asks the caller to restart ICE as soon as it is back on the server, and the caller
// does at once; the callee never offers; the same call carries on.
func TestPhoneCalleeAsksForARestart(t *testing.T) {
	var moved atomic.Bool
	addrs := func() ([]netip.Addr, error) {
		if moved.Load() {
			return []netip.Addr{netip.MustParseAddr("10.0.3.2")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("10.0.2.2")}, nil
	}
	_, _, dev, fam := newCutPair(t, 30*time.Second, addrs)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	id := callInProgress(t, ctx, dev, fam, "anna")
	require.Zero(t, dev.Stats().ICERestarts)

	moved.Store(true)
	testkit.Eventually(t, "the caller restarting ICE when asked", func() bool { return dev.Stats().ICERestarts > 0 })
	require.Zero(t, fam.Stats().ICERestarts, "the callee does not offer")
	for _, p := range []*testPhone{dev, fam} {
		c := p.waitSnap(t, "media on", func(s Snapshot) bool {
			return s.Call.ID == id && s.Call.State == InCall && !s.Call.Reconnecting
		}).Call
		require.Equal(t, id, c.ID, "the same call goes on")
	}
	frames := dev.Stats().FramesDecoded
	testkit.Eventually(t, "frames again", func() bool { return dev.Stats().FramesDecoded > frames+30 })
	require.Equal(t, uint64(1), dev.Stats().ICERestarts, "one restart")
}
