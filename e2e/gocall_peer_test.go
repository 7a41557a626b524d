package e2e

import (
	"context"
	"image"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/call/media"
	"bedside/provisioning"
)

// goPeer is the Go call engine at one end of a call, as the tablet (enrolled with the demo bed's
// pairing code) or as a family member (with a family link token), sending the synthetic picture
// and tone and counting what it decodes of the other end.
type goPeer struct {
	phone  *call.Phone
	frames atomic.Int64
	audio  atomic.Int64 // decoded samples per channel

	mu       sync.Mutex
	lastCall call.Event // the newest call event
	ended    []call.Event
}

// newGoTablet enrolls a fresh identity with the ward's pairing code and connects it.
func newGoTablet(t *testing.T, w *ward) *goPeer {
	t.Helper()
	id, err := provisioning.LoadOrCreateIdentity(filepath.Join(t.TempDir(), "identity"))
	require.NoError(t, err)
	_, err = provisioning.Enroll(context.Background(), w.url, w.demo.PairingCode, id, "go tablet", "test")
	require.NoError(t, err)
	return startGoPeer(t, w, call.Config{Signer: id})
}

// newGoFamily connects with the demo contact's family link.
func newGoFamily(t *testing.T, w *ward) *goPeer {
	t.Helper()
	return startGoPeer(t, w, call.Config{FamilyToken: w.demo.FamilyToken})
}

func startGoPeer(t *testing.T, w *ward, cfg call.Config) *goPeer {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	local, err := media.NewTest(media.TestOptions{})
	require.NoError(t, err)
	require.NoError(t, local.Start(ctx))
	p := &goPeer{}
	cfg.ServerURL = w.wsURL()
	cfg.Media = local
	cfg.RemoteVideo = media.VideoSinkFunc(func(image.Image) { p.frames.Add(1) })
	cfg.RemoteAudio = media.AudioSinkFunc(func(pcm []int16, _, ch int) { p.audio.Add(int64(len(pcm) / max(ch, 1))) })
	cfg.LoopbackOnly = true
	cfg.Logger = testLogger(t)
	p.phone, err = call.New(cfg)
	require.NoError(t, err)
	ran := make(chan error, 1)
	go func() { ran <- p.phone.Run(ctx) }()
	go func() {
		for e := range p.phone.Events() {
			if e.Kind != call.EventCall {
				continue
			}
			p.mu.Lock()
			p.lastCall = e
			if e.State == call.Ended || e.State == call.Failed {
				p.ended = append(p.ended, e)
			}
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		cancel()
		require.NoError(t, <-ran)
		require.NoError(t, local.Close())
	})
	eventually(t, "the phone connects to the server", p.phone.Connected)
	return p
}

// last returns the newest call event.
func (p *goPeer) last() call.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.lastCall
}

// endings returns the Ended and Failed events so far.
func (p *goPeer) endings() []call.Event {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]call.Event(nil), p.ended...)
}

// ringingCall waits until an incoming call rings here and returns its id.
func (p *goPeer) ringingCall(t *testing.T) string {
	t.Helper()
	eventually(t, "an incoming call rings", func() bool {
		e := p.last()
		return e.State == call.Ringing && e.Direction == call.Incoming
	})
	return p.last().Call
}

// resetCounts forgets what was decoded so far, before the next call.
func (p *goPeer) resetCounts() {
	p.frames.Store(0)
	p.audio.Store(0)
}

// waitMedia waits until this end has decoded at least frames video frames and some audio.
func (p *goPeer) waitMedia(t *testing.T, who string, frames int64) {
	t.Helper()
	eventually(t, who+" decodes video and audio", func() bool {
		return p.frames.Load() >= frames && p.audio.Load() > 48000/2
	})
}
