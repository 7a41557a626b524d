package provisioning

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	goqrcode "github.com/skip2/go-qrcode"
)

// ErrNoQRCode reports that an image holds no readable QR code.
var ErrNoQRCode = errors.New("provisioning: no QR code found")

// ErrQRRender reports that a text cannot be made into a QR code (for example, too long).
var ErrQRRender = errors.New("provisioning: cannot render QR code")

// RenderQR returns text as a black-on-white QR code of size×size pixels, at medium error
// recovery, with the standard quiet zone. Every module is the same whole number of pixels
// (the code is centred in any leftover margin), which scans better than stretched modules; when
// size is too small for one pixel per module, the image is as large as the code needs.
func RenderQR(text string, size int) (image.Image, error) {
	q, err := goqrcode.New(text, goqrcode.Medium)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrQRRender, err)
	}
	bits := q.Bitmap() // includes the quiet zone
	n := len(bits)
	size = max(size, n)
	px := size / n
	off := (size - px*n) / 2
	img := image.NewPaletted(image.Rect(0, 0, size, size), color.Palette{color.White, color.Black})
	for y, row := range bits {
		for x, black := range row {
			if !black {
				continue
			}
			for dy := 0; dy < px; dy++ {
				o := img.PixOffset(off+x*px, off+y*px+dy)
				for dx := 0; dx < px; dx++ {
					img.Pix[o+dx] = 1
				}
			}
		}
	}
	return img, nil
}

// RenderQRPNG is RenderQR encoded as PNG.
func RenderQRPNG(text string, size int) ([]byte, error) {
	img, err := RenderQR(text, size)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrQRRender, err)
	}
	return buf.Bytes(), nil
}

// ScanQR finds and decodes one QR code in img, typically a camera frame, and returns its text
// (read as UTF-8). It returns an error wrapping ErrNoQRCode when there is none or it cannot be
// read. Frames in *image.YCbCr (what cameras give), *image.Gray, *image.RGBA, *image.NRGBA and
// *image.Paletted are converted without per-pixel interface calls.
func ScanQR(img image.Image) (string, error) {
	b := img.Bounds()
	if b.Empty() {
		return "", fmt.Errorf("%w: empty image", ErrNoQRCode)
	}
	lum := Luminance(img)
	src, err := gozxing.NewPlanarYUVLuminanceSource(lum, b.Dx(), b.Dy(), 0, 0, b.Dx(), b.Dy(), false)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoQRCode, err)
	}
	hints := map[gozxing.DecodeHintType]any{
		gozxing.DecodeHintType_TRY_HARDER:    true,
		gozxing.DecodeHintType_CHARACTER_SET: "UTF-8",
	}
	reader := qrcode.NewQRCodeReader()
	// The hybrid binarizer copes with uneven light; the global one sometimes wins on small,
	// blurred codes.
	var lastErr error
	for _, bin := range []gozxing.Binarizer{gozxing.NewHybridBinarizer(src), gozxing.NewGlobalHistgramBinarizer(src)} {
		bmp, err := gozxing.NewBinaryBitmap(bin)
		if err != nil {
			lastErr = err
			continue
		}
		res, err := reader.Decode(bmp, hints)
		if err == nil {
			return res.GetText(), nil
		}
		lastErr = err
	}
	return "", fmt.Errorf("%w: %v", ErrNoQRCode, lastErr)
}

// Luminance returns the 8-bit luminance of img, row by row (Dx×Dy bytes). For *image.YCbCr it
// is a copy of the Y plane.
func Luminance(img image.Image) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := make([]byte, w*h)
	switch m := img.(type) {
	case *image.YCbCr:
		for y := 0; y < h; y++ {
			off := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(out[y*w:(y+1)*w], m.Y[off:off+w])
		}
	case *image.Gray:
		for y := 0; y < h; y++ {
			off := m.PixOffset(b.Min.X, b.Min.Y+y)
			copy(out[y*w:(y+1)*w], m.Pix[off:off+w])
		}
	case *image.RGBA:
		rgbaLuminance(out, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), w, h, true)
	case *image.NRGBA:
		rgbaLuminance(out, m.Pix, m.Stride, m.PixOffset(b.Min.X, b.Min.Y), w, h, false)
	case *image.Paletted:
		var pal [256]byte
		for i, c := range m.Palette {
			pal[i] = lumaOf(c)
		}
		for y := 0; y < h; y++ {
			off := m.PixOffset(b.Min.X, b.Min.Y+y)
			for x, idx := range m.Pix[off : off+w] {
				out[y*w+x] = pal[idx]
			}
		}
	default:
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				out[y*w+x] = lumaOf(img.At(b.Min.X+x, b.Min.Y+y))
			}
		}
	}
	return out
}

// rgbaLuminance fills out with the BT.601 luma of 8-bit RGBA pixels, composited on white.
func rgbaLuminance(out, pix []byte, stride, start, w, h int, premultiplied bool) {
	for y := 0; y < h; y++ {
		row := pix[start+y*stride : start+y*stride+4*w]
		for x := 0; x < w; x++ {
			r, g, bl, a := uint32(row[4*x]), uint32(row[4*x+1]), uint32(row[4*x+2]), uint32(row[4*x+3])
			if !premultiplied {
				r, g, bl = r*a/255, g*a/255, bl*a/255
			}
			// Premultiplied over white: c + (255 - a).
			r, g, bl = r+255-a, g+255-a, bl+255-a
			out[y*w+x] = byte((19595*r + 38470*g + 7471*bl + 1<<15) >> 16)
		}
	}
}

// lumaOf returns the BT.601 luma of c composited on white.
func lumaOf(c color.Color) byte {
	r, g, b, a := c.RGBA()
	r, g, b = r+0xffff-a, g+0xffff-a, b+0xffff-a
	y := (19595*r + 38470*g + 7471*b + 1<<15) >> 24
	if y > 255 {
		y = 255
	}
	return byte(y)
}
