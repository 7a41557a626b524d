package main

import (
	"context"
	"fmt"
	"image"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/call/media"
	"bedside/call/signal"
	"bedside/internal/testkit"
	"bedside/provisioning"
	"bedside/server"
	"bedside/server/store"
	"bedside/server/wardtest"
)

// groupEngine is a Go call engine in a group call through a real ward: the demo bed's tablet
// or a family member, sending the 320x240 test pattern and tone, counting what it decodes from
// each other participant.
type groupEngine struct {
	phone *call.Phone
	local *media.Local

	mu     sync.Mutex
	frames map[string]*atomic.Int64
	sound  map[string]*atomic.Int64
}

func (g *groupEngine) sinks(peer string) (media.VideoSink, media.AudioSink, func()) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.frames[peer] == nil {
		g.frames[peer], g.sound[peer] = &atomic.Int64{}, &atomic.Int64{}
	}
	f, s := g.frames[peer], g.sound[peer]
	return media.VideoSinkFunc(func(image.Image) { f.Add(1) }),
		media.AudioSinkFunc(func(pcm []int16, _, ch int) { s.Add(int64(len(pcm) / max(ch, 1))) }), nil
}

func (g *groupEngine) got(peer string) (frames, samples int64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.frames[peer] == nil {
		return 0, 0
	}
	return g.frames[peer].Load(), g.sound[peer].Load()
}

// receives waits until g decodes more pictures and sound from each of peers.
func (g *groupEngine) receives(t *testing.T, who string, peers ...string) {
	t.Helper()
	for _, peer := range peers {
		f0, s0 := g.got(peer)
		testkit.Eventually(t, who+" receives "+peer, func() bool {
			f, s := g.got(peer)
			return f > f0+15 && s > s0+48000/2
		})
	}
}

// inCallWith waits until g's call lists exactly ids, every one in call.
func (g *groupEngine) inCallWith(t *testing.T, who string, ids ...string) {
	t.Helper()
	testkit.Eventually(t, fmt.Sprintf("%s in call with %v", who, ids), func() bool {
		s := g.phone.Snapshot()
		if s.Call.State != call.InCall || len(s.Call.Participants) != len(ids) {
			return false
		}
		for _, p := range s.Call.Participants {
			found := false
			for _, id := range ids {
				found = found || id == p.Party.ID
			}
			if !found || p.State != call.PartInCall {
				return false
			}
		}
		return true
	})
}

func startGroupEngine(t *testing.T, w *wardtest.Ward, cfg call.Config) *groupEngine {
	t.Helper()
	g := &groupEngine{frames: map[string]*atomic.Int64{}, sound: map[string]*atomic.Int64{}}
	ctx, cancel := context.WithCancel(context.Background())
	var err error
	g.local, err = media.NewTest(media.TestOptions{Width: 320, Height: 240})
	require.NoError(t, err)
	require.NoError(t, g.local.Start(ctx))
	cfg.ServerURL, err = signal.URL(w.URL)
	require.NoError(t, err)
	cfg.Media, cfg.RemoteFor, cfg.LoopbackOnly = g.local, g.sinks, true
	g.phone, err = call.New(cfg)
	require.NoError(t, err)
	ran := make(chan error, 1)
	go func() { ran <- g.phone.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-ran)
		require.NoError(t, g.local.Close())
	})
	testkit.Eventually(t, "connected to the ward", g.phone.Connected)
	t.Cleanup(func() { // what each engine saw, when the test failed
		if t.Failed() {
			stats, _ := g.phone.PeerStats(context.Background())
			t.Logf("engine (family %v): call %+v\nlocal %+v\npairs %+v", cfg.FamilyToken != "", g.phone.Snapshot().Call,
				g.local.Stats(), stats)
		}
	})
	return g
}

// newContactLink adds a contact to the demo patient and returns its id and a family link token.
func newContactLink(t *testing.T, w *wardtest.Ward, name string) (id, token string) {
	t.Helper()
	ctx := context.Background()
	k, err := w.Store.CreateContact(ctx, store.Contact{PatientID: w.Demo.PatientID, Name: name, Relation: "Son"})
	require.NoError(t, err)
	token, err = server.NewFamilyLink(ctx, w.Store, k.ID, 24*time.Hour, server.LinkOptions{})
	require.NoError(t, err)
	return k.ID, token
}

// Three engines in one call through a real ward: the tablet calls Anna; Bob, whose page sees
// the call live, joins it; each receives the two others' sound and pictures, and the tablet's
// one encoder feeds both. Anna leaves: the tablet and Bob go on. Carl, rung in late by the
// tablet (Add), joins; the tablet hangs up and the two family members go on.
func TestGroupCallEnginesThroughWard(t *testing.T) {
	w := wardtest.Start(t, wardtest.Options{})
	ctx := context.Background()
	bobID, bobToken := newContactLink(t, w, "Bob")
	carlID, carlToken := newContactLink(t, w, "Carl")
	id, err := provisioning.LoadOrCreateIdentity(filepath.Join(t.TempDir(), "identity"))
	require.NoError(t, err)
	_, err = provisioning.Enroll(ctx, w.URL, w.Demo.PairingCode, id, "go tablet", "test")
	require.NoError(t, err)
	tablet := startGroupEngine(t, w, call.Config{Signer: id})
	anna := startGroupEngine(t, w, call.Config{FamilyToken: w.Demo.FamilyToken, AutoAnswer: true})
	bob := startGroupEngine(t, w, call.Config{FamilyToken: bobToken})
	carl := startGroupEngine(t, w, call.Config{FamilyToken: carlToken, AutoAnswer: true})
	annaID := w.Demo.ContactID
	dev := signal.DevicePeer
	start := time.Now()
	phase := func(s string) { t.Logf("%5.1fs %s", time.Since(start).Seconds(), s) }

	callID, err := tablet.phone.Dial(ctx, annaID)
	require.NoError(t, err)
	tablet.inCallWith(t, "tablet", annaID)
	anna.inCallWith(t, "anna", dev)

	phase("Bob joins")
	testkit.Eventually(t, "bob sees the call live", func() bool {
		l := bob.phone.Snapshot().Live
		return l.Call == callID && l.CanJoin
	})
	require.NoError(t, bob.phone.Join(ctx, callID))
	tablet.inCallWith(t, "tablet", annaID, bobID)
	anna.inCallWith(t, "anna", dev, bobID)
	bob.inCallWith(t, "bob", dev, annaID)
	phase("all three receive")
	tablet.receives(t, "tablet", annaID, bobID)
	anna.receives(t, "anna", dev, bobID)
	bob.receives(t, "bob", dev, annaID)

	phase("encode once")
	// Encode once: Anna and Bob together decode more frames than the tablet encoded (with an
	// encoder per peer, each could decode at most its own's), and each captured picture is
	// encoded at most once.
	require.Equal(t, 2, tablet.local.Stats().VideoPeers)
	l0 := tablet.local.Stats()
	a0, _ := anna.got(dev)
	b0, _ := bob.got(dev)
	testkit.Eventually(t, "60 more frames at each", func() bool {
		a, _ := anna.got(dev)
		b, _ := bob.got(dev)
		return a > a0+60 && b > b0+60
	})
	l1 := tablet.local.Stats()
	a1, _ := anna.got(dev)
	b1, _ := bob.got(dev)
	encoded, captured := l1.VideoFrames-l0.VideoFrames, l1.VideoCaptured-l0.VideoCaptured
	t.Logf("the tablet captured %d pictures and encoded %d frames; Anna decoded %d, Bob %d", captured, encoded, a1-a0, b1-b0)
	require.LessOrEqual(t, encoded, captured+1, "one encoder for both")
	require.Less(t, int64(encoded), a1-a0+b1-b0, "the same encoded frames went to both")

	phase("Anna leaves")
	require.NoError(t, anna.phone.Hangup(ctx))
	tablet.inCallWith(t, "tablet", bobID)
	bob.inCallWith(t, "bob", dev)
	tablet.receives(t, "tablet", bobID)
	bob.receives(t, "bob", dev)

	phase("the tablet adds Carl")
	require.NoError(t, tablet.phone.Add(ctx, carlID))
	carl.inCallWith(t, "carl", dev, bobID)
	tablet.inCallWith(t, "tablet", bobID, carlID)
	bob.inCallWith(t, "bob", dev, carlID)
	phase("Carl receives")
	carl.receives(t, "carl", dev, bobID)
	bob.receives(t, "bob", carlID)
	tablet.receives(t, "tablet", carlID)

	phase("the tablet leaves")
	require.NoError(t, tablet.phone.Hangup(ctx))
	bob.inCallWith(t, "bob", carlID)
	bob.receives(t, "bob", carlID)
	carl.receives(t, "carl", bobID)
	phase("Bob leaves")
	require.NoError(t, bob.phone.Hangup(ctx))
	testkit.Eventually(t, "the call over for Carl", func() bool { return carl.phone.Snapshot().Call.State == call.Ended })
}

// The real kiosk binary on a virtual display in a three-way call: Anna calls the patient (the
// kiosk answers by itself), Bob joins; the kiosk shows the two side by side, each tile's
// picture moving. The screenshot goes to $BEDSIDE_E2E_SHOTS/kiosk-three-way.png.
func TestKioskGroupCallWithEnginesUnderXvfb(t *testing.T) {
	for _, tool := range []string{"Xvfb", "import"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (make deps-test installs it)", tool)
		}
	}
	bin := buildKiosk(t)
	w := wardtest.Start(t, wardtest.Options{})
	display := startXvfb(t)
	launchKiosk(t, bin, display, []string{"-server", w.URL, "-data", t.TempDir(), "-media", "test",
		"-pair", w.Demo.PairingCode, "-auto-answer"}, nil)
	ctx := context.Background()
	_, bobToken := newContactLink(t, w, "Bob")
	anna := startGroupEngine(t, w, call.Config{FamilyToken: w.Demo.FamilyToken})
	bob := startGroupEngine(t, w, call.Config{FamilyToken: bobToken})
	testkit.Eventually(t, "the kiosk online", func() bool { return anna.phone.Snapshot().Config.DeviceOnline })

	callID, err := anna.phone.Dial(ctx, "")
	require.NoError(t, err)
	anna.inCallWith(t, "anna", signal.DevicePeer) // after the kiosk's five-second countdown
	testkit.Eventually(t, "bob sees the call live", func() bool { return bob.phone.Snapshot().Live.CanJoin })
	require.NoError(t, bob.phone.Join(ctx, callID))
	bob.inCallWith(t, "bob", signal.DevicePeer, w.Demo.ContactID)
	anna.receives(t, "anna", signal.DevicePeer)
	bob.receives(t, "bob", signal.DevicePeer)

	// Two tiles side by side (1280x800): both pictures move.
	var left, right float64
	testkit.Eventually(t, "both tiles' pictures move", func() bool {
		a := grab(t, display)
		time.Sleep(time.Second)
		b := grab(t, display)
		left = changedIn(a, b, image.Rect(100, 200, 540, 550))
		right = changedIn(a, b, image.Rect(740, 250, 1180, 550))
		return left > 0.01 && right > 0.01
	})
	t.Logf("changed in a second: %.1f%% of the left tile, %.1f%% of the right", 100*left, 100*right)
	shot(t, display, "kiosk-three-way.png")
	require.NoError(t, anna.phone.Hangup(ctx))
	bob.inCallWith(t, "bob", signal.DevicePeer)
}

// changedIn is the fraction of the pixels of r that differ clearly between a and b.
func changedIn(a, b image.Image, r image.Rectangle) float64 {
	changed, total := 0, 0
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			total++
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if diff(r1, r2)+diff(g1, g2)+diff(b1, b2) > 3*0x1000 {
				changed++
			}
		}
	}
	return float64(changed) / float64(total)
}
