package media

import (
	"bedside/internal/testkit"
	"context"
	"image"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingAudio is the tone with a pause and a read counter.
type countingAudio struct {
	*toneAudio
	reads, pauses, resumes atomic.Int64
}

func (s *countingAudio) read() ([]int16, error) { s.reads.Add(1); return s.toneAudio.read() }
func (s *countingAudio) pause() error           { s.pauses.Add(1); return s.toneAudio.pause() }
func (s *countingAudio) resume() error          { s.resumes.Add(1); return nil }

// newCountingLocal is a test Local whose sources count what is asked of them.
func newCountingLocal(t *testing.T) (*Local, *pausingSource, *countingAudio) {
	t.Helper()
	const w, h, fps = 160, 120, 30
	src := &pausingSource{tickerVideo: newTickerVideo(w, h, fps)}
	tone := &countingAudio{toneAudio: newToneAudio(440)}
	l, err := newLocal(nil, w, h, fps, src, tone)
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l, src, tone
}

// TestIdleLocalDoesNothing checks that a started Local with no peer and no preview neither
// captures nor encodes (counters, not timings: nothing is read from the sources at all), and
// that its camera and microphone are closed.
func TestIdleLocalDoesNothing(t *testing.T) {
	l, cam, mic := newCountingLocal(t)
	require.NoError(t, l.Start(context.Background()))
	testkit.Eventually(t, "the camera and the microphone closed", func() bool {
		return cam.paused.Load() && mic.pauses.Load() == 1
	})
	time.Sleep(300 * time.Millisecond) // ten frames' time: none may be made
	s := l.Stats()
	assert.Zero(t, s.VideoCaptured, "no picture captured")
	assert.Zero(t, s.VideoFrames, "no frame encoded")
	assert.Zero(t, s.AudioPackets, "no sound encoded")
	assert.Zero(t, s.VideoPeers)
	assert.Zero(t, cam.resumes.Load())
	assert.Zero(t, mic.reads.Load(), "the microphone is not read")
}

// TestBindingStartsAndStopsEncoding checks that a peer's binding starts the capture and the
// encoding on a keyframe, a second peer gets a keyframe of its own, and the last unbinding
// closes the camera and the microphone again.
func TestBindingStartsAndStopsEncoding(t *testing.T) {
	l, cam, mic := newCountingLocal(t)
	require.NoError(t, l.Start(context.Background()))
	testkit.Eventually(t, "idle", func() bool { return cam.paused.Load() && mic.pauses.Load() == 1 })

	l.videoBound(1)
	l.audioBound(1)
	testkit.Eventually(t, "frames and packets", func() bool {
		s := l.Stats()
		return s.VideoFrames >= 3 && s.AudioPackets >= 3
	})
	s := l.Stats()
	assert.Equal(t, 1, s.VideoPeers)
	assert.Equal(t, 1, s.AudioPeers)
	assert.GreaterOrEqual(t, s.KeyFrames, uint64(1), "the first frame is a keyframe")
	assert.False(t, cam.paused.Load(), "the camera is open")

	keys := s.KeyFrames
	l.videoBound(1) // a second peer
	testkit.Eventually(t, "a keyframe for the second peer", func() bool { return l.Stats().KeyFrames > keys })
	l.videoBound(-1)
	frames := l.Stats().VideoFrames
	testkit.Eventually(t, "still encoding for the first peer", func() bool { return l.Stats().VideoFrames > frames+2 })

	l.videoBound(-1)
	l.audioBound(-1)
	testkit.Eventually(t, "the camera and the microphone closed", func() bool {
		return cam.pauses.Load() == 2 && mic.pauses.Load() == 2
	})
	// The loops are waiting: the counters stand still.
	before := l.Stats()
	time.Sleep(300 * time.Millisecond)
	after := l.Stats()
	assert.Equal(t, before.VideoFrames, after.VideoFrames)
	assert.Equal(t, before.VideoCaptured, after.VideoCaptured)
	assert.Equal(t, before.AudioPackets, after.AudioPackets)
	assert.Zero(t, cam.readsPaused.Load(), "a closed camera is not read")
}

// TestPreviewWithoutPeer checks that a preview alone captures (even with the picture switched
// off for calls) without encoding, and that removing it closes the camera.
func TestPreviewWithoutPeer(t *testing.T) {
	l, cam, mic := newCountingLocal(t)
	l.SetVideoEnabled(false) // the patient's switch governs what is sent, not the preview
	require.NoError(t, l.Start(context.Background()))
	var previews atomic.Int64
	var size atomic.Value
	l.SetPreview(VideoSinkFunc(func(img image.Image) {
		previews.Add(1)
		size.Store(img.Bounds())
	}))
	testkit.Eventually(t, "previews", func() bool { return previews.Load() >= 3 })
	s := l.Stats()
	assert.Positive(t, s.VideoCaptured)
	assert.Zero(t, s.VideoFrames, "nothing encoded")
	assert.Zero(t, s.AudioPackets)
	assert.Equal(t, image.Rect(0, 0, 160, 120), size.Load())
	assert.Zero(t, mic.reads.Load(), "the microphone stays closed")

	l.SetPreview(nil)
	testkit.Eventually(t, "the camera closed", func() bool { return cam.paused.Load() })
	n := l.Stats().VideoCaptured
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, n, l.Stats().VideoCaptured, "no capture once the preview is gone")
}

// TestSelfViewOnlyInCall checks that the self-view of a call gets pictures while they are
// encoded, and does not keep the camera on without a peer.
func TestSelfViewOnlyInCall(t *testing.T) {
	l, cam, _ := newCountingLocal(t)
	var views atomic.Int64
	l.SetSelfView(VideoSinkFunc(func(image.Image) { views.Add(1) }))
	require.NoError(t, l.Start(context.Background()))
	testkit.Eventually(t, "idle", func() bool { return cam.paused.Load() })
	assert.Zero(t, l.Stats().VideoCaptured)

	l.videoBound(1)
	testkit.Eventually(t, "the self-view in the call", func() bool { return views.Load() >= 3 })
	l.videoBound(-1)
	testkit.Eventually(t, "the camera closed after the call", func() bool { return cam.pauses.Load() == 2 })
	n := views.Load()
	time.Sleep(200 * time.Millisecond)
	assert.Equal(t, n, views.Load())
}
