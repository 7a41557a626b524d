package app

import (
	"image"
	"image/draw"
)

// copyFrame copies src into dst when dst has the same kind and shape, else into a new image,
// and returns the copy. Senders reuse their frame buffers as soon as Frame returns, so a frame
// that crosses to the UI goroutine must be copied first.
func copyFrame(dst, src image.Image) image.Image {
	switch s := src.(type) {
	case *image.YCbCr:
		d, ok := dst.(*image.YCbCr)
		if !ok || d.Rect != s.Rect || d.SubsampleRatio != s.SubsampleRatio ||
			len(d.Y) != len(s.Y) || len(d.Cb) != len(s.Cb) || d.YStride != s.YStride || d.CStride != s.CStride {
			d = &image.YCbCr{
				Y: make([]byte, len(s.Y)), Cb: make([]byte, len(s.Cb)), Cr: make([]byte, len(s.Cr)),
				YStride: s.YStride, CStride: s.CStride, SubsampleRatio: s.SubsampleRatio, Rect: s.Rect,
			}
		}
		copy(d.Y, s.Y)
		copy(d.Cb, s.Cb)
		copy(d.Cr, s.Cr)
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
