package media

import (
	"image"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// encodeAt gives l's encoder the next picture of pat as the video loop does, captured at now,
// as if a peer were bound (the track has none: the sample goes nowhere).
func encodeAt(l *Local, st *videoState, pat *testPattern, now time.Time) {
	l.statsMu.Lock()
	l.stats.VideoCaptured++
	l.statsMu.Unlock()
	l.encode(st, pat.next(), now)
}

func newEncodeBench(t *testing.T) (*Local, *videoState, *testPattern) {
	t.Helper()
	l, err := NewTest(TestOptions{Width: 320, Height: 240, FPS: 30})
	require.NoError(t, err)
	t.Cleanup(func() { _ = l.Close() })
	return l, &videoState{size: image.Rect(0, 0, 320, 240)}, newTestPattern(320, 240)
}

// TestKeyFrameRequestsServedTogether: four peers of a group call ask for a keyframe, each at
// its own frame (they joined, or lost a frame, at slightly different times), again and again
// for a second. Encoding once for all of them, the encoder makes one keyframe per
// minKeyFrameInterval, not one per request, and a request made just after a keyframe is not
// lost: it is served by the first frame once the interval has passed.
func TestKeyFrameRequestsServedTogether(t *testing.T) {
	l, st, pat := newEncodeBench(t)
	var keys []int
	l.SetEncodeObserver(func(r EncodeRecord) {
		if r.KeyFrame {
			keys = append(keys, int(r.Picture))
		}
	})
	t0 := time.Unix(1_000_000, 0)
	frame := func(i int) time.Time { return t0.Add(time.Duration(i) * time.Second / 30) }
	const peers = 4
	for i := range 30 {
		l.RequestKeyFrame() // peer i%peers asks
		encodeAt(l, st, pat, frame(i))
	}
	// Pictures 1 (the first), 10, 19 and 28: nine frames (300 ms) apart at 30 fps.
	assert.Equal(t, []int{1, 10, 19, 28}, keys)
	s := l.Stats()
	assert.Equal(t, uint64(30), s.VideoFrames, "every picture encoded once")
	assert.Equal(t, uint64(4), s.KeyFrames)
	assert.Equal(t, uint64(30), s.KeyRequests)

	// The requests made since keyframe 28 are still pending: picture 37, 300 ms after it,
	// serves them. A request just after that one waits, and is served by picture 46.
	keys = nil
	for i := 30; i < 50; i++ {
		encodeAt(l, st, pat, frame(i))
		if i == 36 {
			l.RequestKeyFrame()
		}
	}
	assert.Equal(t, []int{37, 46}, keys)
}

// TestReplayRepeatsTheEncoderWork: the records of a Local's encoder (with a bit-rate change,
// a step down to half size and forced keyframes) replayed by ReplayTestPattern make the same
// keyframes and the same bytes, so a replay under an instruction counter measures the work
// the Local's encoder did.
func TestReplayRepeatsTheEncoderWork(t *testing.T) {
	l, st, pat := newEncodeBench(t)
	var recs []EncodeRecord
	l.SetEncodeObserver(func(r EncodeRecord) { recs = append(recs, r) })
	t0 := time.Unix(1_000_000, 0)
	for i := range 40 {
		switch i {
		case 5, 12:
			l.RequestKeyFrame()
		case 15:
			l.SetVideoBitRate(200_000)
		case 25:
			l.step = VideoStep{Scale: 2, FPS: 30}
		}
		encodeAt(l, st, pat, t0.Add(time.Duration(i)*time.Second/30))
	}
	s := l.Stats()
	require.Len(t, recs, 40)
	assert.Equal(t, uint64(1), s.BitRateChanges)
	assert.Equal(t, uint64(1), s.EncoderResets)
	assert.Equal(t, 160, recs[39].Width)

	keys, bytes, err := ReplayTestPattern(320, 240, 30, recs)
	require.NoError(t, err)
	assert.Equal(t, int(s.KeyFrames), keys)
	assert.Equal(t, int(s.VideoBytes), bytes)
}
