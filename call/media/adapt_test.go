package media

import (
	"bedside/internal/testkit"
	"image"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVideoAdapterSteps(t *testing.T) {
	t0 := time.Unix(1000, 0)
	for _, tc := range []struct {
		name  string
		bps   int
		scale int
		fps   int
		pause bool
	}{
		{"a good link", 2_000_000, 1, 30, false},
		{"600 kbit/s", 600_000, 1, 30, false},
		{"400 kbit/s", 400_000, 1, 30, false},
		{"300 kbit/s: fewer frames", 300_000, 1, 15, false},
		{"200 kbit/s: a smaller picture", 200_000, 2, 15, false},
		{"150 kbit/s", 150_000, 2, 15, false},
		{"100 kbit/s: the smallest", 100_000, 4, 10, false},
		{"80 kbit/s: sound only", 80_000, 1, 30, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := videoAdapter{captureFPS: 30}
			s := a.update(tc.bps, t0)
			assert.Equal(t, tc.pause, s.Paused)
			if !tc.pause {
				assert.Equal(t, tc.scale, s.Scale)
				assert.Equal(t, tc.fps, s.FPS)
				assert.LessOrEqual(t, s.BitRate, tc.bps-audioShare+1)
				assert.GreaterOrEqual(t, s.BitRate, MinVideoBitRate)
			}
		})
	}
}

// Down at once (to sound only once the estimate stayed that low for pauseAfter), up one step at
// a time, each after the better estimate lasted stepUpAfter.
func TestVideoAdapterHysteresis(t *testing.T) {
	now := time.Unix(1000, 0)
	a := videoAdapter{captureFPS: 30}
	require.False(t, a.update(2_000_000, now).Paused)
	s := a.update(60_000, now)
	require.False(t, s.Paused, "down at once, to the smallest step first")
	require.Equal(t, 4, s.Scale)
	require.False(t, a.update(60_000, now.Add(pauseAfter-time.Millisecond)).Paused)
	now = now.Add(pauseAfter)
	require.True(t, a.update(60_000, now).Paused, "sound only once it lasted")
	now = now.Add(time.Second)
	require.True(t, a.update(2_000_000, now).Paused, "not up at once")
	now = now.Add(stepUpAfter - time.Millisecond)
	require.True(t, a.update(2_000_000, now).Paused)
	now = now.Add(time.Millisecond)
	s = a.update(2_000_000, now)
	require.False(t, s.Paused, "up after the estimate lasted")
	require.Equal(t, 4, s.Scale, "one step at a time")
	for range 3 {
		now = now.Add(stepUpAfter)
		s = a.update(2_000_000, now)
	}
	require.Equal(t, VideoStep{Scale: 1, FPS: 30, BitRate: MaxVideoBitRate}, s)
	// A dip resets the wait.
	a.update(60_000, now)
	now = now.Add(stepUpAfter)
	a.update(2_000_000, now)
	a.update(60_000, now.Add(time.Second))
	require.Equal(t, 4, a.update(2_000_000, now.Add(stepUpAfter)).Scale)
}

// A dip below AudioOnlyBitRate shorter than pauseAfter (a busy CPU, a burst of loss) keeps the
// smallest picture; a dip that lasts pauses it.
func TestVideoAdapterRidesOutADip(t *testing.T) {
	now := time.Unix(1000, 0)
	a := videoAdapter{captureFPS: 30}
	require.False(t, a.update(400_000, now).Paused)
	for i := range 5 {
		s := a.update(40_000, now.Add(time.Duration(i)*500*time.Millisecond))
		require.False(t, s.Paused, "a dip of %d ms", i*500)
		require.Equal(t, 4, s.Scale)
	}
	now = now.Add(2500 * time.Millisecond)
	require.Equal(t, 4, a.update(120_000, now).Scale, "back over: the dip is forgotten")
	now = now.Add(time.Second)
	require.False(t, a.update(40_000, now).Paused)
	require.False(t, a.update(40_000, now.Add(pauseAfter-time.Millisecond)).Paused, "a new dip, timed anew")
	require.True(t, a.update(40_000, now.Add(pauseAfter)).Paused)
}

// While paused, the video tries the smallest step now and then, so that congestion control
// sees traffic and can find that the link recovered; a probe that finds nothing pauses again.
func TestVideoAdapterProbes(t *testing.T) {
	now := time.Unix(1000, 0)
	a := videoAdapter{captureFPS: 30}
	require.True(t, a.update(60_000, now).Paused)
	now = now.Add(probeEvery - time.Second)
	require.True(t, a.update(60_000, now).Paused, "no probe yet")
	now = now.Add(time.Second)
	s := a.update(60_000, now)
	require.False(t, s.Paused, "a probe")
	require.Equal(t, 4, s.Scale)
	require.Equal(t, ladder[len(ladder)-1].minBPS, s.BitRate,
		"a probe sends what the step needs, more than the estimate leaves (its point is to raise it)")
	s = a.update(70_000, now.Add(probeFor-time.Millisecond))
	require.False(t, s.Paused, "the probe lasts while the estimate holds")
	now = now.Add(probeFor)
	require.True(t, a.update(70_000, now).Paused, "it found nothing: paused again")
	require.True(t, a.update(60_000, now.Add(probeEvery-time.Millisecond)).Paused)

	// A probe whose estimate falls (the link cannot carry it) ends at once.
	now = now.Add(probeEvery)
	require.False(t, a.update(60_000, now).Paused)
	require.False(t, a.update(61_000, now.Add(time.Second)).Paused)
	now = now.Add(2 * time.Second)
	require.True(t, a.update(50_000, now).Paused, "the estimate fell: paused again")
	require.True(t, a.update(60_000, now.Add(probeEvery-time.Millisecond)).Paused, "the next probe comes later")

	// The next probe finds a better link: the video stays, and steps up as usual.
	now = now.Add(probeEvery)
	require.False(t, a.update(60_000, now).Paused)
	require.False(t, a.update(150_000, now.Add(time.Second)).Paused)
	require.False(t, a.update(150_000, now.Add(probeFor+time.Second)).Paused, "no longer a probe")
}

func TestDownscale(t *testing.T) {
	src := newTestPattern(640, 480).next()
	half := downscale(nil, src, 2)
	require.Equal(t, image.Rect(0, 0, 320, 240), half.Rect)
	quarter := downscale(nil, src, 4)
	require.Equal(t, image.Rect(0, 0, 160, 120), quarter.Rect)
	// The mean brightness survives the box filter.
	mean := func(p *image.YCbCr) int {
		sum := 0
		for y := range p.Rect.Dy() {
			for x := range p.Rect.Dx() {
				sum += int(p.Y[y*p.YStride+x])
			}
		}
		return sum / (p.Rect.Dx() * p.Rect.Dy())
	}
	assert.InDelta(t, mean(src), mean(half), 2)
	assert.InDelta(t, mean(src), mean(quarter), 2)
	assert.Same(t, half, downscale(half, src, 2), "the buffer is reused")
	assert.Same(t, src, downscale(nil, src, 1))
	odd := downscale(nil, newTestPattern(62, 46).next(), 4)
	assert.Equal(t, image.Rect(0, 0, 14, 10), odd.Rect, "even sizes")
}

// A Local told that the link shrank sends a smaller picture, then none (the sound goes on),
// and comes back when the link recovers.
func TestLocalFollowsTheLink(t *testing.T) {
	l, err := NewTest(TestOptions{Width: 640, Height: 480, FPS: 30})
	require.NoError(t, err)
	require.NoError(t, l.Start(t.Context()))
	defer l.Close()
	bindBoth(l)
	testkit.Eventually(t, "full-size frames", func() bool { return l.Stats().Width == 640 })

	l.SetLinkRate(200_000)
	testkit.Eventually(t, "a smaller picture", func() bool { s := l.Stats(); return s.Width == 320 && s.Step.Scale == 2 })

	l.SetLinkRate(60_000)
	testkit.Eventually(t, "video paused", func() bool { return l.Stats().Step.Paused })
	frames, packets := l.Stats().VideoFrames, l.Stats().AudioPackets
	testkit.Eventually(t, "a second of sound", func() bool { return l.Stats().AudioPackets > packets+50 })
	assert.LessOrEqual(t, l.Stats().VideoFrames, frames+1, "no video while paused")

	l.SetLinkRate(2_000_000) // one step up after stepUpAfter of a better link
	testkit.Eventually(t, "video back", func() bool { s := l.Stats(); return !s.Step.Paused && s.VideoFrames > frames+5 })
}
