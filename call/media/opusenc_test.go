package media

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOpusEncoderSettings reads back from libopus what the encoder was set up with.
func TestOpusEncoderSettings(t *testing.T) {
	enc, err := NewOpusEncoder()
	require.NoError(t, err)
	defer enc.Close()
	got, err := enc.settings()
	require.NoError(t, err)
	assert.Equal(t, opusSettings{fec: 1, loss: opusLossPercent, complexity: opusComplexity, signal: 3001}, got,
		"in-band FEC on, 10%% loss, complexity 5, OPUS_SIGNAL_VOICE")
}

// TestOpusEncoderBitRateChange checks that a new target shows in the packets' size.
func TestOpusEncoderBitRateChange(t *testing.T) {
	s := newOpusStream(t, 440)
	size := func() int { // mean packet size over 1 s, after 200 ms to settle
		total := 0
		for i := range 60 {
			if p := s.next(t); i >= 10 {
				total += len(p)
			}
		}
		return total / 50
	}
	def := size()
	require.NoError(t, s.enc.SetBitRate(12_000))
	low := size()
	require.NoError(t, s.enc.SetBitRate(64_000))
	high := size()
	t.Logf("mean packet: %d bytes at 12 kbit/s, %d at 32 kbit/s, %d at 64 kbit/s", low, def, high)
	assert.Less(t, low, def)
	assert.Less(t, def, high)
	assert.InDelta(t, audioBitRate/8/50, def, audioBitRate/8/50*0.25, "about 32 kbit/s")
}

func TestOpusEncoderRefusesBadInput(t *testing.T) {
	enc, err := NewOpusEncoder()
	require.NoError(t, err)
	defer enc.Close()
	for _, n := range []int{0, 1, 480, 959, 961, 1920, 5760} {
		out, err := enc.Encode([]byte{7}, make([]int16, n))
		assert.ErrorIs(t, err, ErrBadOptions, "%d samples", n)
		assert.Equal(t, []byte{7}, out)
	}
	assert.ErrorIs(t, enc.SetBitRate(5_999), ErrBadOptions)
	assert.ErrorIs(t, enc.SetBitRate(510_001), ErrBadOptions)
	out, err := enc.Encode([]byte{7}, make([]int16, OpusFrameSamples))
	require.NoError(t, err, "usable after refusals")
	assert.Equal(t, byte(7), out[0], "appended to dst")
	assert.Greater(t, len(out), 1)
}

func TestOpusEncoderClose(t *testing.T) {
	enc, err := NewOpusEncoder()
	require.NoError(t, err)
	require.NoError(t, enc.Close())
	require.NoError(t, enc.Close(), "Close twice")
	_, err = enc.Encode(nil, make([]int16, OpusFrameSamples))
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, enc.SetBitRate(32_000), ErrClosed)
	_, err = enc.settings()
	assert.ErrorIs(t, err, ErrClosed)
}
