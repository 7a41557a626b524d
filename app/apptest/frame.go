package apptest

import (
	"image"
	"math"
	"math/rand/v2"

	"bedside/provisioning"
)

// FrameOptions describe a synthetic camera frame holding a QR code.
type FrameOptions struct {
	Width, Height int     // the frame; default 640×480
	Side          int     // the QR code's side in pixels, quiet zone included; default 300
	Degrees       float64 // rotation of the code, counter-clockwise
	Noise         int     // each pixel's luminance moves by up to ±Noise
	Seed          uint64  // of the noise
}

// QRFrame renders text as a QR code and places it, rotated and with noise, on a shaded
// background in a 4:2:0 frame as a camera gives: what a tablet sees when a nurse holds the
// console's code up to it.
func QRFrame(text string, o FrameOptions) (*image.YCbCr, error) {
	if o.Width == 0 {
		o.Width, o.Height = 640, 480
	}
	if o.Side == 0 {
		o.Side = 300
	}
	code, err := provisioning.RenderQR(text, o.Side)
	if err != nil {
		return nil, err
	}
	lum := provisioning.Luminance(code)
	n := code.Bounds().Dx()
	scale := float64(n) / float64(o.Side)
	img := image.NewYCbCr(image.Rect(0, 0, o.Width, o.Height), image.YCbCrSubsampleRatio420)
	rng := rand.New(rand.NewPCG(o.Seed, 7))
	sin, cos := math.Sincos(o.Degrees * math.Pi / 180)
	cx, cy := float64(o.Width)/2, float64(o.Height)/2
	for y := 0; y < o.Height; y++ {
		for x := 0; x < o.Width; x++ {
			v := 90 + 60*x/o.Width + 30*y/o.Height // a bedside table in soft light
			// Where this pixel falls in the (unrotated) code.
			dx, dy := float64(x)-cx, float64(y)-cy
			u := (cos*dx-sin*dy)*scale + float64(n)/2
			w := (sin*dx+cos*dy)*scale + float64(n)/2
			if u >= 0 && w >= 0 && u < float64(n) && w < float64(n) {
				v = int(lum[int(w)*n+int(u)])*3/4 + 30 // paper is not pure white
			}
			if o.Noise > 0 {
				v += rng.IntN(2*o.Noise+1) - o.Noise
			}
			img.Y[y*img.YStride+x] = uint8(min(max(v, 0), 255))
		}
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	return img, nil
}
