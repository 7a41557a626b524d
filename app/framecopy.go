package app

import (
	"image"
	"image/draw"
)

// copyFrame copies src into dst when dst has the same kind and shape, else into a new image,
// and returns the copy. Senders reuse their frame buffers as soon as Frame returns, so a frame
// that crosses to the UI goroutine must be copied first. Decoded video (*image.YCbCr) is
// converted to *image.RGBA on the way, on the sender's goroutine: that is the one format the
// GL painter uploads as it is, so the UI goroutine neither converts nor allocates per frame.
//
// For a decoded frame this is the only copy between the decoder and the screen: the call
// engine hands over libvpx's own frame buffer (media.VP8Decoder), this conversion writes the
// RGBA the canvas.Image holds, and Fyne uploads that RGBA to a texture as it is (ScaleFastest,
// no software scaling).
func copyFrame(dst, src image.Image) image.Image {
	switch s := src.(type) {
	case *image.YCbCr:
		b := s.Bounds()
		d, ok := dst.(*image.RGBA)
		if !ok || d.Rect.Dx() != b.Dx() || d.Rect.Dy() != b.Dy() {
			d = image.NewRGBA(image.Rect(0, 0, b.Dx(), b.Dy()))
		}
		draw.Draw(d, d.Rect, s, b.Min, draw.Src)
		return d
	case *image.RGBA:
		d, ok := dst.(*image.RGBA)
		if !ok || d.Rect != s.Rect || d.Stride != s.Stride || len(d.Pix) != len(s.Pix) {
			d = &image.RGBA{Pix: make([]byte, len(s.Pix)), Stride: s.Stride, Rect: s.Rect}
		}
		copy(d.Pix, s.Pix)
		return d
	case *image.NRGBA:
		d, ok := dst.(*image.NRGBA)
		if !ok || d.Rect != s.Rect || d.Stride != s.Stride || len(d.Pix) != len(s.Pix) {
			d = &image.NRGBA{Pix: make([]byte, len(s.Pix)), Stride: s.Stride, Rect: s.Rect}
		}
		copy(d.Pix, s.Pix)
		return d
	}
	b := src.Bounds()
	d, ok := dst.(*image.RGBA)
	if !ok || d.Rect != b {
		d = image.NewRGBA(b)
	}
	draw.Draw(d, b, src, b.Min, draw.Src)
	return d
}
