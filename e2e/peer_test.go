package e2e

import (
	"bedside/internal/testkit"
	"context"
	"image"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/call/media"
	"bedside/call/signal"
	"bedside/provisioning"
)

// peer is the Go call engine at one end of a call, as the demo bed's tablet or as the demo
// contact's family member. It sends the synthetic picture and tone (640x480, 30 fps), counts
// what it decodes of the other end, and keeps its call events.
type peer struct {
	phone  *call.Phone
	stop   func()       // disconnects the phone and waits for it; the test's end does it too
	frames atomic.Int64 // decoded video frames
	audio  atomic.Int64 // decoded audio samples, per channel

	mu       sync.Mutex
	lastCall call.CallInfo   // the newest call state seen
	ended    []call.CallInfo // each call's end, once
}

// peerOption changes the engine's configuration.
type peerOption func(*call.Config)

// autoAnswer makes the peer answer every call by itself, as a tablet set to do so does.
func autoAnswer(c *call.Config) { c.AutoAnswer = true }

// newTablet enrolls a fresh identity with the demo bed's pairing code and connects it.
func newTablet(tb testing.TB, w *ward, opts ...peerOption) *peer {
	tb.Helper()
	id, err := provisioning.LoadOrCreateIdentity(filepath.Join(tb.TempDir(), "identity"))
	require.NoError(tb, err)
	_, err = provisioning.Enroll(context.Background(), w.url, w.demo.PairingCode, id, "go tablet", "test")
	require.NoError(tb, err)
	return startPeer(tb, w, call.Config{Signer: id}, opts)
}

// newFamily connects with the demo contact's family link.
func newFamily(tb testing.TB, w *ward, opts ...peerOption) *peer {
	tb.Helper()
	return startPeer(tb, w, call.Config{FamilyToken: w.demo.FamilyToken}, opts)
}

func startPeer(tb testing.TB, w *ward, cfg call.Config, opts []peerOption) *peer {
	tb.Helper()
	return startPeerWith(tb, w, cfg, media.TestOptions{}, opts)
}

// startPeerWith is startPeer with a test source of the given size and rate.
func startPeerWith(tb testing.TB, w *ward, cfg call.Config, src media.TestOptions, opts []peerOption) *peer {
	tb.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	local, err := media.NewTest(src)
	require.NoError(tb, err)
	require.NoError(tb, local.Start(ctx))
	p := &peer{}
	cfg.ServerURL = w.wsURL()
	cfg.Media = local
	cfg.RemoteVideo = media.VideoSinkFunc(func(image.Image) { p.frames.Add(1) })
	cfg.RemoteAudio = media.AudioSinkFunc(func(pcm []int16, _, ch int) { p.audio.Add(int64(len(pcm) / max(ch, 1))) })
	cfg.LoopbackOnly = true
	cfg.Logger = testLogger(tb)
	for _, opt := range opts {
		opt(&cfg)
	}
	p.phone, err = call.New(cfg)
	require.NoError(tb, err)
	ran := make(chan error, 1)
	go func() { ran <- p.phone.Run(ctx) }()
	go p.track()
	p.stop = sync.OnceFunc(func() {
		cancel()
		require.NoError(tb, <-ran)
		require.NoError(tb, local.Close())
	})
	tb.Cleanup(p.stop)
	testkit.Eventually(tb, "the phone connects to the server", p.phone.Connected)
	return p
}

// track follows the phone's snapshots until the phone closes its channel.
func (p *peer) track() {
	for s := range p.phone.Updates() {
		c := s.Call
		if c.ID == "" {
			continue
		}
		p.mu.Lock()
		if (c.State == call.Ended || c.State == call.Failed) &&
			(c.ID != p.lastCall.ID || c.State != p.lastCall.State) {
			p.ended = append(p.ended, c)
		}
		p.lastCall = c
		p.mu.Unlock()
	}
}

// last returns the newest call state.
func (p *peer) last() call.CallInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastCall
}

// endings returns each call's end so far.
func (p *peer) endings() []call.CallInfo {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]call.CallInfo(nil), p.ended...)
}

// ringingCall waits until an incoming call rings here and returns its id.
func (p *peer) ringingCall(tb testing.TB) string {
	tb.Helper()
	testkit.Eventually(tb, "an incoming call rings", func() bool {
		e := p.last()
		return e.State == call.Ringing && e.Direction == call.Incoming
	})
	return p.last().ID
}

// resetCounts forgets what was decoded so far, before the next call.
func (p *peer) resetCounts() {
	p.frames.Store(0)
	p.audio.Store(0)
}

// waitMedia waits until this end has decoded at least frames video frames and half a second
// of audio.
func (p *peer) waitMedia(tb testing.TB, who string, frames int64) {
	tb.Helper()
	testkit.Eventually(tb, who+" decodes video and audio", func() bool {
		return p.frames.Load() >= frames && p.audio.Load() > 48000/2
	})
}

// waitIdle waits until every peer is back to Idle.
func waitIdle(tb testing.TB, peers ...*peer) {
	tb.Helper()
	testkit.Eventually(tb, "the phones are idle again", func() bool {
		for _, p := range peers {
			if p.phone.State() != call.Idle {
				return false
			}
		}
		return true
	})
}

// assertEnded checks that each peer's last ending carried reason.
func assertEnded(tb testing.TB, reason signal.Reason, peers ...*peer) {
	tb.Helper()
	for _, p := range peers {
		ends := p.endings()
		if assert.NotEmpty(tb, ends) {
			assert.Equal(tb, reason, ends[len(ends)-1].Reason)
		}
	}
}

// waitOnline waits until this tablet sees the contact online.
func (p *peer) waitOnline(tb testing.TB, contactID string) {
	tb.Helper()
	testkit.Eventually(tb, "the tablet sees the family online", func() bool {
		for _, k := range p.phone.Config().Contacts {
			if k.ID == contactID {
				return k.Online
			}
		}
		return false
	})
}

// dial calls the contact (a tablet) or the patient (a family member, contactID ""), and
// returns the call's id.
func (p *peer) dial(tb testing.TB, contactID string) string {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	id, err := p.phone.Dial(ctx, contactID)
	require.NoError(tb, err)
	return id
}
