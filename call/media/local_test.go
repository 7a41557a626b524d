package media

import (
	"bedside/internal/testkit"
	"context"
	"errors"
	"image"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

// bindBoth does what a peer connection adding both tracks does once it sends them.
func bindBoth(l *Local) {
	l.videoBound(1)
	l.audioBound(1)
}

func TestLocalStartClose(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	l, err := NewTest(TestOptions{Width: 320, Height: 240})
	require.NoError(t, err)

	assert.Equal(t, "video", l.VideoTrack().ID())
	assert.Equal(t, "bedside", l.VideoTrack().StreamID())
	assert.Equal(t, "video/VP8", l.VideoTrack().Codec().MimeType)
	assert.Equal(t, uint32(90000), l.VideoTrack().Codec().ClockRate)
	assert.Equal(t, "audio", l.AudioTrack().ID())
	assert.Equal(t, "bedside", l.AudioTrack().StreamID())
	assert.Equal(t, "audio/opus", l.AudioTrack().Codec().MimeType)
	assert.Equal(t, uint32(48000), l.AudioTrack().Codec().ClockRate)
	assert.Equal(t, uint16(2), l.AudioTrack().Codec().Channels)

	var previews atomic.Int64
	var previewSize atomic.Value
	l.SetPreview(VideoSinkFunc(func(img image.Image) {
		previews.Add(1)
		previewSize.Store(img.Bounds())
	}))

	bindBoth(l)
	require.NoError(t, l.Start(context.Background()))
	assert.ErrorIs(t, l.Start(context.Background()), ErrStarted)

	testkit.Eventually(t, "frames and packets", func() bool {
		s := l.Stats()
		return s.VideoFrames >= 5 && s.AudioPackets >= 5 && previews.Load() >= 2
	})
	s := l.Stats()
	assert.GreaterOrEqual(t, s.KeyFrames, uint64(1), "the stream starts with a keyframe")
	assert.Greater(t, s.VideoBytes, uint64(0))
	assert.Greater(t, s.AudioBytes, uint64(0))
	assert.Equal(t, 320, s.Width)
	assert.Equal(t, 240, s.Height)
	assert.Greater(t, s.MeanEncodeTime(), time.Duration(0))
	assert.Greater(t, s.EncodeCPU, time.Duration(0), "the encoder's thread CPU time is counted")
	assert.LessOrEqual(t, s.EncodeCPU, s.EncodeTime+time.Millisecond, "CPU time within wall-clock time")
	assert.Equal(t, image.Rect(0, 0, 320, 240), previewSize.Load())

	keys := s.KeyFrames
	l.RequestKeyFrame()
	testkit.Eventually(t, "a keyframe after RequestKeyFrame", func() bool { return l.Stats().KeyFrames > keys })

	assert.Equal(t, VideoBitRateFor(320, 240), s.VideoBitRate)
	l.SetVideoBitRate(200_000)
	testkit.Eventually(t, "the new bit rate", func() bool { return l.Stats().VideoBitRate == 200_000 })
	l.SetVideoBitRate(1)
	testkit.Eventually(t, "the bit rate clamped", func() bool { return l.Stats().VideoBitRate == MinVideoBitRate })
	l.SetVideoBitRate(10_000_000) // the encoder and congestion control share one upper bound
	testkit.Eventually(t, "the bit rate clamped", func() bool { return l.Stats().VideoBitRate == MaxVideoBitRate })

	l.SetVideoEnabled(false)
	l.SetAudioEnabled(false)
	frames := l.Stats().VideoFrames
	testkit.Eventually(t, "black frames while the camera is off", func() bool { return l.Stats().VideoFrames > frames+1 })
	l.SetVideoEnabled(true)
	l.SetAudioEnabled(true)
	l.SetPreview(nil)

	require.NoError(t, l.Close())
	require.NoError(t, l.Close())
	assert.ErrorIs(t, l.Start(context.Background()), ErrClosed)
	goleak.VerifyNone(t, leaks) // Start/Close leaves no goroutine behind
}

func TestLocalStopsWithContext(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	l, err := NewTest(TestOptions{Width: 160, Height: 120, FPS: 15})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	bindBoth(l)
	require.NoError(t, l.Start(ctx))
	testkit.Eventually(t, "frames", func() bool { return l.Stats().VideoFrames >= 2 })
	cancel()
	// The loops end on their own once ctx is done; Close then only frees.
	goleak.VerifyNone(t, leaks)
	require.NoError(t, l.Close())
}

func TestLocalCloseWithoutStart(t *testing.T) {
	leaks := goleak.IgnoreCurrent()
	l, err := NewTest(TestOptions{})
	require.NoError(t, err)
	require.NoError(t, l.Close())
	goleak.VerifyNone(t, leaks)
}

func TestLocalStartWithDoneContext(t *testing.T) {
	l, err := NewTest(TestOptions{Width: 160, Height: 120})
	require.NoError(t, err)
	defer l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	assert.ErrorIs(t, l.Start(ctx), context.Canceled)
}

func TestNewTestBadOptions(t *testing.T) {
	for _, o := range []TestOptions{
		{Width: 641, Height: 480},
		{Width: -2, Height: 480},
		{Width: 640, Height: 0},
		{Width: 8192, Height: 480},
		{FPS: 1000},
		{FPS: -1},
		{ToneHz: -5},
		{ToneHz: 30000},
	} {
		_, err := NewTest(o)
		assert.ErrorIs(t, err, ErrBadOptions, "%+v", o)
	}
}

// pausingSource is the test pattern with the pause/resume of a camera, counting the calls.
type pausingSource struct {
	*tickerVideo
	pauses, resumes atomic.Int64
	paused          atomic.Bool
	readsPaused     atomic.Int64 // reads while paused: must stay 0
	resumeFails     atomic.Int64 // resumes that fail before one succeeds
}

func (s *pausingSource) pause() error { s.pauses.Add(1); s.paused.Store(true); return nil }
func (s *pausingSource) resume() error {
	s.resumes.Add(1)
	if s.resumeFails.Add(-1) >= 0 {
		return errors.New("camera busy")
	}
	s.paused.Store(false)
	return nil
}
func (s *pausingSource) read() (image.Image, func(), error) {
	if s.paused.Load() {
		s.readsPaused.Add(1)
	}
	return s.tickerVideo.read()
}

// TestCameraOffReleasesSource checks that turning the picture off pauses a camera-like source
// (so the camera light goes off), sends black frames meanwhile, and resumes it when turned on.
func TestCameraOffReleasesSource(t *testing.T) {
	const w, h, fps = 160, 120, 30
	src := &pausingSource{tickerVideo: &tickerVideo{pat: newTestPattern(w, h), period: time.Second / fps, done: make(chan struct{})}}
	tone := newToneAudio(440)
	l, err := newLocal(nil, w, h, fps, src, tone)
	require.NoError(t, err)
	defer l.Close()

	var black atomic.Bool
	l.SetPreview(VideoSinkFunc(func(img image.Image) {
		y := img.(*image.YCbCr)
		black.Store(y.Y[0] == 16 && y.Y[len(y.Y)-1] == 16)
	}))
	bindBoth(l)
	require.NoError(t, l.Start(context.Background()))
	testkit.Eventually(t, "frames", func() bool { return l.Stats().VideoFrames >= 3 })

	l.SetVideoEnabled(false)
	testkit.Eventually(t, "the source paused", func() bool { return src.pauses.Load() == 1 })
	frames := l.Stats().VideoFrames
	testkit.Eventually(t, "black frames while off", func() bool { return l.Stats().VideoFrames >= frames+2 && black.Load() })
	assert.Equal(t, int64(0), src.readsPaused.Load(), "a paused source is not read")

	keys := l.Stats().KeyFrames
	dropped := l.Stats().VideoDropped
	src.resumeFails.Store(2)
	l.SetVideoEnabled(true)
	testkit.Eventually(t, "the source resumed after two failures", func() bool { return src.resumes.Load() == 3 })
	assert.Equal(t, dropped+2, l.Stats().VideoDropped)
	testkit.Eventually(t, "a keyframe and the picture again", func() bool { return l.Stats().KeyFrames > keys && !black.Load() })
	assert.Equal(t, int64(1), src.pauses.Load())
}

// flakySource fails its first reads, like a camera being plugged in.
type flakySource struct {
	*tickerVideo
	failures atomic.Int64
}

func (s *flakySource) read() (image.Image, func(), error) {
	if s.failures.Add(-1) >= 0 {
		return nil, nil, errors.New("camera unplugged")
	}
	return s.tickerVideo.read()
}

func TestVideoSourceErrors(t *testing.T) {
	const w, h, fps = 160, 120, 30
	src := &flakySource{tickerVideo: &tickerVideo{pat: newTestPattern(w, h), period: time.Second / fps, done: make(chan struct{})}}
	src.failures.Store(3)
	tone := newToneAudio(440)
	l, err := newLocal(nil, w, h, fps, src, tone)
	require.NoError(t, err)
	bindBoth(l)
	require.NoError(t, l.Start(context.Background()))
	testkit.Eventually(t, "the picture after the errors", func() bool { return l.Stats().VideoFrames >= 8 })
	s := l.Stats()
	assert.Equal(t, uint64(3), s.VideoDropped)
	assert.Equal(t, w, s.Width)
	require.NoError(t, l.Close())
}
