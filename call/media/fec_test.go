package media

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// melody is a voice-like test signal that PLC cannot guess: its pitch and loudness change
// every 20 ms frame.
type melody struct {
	phase float64
	n     int
}

func (m *melody) fill(pcm []int16) {
	hz := 180 + 70*float64(m.n%5) + 40*float64(m.n%3)
	amp := 6000 + 3000*float64(m.n%4)
	for i := range pcm {
		m.phase += 2 * math.Pi * hz / audioRate
		pcm[i] = int16(amp * (math.Sin(m.phase) + 0.3*math.Sin(3*m.phase)))
	}
	m.n++
}

// errorEnergy is the energy of a-b over the energy of b, in dB (lower is closer).
func errorEnergy(a, b []int16) float64 {
	var e, s float64
	for i := range a {
		d := float64(a[i]) - float64(b[i])
		e += d * d
		s += float64(b[i]) * float64(b[i])
	}
	return 10 * math.Log10(e/s)
}

// The encoder really sends in-band FEC and the decoder really uses it: a lost packet rebuilt
// from the next one's FEC data is close to what the lost packet itself would have given, where
// libopus's concealment (what DecodeFEC falls back to when a packet carries no FEC data) is
// not. In-band FEC needs both the encoder's FEC switch and its expected loss above zero.
func TestOpusFECCarriesTheLostSound(t *testing.T) {
	enc, err := NewOpusEncoder()
	require.NoError(t, err)
	defer enc.Close()
	var m melody
	pcm := make([]int16, OpusFrameSamples)
	var packets [][]byte
	for range 60 {
		m.fill(pcm)
		data, err := enc.Encode(nil, pcm)
		require.NoError(t, err)
		packets = append(packets, data)
	}
	newDec := func() *OpusDecoder {
		d, err := NewOpusDecoder(audioRate, 1)
		require.NoError(t, err)
		t.Cleanup(func() { _ = d.Close() })
		return d
	}
	var fecBetter int
	for _, lost := range []int{20, 27, 33, 41, 50} {
		ref, fec, plc := newDec(), newDec(), newDec()
		want, gotFEC, gotPLC := make([]int16, OpusFrameSamples), make([]int16, OpusFrameSamples), make([]int16, OpusFrameSamples)
		for i := range lost {
			for _, d := range []*OpusDecoder{ref, fec, plc} {
				_, err := d.Decode(packets[i], want)
				require.NoError(t, err)
			}
		}
		_, err := ref.Decode(packets[lost], want)
		require.NoError(t, err)
		n, err := fec.DecodeFEC(packets[lost+1], gotFEC)
		require.NoError(t, err)
		require.Equal(t, OpusFrameSamples, n)
		_, err = plc.Decode(nil, gotPLC)
		require.NoError(t, err)
		eFEC, ePLC := errorEnergy(gotFEC, want), errorEnergy(gotPLC, want)
		t.Logf("packet %d lost: rebuilt from FEC %.1f dB from the real one, concealed %.1f dB", lost, eFEC, ePLC)
		if eFEC < ePLC-4 {
			fecBetter++
		}
	}
	assert.GreaterOrEqual(t, fecBetter, 4, "FEC rebuilt the lost packets (4 dB closer to the real sound than concealment)")
}
