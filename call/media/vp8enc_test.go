package media

import (
	"image"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestVP8EncoderRoundTripSizes encodes pictures of several sizes, odd ones and a sub-picture
// among them, and decodes them with our decoder: same size, and a picture that looks like
// the source.
func TestVP8EncoderRoundTripSizes(t *testing.T) {
	for _, size := range []image.Point{{640, 480}, {320, 240}, {176, 144}, {64, 64}, {161, 97}, {2, 2}} {
		t.Run("", func(t *testing.T) {
			enc, err := NewVP8Encoder(VP8EncoderOptions{Width: size.X, Height: size.Y})
			require.NoError(t, err)
			defer enc.Close()
			dec, err := NewVP8Decoder()
			require.NoError(t, err)
			defer dec.Close()
			pat := newTestPattern(size.X, size.Y)
			var frame []byte
			for i := range 5 {
				src := pat.next()
				var key bool
				frame, key, err = enc.Encode(frame[:0], src, time.Second/30, false)
				require.NoError(t, err)
				require.NotEmpty(t, frame)
				assert.Equal(t, i == 0, key, "frame %d: only the first is a keyframe", i)
				img, err := dec.Decode(frame)
				require.NoError(t, err)
				require.Equal(t, image.Rect(0, 0, size.X, size.Y), img.Rect)
				if size.X >= 64 {
					assert.Less(t, meanDiff(lumaRows(src), lumaRows(img)), 8.0, "frame %d: mean luma error", i)
				}
			}
		})
	}
}

// lumaRows is the visible luma of a picture, row after row.
func lumaRows(img *image.YCbCr) []byte {
	var out []byte
	for y := img.Rect.Min.Y; y < img.Rect.Max.Y; y++ {
		o := img.YOffset(img.Rect.Min.X, y)
		out = append(out, img.Y[o:o+img.Rect.Dx()]...)
	}
	return out
}

// TestVP8EncoderSubImage encodes the middle of a picture (a rectangle not at the origin, with
// the strides of the whole picture): the decoded picture is that middle.
func TestVP8EncoderSubImage(t *testing.T) {
	whole := newTestPattern(320, 240).next()
	sub := whole.SubImage(image.Rect(80, 60, 240, 180)).(*image.YCbCr)
	got := encodeDecode(t, []*image.YCbCr{sub})[0]
	require.Equal(t, image.Rect(0, 0, 160, 120), got.Rect)
	assert.Less(t, meanDiff(lumaRows(sub), lumaRows(got)), 8.0)
}

// TestVP8EncoderSizeChange sends a smaller then a larger picture than the encoder was made for:
// it sets itself up again, starting each size on a keyframe.
func TestVP8EncoderSizeChange(t *testing.T) {
	enc, err := NewVP8Encoder(VP8EncoderOptions{Width: 320, Height: 240})
	require.NoError(t, err)
	defer enc.Close()
	dec, err := NewVP8Decoder()
	require.NoError(t, err)
	defer dec.Close()
	for _, size := range []image.Point{{320, 240}, {160, 120}, {640, 360}} {
		pat := newTestPattern(size.X, size.Y)
		for i := range 3 {
			frame, key, err := enc.Encode(nil, pat.next(), time.Second/30, false)
			require.NoError(t, err)
			assert.Equal(t, i == 0, key, "%v frame %d", size, i)
			img, err := dec.Decode(frame)
			require.NoError(t, err)
			assert.Equal(t, image.Rect(0, 0, size.X, size.Y), img.Rect)
		}
		w, h := enc.Size()
		assert.Equal(t, size, image.Pt(w, h))
	}
}

// TestVP8EncoderKeyFrameInterval checks that keyframes come on their own at least every
// 3 seconds' worth of frames, so that a peer that lost one recovers without asking.
func TestVP8EncoderKeyFrameInterval(t *testing.T) {
	const fps = 10
	enc, err := NewVP8Encoder(VP8EncoderOptions{Width: 160, Height: 120, FPS: fps})
	require.NoError(t, err)
	defer enc.Close()
	pat := newTestPattern(160, 120)
	var keys []int
	var frame []byte
	for i := range 3*fps*3 + 1 {
		var key bool
		frame, key, err = enc.Encode(frame[:0], pat.next(), time.Second/fps, false)
		require.NoError(t, err)
		if key {
			keys = append(keys, i)
		}
	}
	require.NotEmpty(t, keys)
	assert.Equal(t, 0, keys[0])
	for i := 1; i < len(keys); i++ {
		assert.LessOrEqual(t, keys[i]-keys[i-1], 3*fps, "keyframes %v", keys)
	}
	assert.GreaterOrEqual(t, len(keys), 4, "keyframes %v", keys)
}

// TestVP8EncoderBitRateChange encodes the same moving picture at the highest target, then at
// the lowest: the frames shrink to about what the target says.
func TestVP8EncoderBitRateChange(t *testing.T) {
	const fps = 30
	enc, err := NewVP8Encoder(VP8EncoderOptions{Width: 640, Height: 480, FPS: fps, BitRate: MaxVideoBitRate})
	require.NoError(t, err)
	defer enc.Close()
	assert.Equal(t, MaxVideoBitRate, enc.BitRate())
	pat := newTestPattern(640, 480)
	noisy := func(img *image.YCbCr, seed int) *image.YCbCr { // fine detail that costs bits
		for i := range img.Y {
			img.Y[i] += byte((i*7+seed*13)%23) / 8
		}
		return img
	}
	// bytesPerSecond encodes 2 s of frames and returns the bytes of the second one.
	n := 0
	var frame []byte
	bytesPerSecond := func() int {
		total := 0
		for i := range 2 * fps {
			frame, _, err = enc.Encode(frame[:0], noisy(pat.next(), n), time.Second/fps, false)
			require.NoError(t, err)
			n++
			if i >= fps {
				total += len(frame)
			}
		}
		return total
	}
	high := bytesPerSecond()
	const lowRate = 150_000
	require.NoError(t, enc.SetBitRate(lowRate))
	assert.Equal(t, lowRate, enc.BitRate())
	low := bytesPerSecond()
	t.Logf("%d kbit/s at the highest target, %d kbit/s at 150", high*8/1000, low*8/1000)
	assert.Greater(t, high, 4*low, "the lower target shows in the output")
	assert.Less(t, low*8, 2*lowRate, "about the lower target")
}

// TestVP8EncoderRefusesBadOptions checks that options out of range are refused before libvpx
// sees them.
func TestVP8EncoderRefusesBadOptions(t *testing.T) {
	for name, o := range map[string]VP8EncoderOptions{
		"no size":       {},
		"zero width":    {Width: 0, Height: 480},
		"negative":      {Width: -640, Height: 480},
		"too wide":      {Width: MaxVP8Width + 2, Height: 480},
		"too many":      {Width: MaxVP8Width, Height: MaxVP8Height},
		"fps":           {Width: 640, Height: 480, FPS: 61},
		"negative fps":  {Width: 640, Height: 480, FPS: -1},
		"threads":       {Width: 640, Height: 480, Threads: 9},
		"bit rate low":  {Width: 640, Height: 480, BitRate: MinVideoBitRate - 1},
		"bit rate high": {Width: 640, Height: 480, BitRate: MaxVideoBitRate + 1},
	} {
		_, err := NewVP8Encoder(o)
		assert.ErrorIs(t, err, ErrBadOptions, name)
	}
	enc, err := NewVP8Encoder(VP8EncoderOptions{Width: 64, Height: 48})
	require.NoError(t, err)
	defer enc.Close()
	assert.ErrorIs(t, enc.SetBitRate(0), ErrBadOptions)
	assert.ErrorIs(t, enc.SetBitRate(10_000_000), ErrBadOptions)
	assert.Equal(t, VideoBitRateFor(64, 48), enc.BitRate(), "unchanged by refused rates")
}

// TestVP8EncoderRefusesBadPictures checks that a picture libvpx would read past the end of,
// or could not take, is refused with ErrBadOptions, and that the encoder stays usable.
func TestVP8EncoderRefusesBadPictures(t *testing.T) {
	enc, err := NewVP8Encoder(VP8EncoderOptions{Width: 64, Height: 48})
	require.NoError(t, err)
	defer enc.Close()
	good := func() *image.YCbCr { return image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420) }
	cases := map[string]*image.YCbCr{
		"nil":        nil,
		"4:2:2":      image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio422),
		"empty":      image.NewYCbCr(image.Rect(0, 0, 0, 0), image.YCbCrSubsampleRatio420),
		"too large":  {Rect: image.Rect(0, 0, MaxVP8Width+2, 2), SubsampleRatio: image.YCbCrSubsampleRatio420},
		"odd origin": image.NewYCbCr(image.Rect(1, 1, 65, 49), image.YCbCrSubsampleRatio420),
	}
	short := good()
	short.Y = short.Y[:len(short.Y)-1]
	cases["short luma"] = short
	shortCr := good()
	shortCr.Cr = shortCr.Cr[:len(shortCr.Cr)-1]
	cases["short chroma"] = shortCr
	narrow := good()
	narrow.YStride = 63
	cases["narrow stride"] = narrow
	huge := good()
	huge.YStride = 1 << 62
	cases["huge stride"] = huge
	negative := good()
	negative.CStride = -32
	cases["negative stride"] = negative
	for name, img := range cases {
		frame, _, err := enc.Encode([]byte{1, 2}, img, time.Second/30, false)
		assert.ErrorIs(t, err, ErrBadOptions, name)
		assert.Equal(t, []byte{1, 2}, frame, "%s: dst is returned as it was", name)
	}
	frame, key, err := enc.Encode(nil, good(), time.Second/30, false)
	require.NoError(t, err, "usable after refusals")
	assert.True(t, key)
	assert.True(t, IsVP8KeyFrame(frame))
}

func TestVP8EncoderClose(t *testing.T) {
	enc, err := NewVP8Encoder(VP8EncoderOptions{Width: 64, Height: 48})
	require.NoError(t, err)
	require.NoError(t, enc.Close())
	require.NoError(t, enc.Close(), "Close twice")
	_, _, err = enc.Encode(nil, image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420), time.Second/30, false)
	assert.ErrorIs(t, err, ErrClosed)
	assert.ErrorIs(t, enc.SetBitRate(MinVideoBitRate), ErrClosed)
}

// TestVP8EncoderAppends checks that Encode appends to dst, reusing its room.
func TestVP8EncoderAppends(t *testing.T) {
	enc, err := NewVP8Encoder(VP8EncoderOptions{Width: 64, Height: 48})
	require.NoError(t, err)
	defer enc.Close()
	buf := make([]byte, 3, 64<<10)
	copy(buf, "abc")
	out, _, err := enc.Encode(buf, newTestPattern(64, 48).next(), time.Second/30, false)
	require.NoError(t, err)
	assert.Equal(t, "abc", string(out[:3]))
	assert.True(t, IsVP8KeyFrame(out[3:]))
	assert.Same(t, &buf[0], &out[0], "the room of dst is used")
	small, _, err := enc.Encode(make([]byte, 0, 1), newTestPattern(64, 48).next(), time.Second/30, true)
	require.NoError(t, err)
	assert.True(t, IsVP8KeyFrame(small), "a dst without room grows")
}

func TestVideoBitRateFor(t *testing.T) {
	assert.Equal(t, InitialVideoBitRate, VideoBitRateFor(640, 480))
	assert.Equal(t, InitialVideoBitRate/4, VideoBitRateFor(320, 240))
	assert.Equal(t, InitialVideoBitRate/16, VideoBitRateFor(160, 120))
	assert.Equal(t, MinVideoBitRate, VideoBitRateFor(64, 48))
	assert.Equal(t, MaxVideoBitRate, VideoBitRateFor(1280, 720))
	for _, bps := range []int{-1, 0, MinVideoBitRate - 1, MaxVideoBitRate + 1, 1 << 40} {
		got := ClampVideoBitRate(bps)
		assert.True(t, got >= MinVideoBitRate && got <= MaxVideoBitRate, "%d -> %d", bps, got)
		enc, err := NewVP8Encoder(VP8EncoderOptions{Width: 64, Height: 48, BitRate: got})
		require.NoError(t, err, "the encoder takes every clamped rate")
		require.NoError(t, enc.Close())
	}
}
