package provisioning

import (
	"bytes"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// frameOpts describes how a QR code appears in a synthetic camera frame.
type frameOpts struct {
	w, h   int     // frame size
	cx, cy float64 // where the code's centre lands
	scale  float64 // frame pixels per code-image pixel
	angle  float64 // rotation in degrees
	noise  float64 // standard deviation of the sensor noise, in luma steps
	seed   uint64
}

// cameraFrame draws code into a w×h 4:2:0 YCbCr frame, as a camera would deliver it: scaled
// and rotated with bilinear sampling, printed contrast (ink is not black, paper not white),
// an uneven textured background and Gaussian noise.
func cameraFrame(code image.Image, o frameOpts) *image.YCbCr {
	rng := rand.New(rand.NewPCG(o.seed, 42))
	lum := Luminance(code)
	cb := code.Bounds()
	qw, qh := cb.Dx(), cb.Dy()
	sample := func(x, y float64) (float64, bool) {
		if x < 0 || y < 0 || x > float64(qw-1) || y > float64(qh-1) {
			return 0, false
		}
		x0, y0 := int(x), int(y)
		x1, y1 := min(x0+1, qw-1), min(y0+1, qh-1)
		fx, fy := x-float64(x0), y-float64(y0)
		at := func(x, y int) float64 { return float64(lum[y*qw+x]) }
		top := at(x0, y0)*(1-fx) + at(x1, y0)*fx
		bot := at(x0, y1)*(1-fx) + at(x1, y1)*fx
		return top*(1-fy) + bot*fy, true
	}
	frame := image.NewYCbCr(image.Rect(0, 0, o.w, o.h), image.YCbCrSubsampleRatio420)
	sin, cos := math.Sincos(o.angle * math.Pi / 180)
	for y := 0; y < o.h; y++ {
		for x := 0; x < o.w; x++ {
			dx, dy := float64(x)-o.cx, float64(y)-o.cy
			sx := (cos*dx+sin*dy)/o.scale + float64(qw)/2
			sy := (-sin*dx+cos*dy)/o.scale + float64(qh)/2
			var v float64
			if l, ok := sample(sx, sy); ok {
				v = 45 + l*(200-45)/255 // printed ink and paper under ward light
			} else {
				// A bedside table: a light gradient with a wood-like stripe texture.
				v = 90 + 60*float64(x)/float64(o.w) + 15*math.Sin(float64(y)/7+float64(x)/40)
			}
			v += rng.NormFloat64() * o.noise
			frame.Y[frame.YOffset(x, y)] = byte(max(0, min(255, math.Round(v))))
		}
	}
	for i := range frame.Cb {
		frame.Cb[i], frame.Cr[i] = 128, 128
	}
	return frame
}

func testPayloadText(t testing.TB, full bool) string {
	p := Payload{Server: "https://ward3.example:8443", Token: testToken, Ward: "Ward 3", Bed: "12"}
	if full {
		p.Pin = testPin()
		p.WiFiSSID, p.WiFiSecurity, p.WiFiPassword = "Hôpital-Guest", WiFiWPA, "correct horse; battery"
		p.Ward = "Pédiatrie 3"
	}
	s, err := EncodePayload(p)
	require.NoError(t, err)
	return s
}

func TestQRRoundTripCameraFrame(t *testing.T) {
	cases := []struct {
		name string
		full bool
		o    frameOpts
	}{
		{"upright", false, frameOpts{cx: 320, cy: 240, scale: 1.2, angle: 0, noise: 6, seed: 1}},
		{"rotated 15", false, frameOpts{cx: 340, cy: 230, scale: 1.2, angle: 15, noise: 10, seed: 2}},
		{"rotated -15 small", false, frameOpts{cx: 300, cy: 250, scale: 0.9, angle: -15, noise: 10, seed: 3}},
		{"full payload rotated 15", true, frameOpts{cx: 320, cy: 240, scale: 1.4, angle: 15, noise: 10, seed: 4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			text := testPayloadText(t, tc.full)
			code, err := RenderQR(text, 256)
			require.NoError(t, err)
			tc.o.w, tc.o.h = 640, 480
			frame := cameraFrame(code, tc.o)

			got, err := ScanQR(frame)
			require.NoError(t, err)
			assert.Equal(t, text, got)
			p, err := ParsePayload(got)
			require.NoError(t, err)
			assert.Equal(t, testToken, p.Token)
		})
	}
}

func TestQRImageKinds(t *testing.T) {
	text := testPayloadText(t, true)
	pngData, err := RenderQRPNG(text, 300)
	require.NoError(t, err)
	decoded, err := png.Decode(bytes.NewReader(pngData))
	require.NoError(t, err)
	assert.Equal(t, 300, decoded.Bounds().Dx())

	// The same picture in every image kind ScanQR converts directly, and one it does not,
	// drawn at an offset origin to catch bounds mistakes.
	r := image.Rect(10, 20, 10+360, 20+360)
	white := image.NewUniform(color.White)
	kinds := map[string]draw.Image{
		"rgba":   image.NewRGBA(r),
		"nrgba":  image.NewNRGBA(r),
		"gray":   image.NewGray(r),
		"rgba64": image.NewRGBA64(r),
	}
	for name, dst := range kinds {
		t.Run(name, func(t *testing.T) {
			draw.Draw(dst, r, white, image.Point{}, draw.Src)
			draw.Draw(dst, image.Rect(40, 50, 340, 350), decoded, image.Point{}, draw.Src)
			got, err := ScanQR(dst)
			require.NoError(t, err)
			assert.Equal(t, text, got)
		})
	}
	t.Run("paletted", func(t *testing.T) {
		got, err := ScanQR(decoded)
		require.NoError(t, err)
		assert.Equal(t, text, got)
	})
	t.Run("sub-image of a YCbCr frame", func(t *testing.T) {
		code, err := RenderQR(text, 300)
		require.NoError(t, err)
		frame := cameraFrame(code, frameOpts{w: 800, h: 600, cx: 500, cy: 350, scale: 1, noise: 4, seed: 9})
		sub := frame.SubImage(image.Rect(300, 150, 700, 550))
		got, err := ScanQR(sub)
		require.NoError(t, err)
		assert.Equal(t, text, got)
	})
}

func TestScanQRNone(t *testing.T) {
	empty := image.NewRGBA(image.Rect(0, 0, 640, 480))
	draw.Draw(empty, empty.Bounds(), image.NewUniform(color.Gray{Y: 128}), image.Point{}, draw.Src)
	_, err := ScanQR(empty)
	assert.ErrorIs(t, err, ErrNoQRCode)

	// Noise and a half-hidden code are not a code either.
	code, err := RenderQR(testPayloadText(t, false), 256)
	require.NoError(t, err)
	frame := cameraFrame(code, frameOpts{w: 640, h: 480, cx: 640, cy: 480, scale: 1.2, noise: 10, seed: 5})
	_, err = ScanQR(frame)
	assert.ErrorIs(t, err, ErrNoQRCode)

	_, err = ScanQR(image.NewGray(image.Rect(0, 0, 0, 0)))
	assert.ErrorIs(t, err, ErrNoQRCode)
}

func TestRenderQRTooLong(t *testing.T) {
	_, err := RenderQR(strings.Repeat("x", 4000), 256)
	assert.ErrorIs(t, err, ErrQRRender)
}

func TestLuminanceAgrees(t *testing.T) {
	// The fast paths give the same luma as the generic one, within rounding.
	rng := rand.New(rand.NewPCG(7, 7))
	src := image.NewNRGBA(image.Rect(0, 0, 32, 32))
	for i := range src.Pix {
		src.Pix[i] = byte(rng.IntN(256))
	}
	rgba := image.NewRGBA(src.Bounds())
	draw.Draw(rgba, rgba.Bounds(), src, image.Point{}, draw.Src)
	generic := image.NewRGBA64(src.Bounds())
	draw.Draw(generic, generic.Bounds(), src, image.Point{}, draw.Src)
	want := Luminance(generic)
	for name, img := range map[string]image.Image{"nrgba": src, "rgba": rgba} {
		got := Luminance(img)
		for i := range want {
			if d := int(got[i]) - int(want[i]); d < -2 || d > 2 {
				t.Fatalf("%s: pixel %d: %d, want %d", name, i, got[i], want[i])
			}
		}
	}
}

func BenchmarkScanQRCameraFrame(b *testing.B) {
	text := testPayloadText(b, true)
	code, err := RenderQR(text, 256)
	require.NoError(b, err)
	frame := cameraFrame(code, frameOpts{w: 640, h: 480, cx: 320, cy: 240, scale: 1.4, angle: 15, noise: 10, seed: 4})
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ScanQR(frame); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkScanQRNoCode(b *testing.B) {
	frame := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(1, 1))
	for i := range frame.Y {
		frame.Y[i] = byte(100 + rng.IntN(40))
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = ScanQR(frame)
	}
}
