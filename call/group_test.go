package call

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"bedside/call/calltest"
	"bedside/call/media"
	"bedside/call/signal"
	"bedside/internal/testkit"

	"github.com/stretchr/testify/require"
)

// peerSinks records what a phone decoded from each other participant (Config.RemoteFor).
type peerSinks struct {
	mu    sync.Mutex
	video map[string]*frameCounter
	audio map[string]*loudness
	open  map[string]int // sinks handed out and not released, by peer
}

func newPeerSinks() *peerSinks {
	return &peerSinks{video: map[string]*frameCounter{}, audio: map[string]*loudness{}, open: map[string]int{}}
}

func (ps *peerSinks) For(peer string) (media.VideoSink, media.AudioSink, func()) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if ps.video[peer] == nil {
		ps.video[peer], ps.audio[peer] = &frameCounter{}, &loudness{}
	}
	ps.open[peer]++
	return ps.video[peer], ps.audio[peer], func() {
		ps.mu.Lock()
		ps.open[peer]--
		ps.mu.Unlock()
	}
}

func (ps *peerSinks) frames(peer string) int64 {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	if v := ps.video[peer]; v != nil {
		return v.n.Load()
	}
	return 0
}

func (ps *peerSinks) loud(peer string) bool {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	a := ps.audio[peer]
	return a != nil && a.peak.Load() > 1000
}

// groupPhone is a phone of a group test with its own sinks per participant.
type groupPhone struct {
	*testPhone
	sinks *peerSinks
	local *media.Local
}

// newGroup starts a hub with group calls, a device phone and one family phone per name.
func newGroup(t *testing.T, devCfg Config, names ...string) (*calltest.Hub, *groupPhone, map[string]*groupPhone) {
	t.Helper()
	signer := newTestSigner(t, "tablet-1")
	family := map[string]signal.Party{}
	for _, n := range names {
		family[n+"-token"] = signal.Party{ID: n, Name: n}
	}
	hub, err := calltest.NewHub(calltest.HubConfig{
		Device: "tablet-1", DeviceKey: signer.key.Public().(ed25519.PublicKey),
		Family: family, GroupCalls: true,
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = hub.Close() })
	start := func(cfg Config) *groupPhone {
		gp := &groupPhone{sinks: newPeerSinks(), local: newTestLocal(t)}
		cfg.ServerURL, cfg.Media, cfg.RemoteFor = hub.URL(), gp.local, gp.sinks.For
		if testing.Verbose() {
			cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("who", cfg.FamilyToken)
		}
		gp.testPhone = startPhone(t, cfg)
		t.Cleanup(func() { _ = gp.local.Close() })
		return gp
	}
	devCfg.Signer = signer
	dev := start(devCfg)
	fam := map[string]*groupPhone{}
	for _, n := range names {
		fam[n] = start(Config{FamilyToken: n + "-token", AutoAnswer: true})
	}
	return hub, dev, fam
}

// receives waits until gp decodes sound and pictures from peer.
func (gp *groupPhone) receives(t *testing.T, peer string) {
	t.Helper()
	from := gp.sinks.frames(peer)
	testkit.Eventually(t, "pictures from "+peer, func() bool { return gp.sinks.frames(peer) > from+10 })
	testkit.Eventually(t, "sound from "+peer, func() bool { return gp.sinks.loud(peer) })
}

// participants waits until gp's call lists exactly ids, all in call.
func (gp *groupPhone) inCallWith(t *testing.T, ids ...string) []Participant {
	t.Helper()
	return gp.waitSnap(t, "in call with "+fmtIDs(ids), func(s Snapshot) bool {
		if s.Call.State != InCall || len(s.Call.Participants) != len(ids) {
			return false
		}
		for _, p := range s.Call.Participants {
			if p.State != PartInCall || !containsID(ids, p.Party.ID) {
				return false
			}
		}
		return true
	}).Call.Participants
}

func fmtIDs(ids []string) string {
	out := ""
	for _, id := range ids {
		out += id + " "
	}
	return out
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// Three engines in one call: the tablet calls Anna, Ben joins the call in progress; each
// receives the others' sound and pictures. Anna leaves and the two others go on; Carl joins
// late; the tablet hangs up last and the call is over for everyone.
func TestGroupCallJoinLeaveLateJoiner(t *testing.T) {
	ctx := context.Background()
	_, dev, fam := newGroup(t, Config{}, "anna", "ben", "carl")
	anna, ben, carl := fam["anna"], fam["ben"], fam["carl"]
	defer func() {
		for _, p := range []*groupPhone{dev, anna, ben, carl} {
			p.stop(t)
		}
	}()
	id := callInProgress(t, ctx, dev.testPhone, anna.testPhone, "anna")
	dev.inCallWith(t, "anna")
	anna.inCallWith(t, signal.DevicePeer)

	require.NoError(t, ben.Join(ctx, id))
	ben.inCallWith(t, signal.DevicePeer, "anna")
	dev.inCallWith(t, "anna", "ben")
	anna.inCallWith(t, signal.DevicePeer, "ben")
	for _, c := range []struct {
		p     *groupPhone
		peers []string
	}{{dev, []string{"anna", "ben"}}, {anna, []string{signal.DevicePeer, "ben"}}, {ben, []string{signal.DevicePeer, "anna"}}} {
		for _, peer := range c.peers {
			c.p.receives(t, peer)
		}
	}
	// The tablet encodes once for both.
	testkit.Eventually(t, "two bindings of one video track", func() bool { return dev.local.Stats().VideoPeers == 2 })

	// Anna leaves: the tablet and Ben go on.
	require.NoError(t, anna.Hangup(ctx))
	anna.waitCall(t, id, Ended)
	dev.inCallWith(t, "ben")
	ben.inCallWith(t, signal.DevicePeer)
	ben.receives(t, signal.DevicePeer)
	dev.receives(t, "ben")

	// Carl joins late.
	require.NoError(t, carl.Join(ctx, id))
	carl.inCallWith(t, signal.DevicePeer, "ben")
	dev.inCallWith(t, "ben", "carl")
	carl.receives(t, signal.DevicePeer)
	carl.receives(t, "ben")
	ben.receives(t, "carl")

	require.NoError(t, dev.Hangup(ctx))
	ben.inCallWith(t, "carl") // the tablet left; the two go on
	require.NoError(t, ben.Hangup(ctx))
	carl.waitCall(t, id, Ended)
	testkit.Eventually(t, "every sink released", func() bool {
		for _, p := range []*groupPhone{dev, anna, ben, carl} {
			p.sinks.mu.Lock()
			for _, n := range p.sinks.open {
				if n != 0 {
					p.sinks.mu.Unlock()
					return false
				}
			}
			p.sinks.mu.Unlock()
		}
		return true
	})
}

// The tablet adds Ben to its call with Anna (one tap); its encoder makes one stream for both;
// it decodes at most MaxVideoIn pictures (Ben, beyond it, is asked for none and heard only);
// a peer whose link falls below the floor gets its sound only, the other keeps the picture.
func TestGroupCallAddEncodeOnceAndCaps(t *testing.T) {
	ctx := context.Background()
	_, dev, fam := newGroup(t, Config{MaxVideoIn: 1}, "anna", "ben")
	anna, ben := fam["anna"], fam["ben"]
	defer func() {
		for _, p := range []*groupPhone{dev, anna, ben} {
			p.stop(t)
		}
	}()
	id := callInProgress(t, ctx, dev.testPhone, anna.testPhone, "anna")
	require.NoError(t, dev.Add(ctx, "ben"))
	dev.inCallWith(t, "anna", "ben")
	ben.inCallWith(t, signal.DevicePeer, "anna")
	anna.inCallWith(t, signal.DevicePeer, "ben")
	ben.receives(t, signal.DevicePeer)
	anna.receives(t, signal.DevicePeer)
	ben.receives(t, "anna")
	dev.receives(t, "anna")

	// Beyond the decode cap: Ben's sound comes, his picture does not.
	testkit.Eventually(t, "sound from ben", func() bool { return dev.sinks.loud("ben") })
	parts := dev.Snapshot().Call.Participants
	require.Len(t, parts, 2)
	require.False(t, parts[0].NoVideo, "anna's picture is decoded")
	require.True(t, parts[1].NoVideo, "ben is past the cap")
	require.Zero(t, dev.sinks.frames("ben"))

	// Encode once: over the same stretch, the two peers together decode far more frames than
	// the tablet's one encoder produced (each encoded frame went to both).
	e0 := dev.local.Stats().VideoFrames
	a0, b0 := anna.sinks.frames(signal.DevicePeer), ben.sinks.frames(signal.DevicePeer)
	testkit.Eventually(t, "60 more frames at each peer", func() bool {
		return anna.sinks.frames(signal.DevicePeer) > a0+60 && ben.sinks.frames(signal.DevicePeer) > b0+60
	})
	encoded := dev.local.Stats().VideoFrames - e0
	decoded := uint64(anna.sinks.frames(signal.DevicePeer) - a0 + ben.sinks.frames(signal.DevicePeer) - b0)
	t.Logf("encoded %d frames; the two peers decoded %d", encoded, decoded)
	require.Less(t, encoded*3/2, decoded, "one encoded stream feeds both peers")
	require.Equal(t, 2, dev.local.Stats().VideoPeers)

	// Ben's link falls below the floor: he gets sound only; Anna keeps the picture.
	dev.post(func(l *loop) {
		l.cutDelay = new(time.Duration) // at once
		for _, gp := range l.call.grp.peers {
			if gp.party.ID == "ben" {
				l.onLinkRate(l.call, gp.sess, groupFloor-50_000)
			}
		}
	})
	dev.waitSnap(t, "ben gets sound only", func(s Snapshot) bool {
		return len(s.Call.Participants) == 2 && s.Call.Participants[1].SoundOnlyToThem && !s.Call.Participants[0].SoundOnlyToThem
	})
	testkit.Eventually(t, "one binding of the video", func() bool { return dev.local.Stats().VideoPeers == 1 })
	anna.receives(t, signal.DevicePeer)
	ben.sinks.mu.Lock()
	ben.sinks.audio[signal.DevicePeer].peak.Store(0)
	ben.sinks.mu.Unlock()
	testkit.Eventually(t, "ben still hears the tablet", func() bool { return ben.sinks.loud(signal.DevicePeer) })

	require.NoError(t, anna.Hangup(ctx))
	dev.inCallWith(t, "ben")
	// A call of two again: no floor, Ben gets the picture back.
	testkit.Eventually(t, "ben's video back", func() bool { return dev.local.Stats().VideoPeers == 1 })
	dev.waitSnap(t, "ben gets the picture", func(s Snapshot) bool {
		return len(s.Call.Participants) == 1 && !s.Call.Participants[0].SoundOnlyToThem
	})
	ben.receives(t, signal.DevicePeer)
	require.NoError(t, dev.Hangup(ctx))
	ben.waitCall(t, id, Ended)
}
