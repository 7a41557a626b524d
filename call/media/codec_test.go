package media

import (
	"errors"
	"image"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vp8Stream encodes the test pattern frame by frame, without pacing (each frame said to last
// 1/30 s).
type vp8Stream struct {
	pat *testPattern
	cur *image.YCbCr
	enc *VP8Encoder
	key bool // the next frame is forced to be a keyframe
	buf []byte
}

func newVP8Stream(t testing.TB, w, h int) *vp8Stream {
	t.Helper()
	enc, err := NewVP8Encoder(VP8EncoderOptions{Width: w, Height: h, FPS: 30})
	require.NoError(t, err)
	t.Cleanup(func() { _ = enc.Close() })
	return &vp8Stream{pat: newTestPattern(w, h), enc: enc}
}

// next encodes the next picture and returns the frame, valid until the next call.
func (s *vp8Stream) next(t testing.TB) []byte {
	s.cur = s.pat.next()
	data, isKey, err := s.enc.Encode(s.buf[:0], s.cur, time.Second/30, s.key)
	require.NoError(t, err)
	require.Equal(t, IsVP8KeyFrame(data), isKey, "libvpx's keyframe flag matches the frame header")
	s.key = false
	s.buf = data
	return data
}

// nextCopy is next, copied.
func (s *vp8Stream) nextCopy(t testing.TB) []byte { return append([]byte(nil), s.next(t)...) }

func TestVP8RoundTrip(t *testing.T) {
	for _, size := range []image.Point{{640, 480}, {320, 240}, {176, 144}} {
		t.Run("", func(t *testing.T) {
			s := newVP8Stream(t, size.X, size.Y)
			dec, err := NewVP8Decoder()
			require.NoError(t, err)
			defer dec.Close()

			var prev *image.YCbCr
			for i := range 10 {
				frame := s.next(t)
				require.NotEmpty(t, frame)
				if i == 0 {
					assert.True(t, IsVP8KeyFrame(frame), "the first frame is a keyframe")
				}
				img, err := dec.Decode(frame)
				require.NoError(t, err, "frame %d", i)
				require.Equal(t, image.Rect(0, 0, size.X, size.Y), img.Rect)
				require.Equal(t, image.YCbCrSubsampleRatio420, img.SubsampleRatio)
				if prev != nil {
					assert.Greater(t, differingBytes(lumaRows(prev), lumaRows(img)), size.X*size.Y/200,
						"frame %d should differ from the previous one: the picture moves", i)
				}
				prev = CopyYCbCr(prev, img)
			}
		})
	}
}

// TestVP8DecodedPictureLooksLikeSource checks that the picture survives the round trip: the
// decoded luma is close to the source luma (lossy, so on average only).
func TestVP8DecodedPictureLooksLikeSource(t *testing.T) {
	s := newVP8Stream(t, 320, 240)
	dec, err := NewVP8Decoder()
	require.NoError(t, err)
	defer dec.Close()
	for range 5 {
		frame := s.next(t)
		img, err := dec.Decode(frame)
		require.NoError(t, err)
		// Row by row: the decoded picture has libvpx's strides, not the source's.
		assert.Less(t, meanDiff(lumaRows(s.cur), lumaRows(img)), 8.0, "mean absolute luma error")
	}
}

func differingBytes(a, b []byte) int {
	n := 0
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}

func TestVP8KeyFrameRequest(t *testing.T) {
	s := newVP8Stream(t, 320, 240)
	require.True(t, IsVP8KeyFrame(s.next(t)))
	for i := range 5 {
		assert.False(t, IsVP8KeyFrame(s.next(t)), "frame %d is an inter frame", i+1)
	}
	s.key = true
	assert.True(t, IsVP8KeyFrame(s.next(t)), "the forced frame is a keyframe")
	assert.False(t, IsVP8KeyFrame(s.next(t)), "and only that one")
}

func TestVP8DecoderRejectsGarbage(t *testing.T) {
	dec, err := NewVP8Decoder()
	require.NoError(t, err)
	defer dec.Close()

	key := newVP8Stream(t, 320, 240).next(t)
	huge := append([]byte(nil), key...)
	huge[6], huge[7] = 0xff, 0x3f // 16383 pixels wide

	cases := map[string][]byte{
		"empty":                 {},
		"one byte":              {0x00},
		"keyframe no startcode": {0x10, 0x02, 0x00, 0x00, 0x00, 0x00, 0x40, 0x01, 0xf0, 0x00},
		"truncated keyframe":    key[:len(key)/3],
		"huge keyframe":         huge,
		"zero size keyframe":    {0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0, 0, 0, 0, 1, 2, 3},
		"inter frame first":     {0x31, 0x02, 0x00, 1, 2, 3, 4, 5, 6, 7, 8},
		"noise":                 []byte("this is not a VP8 frame, it is a sentence"),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			img, err := dec.Decode(data)
			require.Error(t, err)
			assert.Nil(t, img)
			assert.True(t, errors.Is(err, ErrDecode) || errors.Is(err, ErrNoFrame), "%v", err)
		})
	}
	// The decoder still works after all that.
	img, err := dec.Decode(key)
	require.NoError(t, err)
	assert.Equal(t, 320, img.Rect.Dx())
}

func TestVP8DecoderClosed(t *testing.T) {
	dec, err := NewVP8Decoder()
	require.NoError(t, err)
	require.NoError(t, dec.Close())
	require.NoError(t, dec.Close())
	_, err = dec.Decode([]byte{0x31, 0x02, 0x00, 1, 2, 3, 4, 5, 6, 7, 8})
	assert.ErrorIs(t, err, ErrClosed)
}

// opusStream encodes the test tone packet by packet, without pacing.
type opusStream struct {
	tone *toneGen
	pcm  []int16
	enc  *OpusEncoder
}

func newOpusStream(t testing.TB, hz float64) *opusStream {
	t.Helper()
	enc, err := NewOpusEncoder()
	require.NoError(t, err)
	t.Cleanup(func() { _ = enc.Close() })
	return &opusStream{tone: newToneGen(hz, audioRate), pcm: make([]int16, OpusFrameSamples), enc: enc}
}

// next encodes the next 20 ms of the tone and returns the packet.
func (s *opusStream) next(t testing.TB) []byte {
	s.tone.fill(s.pcm, 1)
	data, err := s.enc.Encode(nil, s.pcm)
	require.NoError(t, err)
	return data
}

func TestOpusRoundTrip(t *testing.T) {
	const hz = 440
	for _, ch := range []int{1, 2} {
		t.Run("", func(t *testing.T) {
			s := newOpusStream(t, hz)
			dec, err := NewOpusDecoder(48000, ch)
			require.NoError(t, err)
			defer dec.Close()
			assert.Equal(t, 48000, dec.SampleRate())
			assert.Equal(t, ch, dec.Channels())

			pcm := make([]int16, MaxOpusFrame*ch)
			var mono []int16 // channel 0 of one second of decoded sound
			for i := range 60 {
				packet := s.next(t)
				require.NotEmpty(t, packet)
				n, err := dec.Decode(packet, pcm)
				require.NoError(t, err)
				require.Equal(t, 960, n, "20 ms at 48 kHz")
				if i < 10 { // let the encoder settle
					continue
				}
				for j := range n {
					mono = append(mono, pcm[j*ch])
				}
			}
			require.Len(t, mono, 50*960)
			assert.Greater(t, rms(mono), 1000.0, "not silent")
			// A sine of f Hz crosses zero 2f times a second.
			got := float64(zeroCrossings(mono)) / (float64(len(mono)) / 48000) / 2
			assert.InDelta(t, hz, got, hz*0.05, "tone frequency")
		})
	}
}

func TestOpusLowerRates(t *testing.T) {
	s := newOpusStream(t, 300)
	dec, err := NewOpusDecoder(16000, 1)
	require.NoError(t, err)
	defer dec.Close()
	pcm := make([]int16, 320)
	n, err := dec.Decode(s.next(t), pcm)
	require.NoError(t, err)
	assert.Equal(t, 320, n, "20 ms at 16 kHz")
}

func TestOpusLossConcealment(t *testing.T) {
	s := newOpusStream(t, 440)
	dec, err := NewOpusDecoder(48000, 1)
	require.NoError(t, err)
	defer dec.Close()
	pcm := make([]int16, 960)
	for range 5 {
		_, err := dec.Decode(s.next(t), pcm)
		require.NoError(t, err)
	}
	n, err := dec.Decode(nil, pcm)
	require.NoError(t, err)
	assert.Equal(t, 960, n)
}

func TestOpusDecoderRejectsGarbage(t *testing.T) {
	dec, err := NewOpusDecoder(48000, 2)
	require.NoError(t, err)
	defer dec.Close()
	pcm := make([]int16, MaxOpusFrame*2)
	cases := map[string][]byte{
		"code 3 without count":   {0x03},
		"code 3 zero frames":     {0x03, 0x00},
		"code 2 bad length":      {0x02, 0xff},
		"code 1 odd size":        {0x01, 0x01, 0x02, 0x03},
		"code 3 too many frames": {0x03, 0x3f, 1, 2, 3},
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := dec.Decode(data, pcm)
			assert.ErrorIs(t, err, ErrDecode)
		})
	}
	_, err = dec.Decode(newOpusStream(t, 440).next(t), pcm[:10])
	assert.ErrorIs(t, err, ErrDecode, "buffer too small")
	_, err = dec.Decode([]byte{0x78}, nil)
	assert.ErrorIs(t, err, ErrBadOptions, "no buffer")
}

func TestOpusDecoderOptions(t *testing.T) {
	for _, c := range []struct{ rate, ch int }{{44100, 2}, {48000, 0}, {48000, 3}, {0, 1}} {
		_, err := NewOpusDecoder(c.rate, c.ch)
		assert.ErrorIs(t, err, ErrBadOptions, "%d Hz %d channels", c.rate, c.ch)
	}
	dec, err := NewOpusDecoder(48000, 1)
	require.NoError(t, err)
	require.NoError(t, dec.Close())
	require.NoError(t, dec.Close())
	_, err = dec.Decode([]byte{0x78}, make([]int16, 960))
	assert.ErrorIs(t, err, ErrClosed)
}

func rms(pcm []int16) float64 {
	var sum float64
	for _, v := range pcm {
		sum += float64(v) * float64(v)
	}
	return math.Sqrt(sum / float64(len(pcm)))
}

func zeroCrossings(pcm []int16) int {
	n := 0
	for i := 1; i < len(pcm); i++ {
		if (pcm[i-1] < 0) != (pcm[i] < 0) {
			n++
		}
	}
	return n
}

func TestOpusDecoderRejectsHugePacket(t *testing.T) {
	dec, err := NewOpusDecoder(48000, 1)
	require.NoError(t, err)
	defer dec.Close()
	_, err = dec.Decode(make([]byte, MaxOpusPacket+1), make([]int16, MaxOpusFrame))
	assert.ErrorIs(t, err, ErrDecode)
}

func TestOpusDecodeFEC(t *testing.T) {
	s := newOpusStream(t, 440)
	dec, err := NewOpusDecoder(48000, 1)
	require.NoError(t, err)
	defer dec.Close()
	pcm := make([]int16, 960)
	for range 5 {
		_, err := dec.Decode(s.next(t), pcm)
		require.NoError(t, err)
	}
	s.next(t) // lost
	next := s.next(t)
	n, err := dec.DecodeFEC(next, pcm)
	require.NoError(t, err)
	assert.Equal(t, 960, n)
	n, err = dec.Decode(next, pcm)
	require.NoError(t, err)
	assert.Equal(t, 960, n)
	_, err = dec.DecodeFEC(nil, pcm)
	assert.ErrorIs(t, err, ErrBadOptions)
}

func TestVP8SizeChange(t *testing.T) {
	dec, err := NewVP8Decoder()
	require.NoError(t, err)
	defer dec.Close()
	for _, size := range []image.Point{{320, 240}, {160, 120}, {640, 360}} {
		s := newVP8Stream(t, size.X, size.Y)
		for range 3 {
			img, err := dec.Decode(s.next(t))
			require.NoError(t, err)
			assert.Equal(t, image.Rect(0, 0, size.X, size.Y), img.Rect)
		}
	}
}

func TestCopyYCbCr(t *testing.T) {
	src := newTestPattern(64, 48).next()
	sub := src.SubImage(image.Rect(10, 6, 42, 30)).(*image.YCbCr)
	cp := CopyYCbCr(nil, sub)
	require.Equal(t, image.Rect(0, 0, 32, 24), cp.Rect)
	for y := range 24 {
		for x := range 32 {
			require.Equal(t, sub.YCbCrAt(10+x, 6+y), cp.YCbCrAt(x, y), "at %d,%d", x, y)
		}
	}
	again := CopyYCbCr(cp, sub)
	assert.Same(t, cp, again, "a large enough destination is reused")
	other := CopyYCbCr(cp, src)
	assert.Equal(t, src.Rect, other.Rect)
	assert.Equal(t, src.Y, other.Y)
}
