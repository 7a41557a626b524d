package media

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestPlayerDevice opens the machine's output device. CI machines have none: there it checks
// that NewPlayer says so clearly (TestAudioDevicesOnALSANull plays on ALSA's null device, so
// the device code runs everywhere).
func TestPlayerDevice(t *testing.T) {
	p, err := NewPlayer()
	if errors.Is(err, ErrNoOutputDevice) {
		assert.Contains(t, err.Error(), "no audio output")
		return
	}
	require.NoError(t, err)
	tone := newToneGen(440, 48000)
	pcm := make([]int16, 960)
	for range 25 {
		tone.fill(pcm, 1)
		p.Samples(pcm, 48000, 1)
		time.Sleep(20 * time.Millisecond)
	}
	assert.Greater(t, p.Stats().Played, time.Duration(0))
	require.NoError(t, p.Close())
	require.NoError(t, p.Close())
	p.Samples(pcm, 48000, 1) // ignored once closed
}

// newBufferOnlyPlayer is a Player without a device: the test calls fill as the audio thread would.
func newBufferOnlyPlayer() *Player { return newMixer() }

// pull runs the audio callback for n frames and returns the stereo samples it wrote.
func pull(p *Player, n int) []int16 {
	out := make([]byte, n*playerChannels*2)
	p.fill(out, nil, uint32(n))
	pcm := make([]int16, n*playerChannels)
	for i := range pcm {
		pcm[i] = int16(binary.NativeEndian.Uint16(out[2*i:]))
	}
	return pcm
}

func TestPlayerJitterBuffer(t *testing.T) {
	p := newBufferOnlyPlayer()
	ramp := make([]int16, 960) // 20 ms mono: 1, 2, 3...
	for i := range ramp {
		ramp[i] = int16(i + 1)
	}

	// Below the target the player stays silent while it fills.
	p.Samples(ramp, 48000, 1)
	assert.Equal(t, make([]int16, 480*2), pull(p, 480))
	p.Samples(ramp, 48000, 1)
	p.Samples(ramp, 48000, 1)
	assert.Equal(t, 60*time.Millisecond, p.Stats().Buffered)

	// Then it plays in order, mono copied to both channels.
	got := pull(p, 960)
	for i := range 960 {
		require.Equal(t, ramp[i], got[2*i], "left %d", i)
		require.Equal(t, ramp[i], got[2*i+1], "right %d", i)
	}

	// Running dry plays silence and counts an underrun, then refills to the target again.
	pull(p, 960*2+100)
	s := p.Stats()
	assert.Equal(t, uint64(1), s.Underruns)
	assert.Equal(t, time.Duration(0), s.Buffered)
	p.Samples(ramp, 48000, 1)
	assert.Equal(t, make([]int16, 10*2), pull(p, 10), "refilling after an underrun")

	// Too much sound: the oldest is dropped, latency stays bounded.
	for range 50 {
		p.Samples(ramp, 48000, 1)
	}
	s = p.Stats()
	assert.LessOrEqual(t, s.Buffered, playerMax)
	assert.Greater(t, s.Dropped, time.Duration(0))
}

func TestPlayerStereoAndResample(t *testing.T) {
	p := newBufferOnlyPlayer()
	stereo := make([]int16, 2*960*3)
	for i := range 960 * 3 {
		stereo[2*i], stereo[2*i+1] = 1000, -1000
	}
	p.Samples(stereo, 48000, 2)
	got := pull(p, 100)
	assert.Equal(t, int16(1000), got[0])
	assert.Equal(t, int16(-1000), got[1])

	// 16 kHz mono: three times as many frames come out, interpolated.
	q := newBufferOnlyPlayer()
	in := make([]int16, 320*4) // 80 ms
	for i := range in {
		in[i] = int16(i * 3)
	}
	q.Samples(in, 16000, 1)
	buffered := q.Stats().Buffered
	assert.InDelta(t, float64(80*time.Millisecond), float64(buffered), float64(time.Millisecond))
	out := pull(q, 300)
	for i := 1; i < 300; i++ {
		assert.Equal(t, int16(1), out[2*i]-out[2*(i-1)], "linear ramp at %d", i)
	}

	// Bad arguments are ignored.
	r := newBufferOnlyPlayer()
	r.Samples(in, 0, 1)
	r.Samples(in, 48000, 0)
	assert.Equal(t, time.Duration(0), r.Stats().Buffered)
}

func TestPlayerMixesStreams(t *testing.T) {
	p := newBufferOnlyPlayer()
	voice := p.NewStream()
	beep := p.NewStream()
	ones := make([]int16, 960*3)
	for i := range ones {
		ones[i] = 1000
	}
	loud := make([]int16, 960*3)
	for i := range loud {
		loud[i] = 32000
	}
	voice.Samples(ones, 48000, 1)
	beep.Samples(ones, 48000, 1)
	p.Samples(loud, 48000, 1)
	got := pull(p, 100)
	assert.Equal(t, int16(32767), got[0], "the mix saturates instead of wrapping")
}

func TestPlayerStreamClose(t *testing.T) {
	p := newBufferOnlyPlayer()
	a, b := p.NewStream(), p.NewStream()
	tone := make([]int16, 960*3)
	for i := range tone {
		tone[i] = 1000
	}
	a.Samples(tone, 48000, 1)
	b.Samples(tone, 48000, 1)
	assert.Equal(t, int16(2000), pull(p, 10)[0], "two streams add up")
	require.NoError(t, a.Close())
	require.NoError(t, a.Close())
	assert.Equal(t, int16(1000), pull(p, 10)[0], "a closed stream leaves the mix")
	a.Samples(tone, 48000, 1) // ignored: not in the mix any more
	assert.Equal(t, int16(1000), pull(p, 10)[0])
	require.NoError(t, p.Close())
	b.Samples(tone, 48000, 1) // ignored once the player is closed
}
