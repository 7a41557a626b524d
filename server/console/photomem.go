package console

import (
	"image"
	"image/color"
)

// maxDecodeBytes bounds the memory a photo may take to decode, estimated from its header
// before any decoding: a 24-megapixel 8-bit photo fits, a 16-bit one of that size does not
// (it took 370 MB, and a progressive JPEG as much).
const maxDecodeBytes = 128 << 20

// decodeCost estimates the bytes that decoding a photo of this header takes: the decoded
// image, and for a progressive JPEG its coefficients (4 bytes a sample, kept until the end).
func decodeCost(format string, cfg image.Config, data []byte) int64 {
	px := int64(cfg.Width) * int64(cfg.Height)
	if format == "jpeg" {
		samples, progressive := jpegSamples(data)
		per := samples // bytes per pixel of the decoded planes, in quarters
		if progressive {
			per += 4 * samples
		}
		return px * int64(per) / 4
	}
	return px * int64(bytesPerPixel(cfg.ColorModel))
}

// bytesPerPixel is the size of a pixel of a decoded PNG of this color model.
func bytesPerPixel(m color.Model) int {
	switch m {
	case color.RGBA64Model, color.NRGBA64Model:
		return 8
	case color.Gray16Model:
		return 2
	case color.GrayModel:
		return 1
	case color.RGBAModel, color.NRGBAModel:
		return 4
	}
	if _, ok := m.(color.Palette); ok {
		return 1
	}
	return 8
}

// jpegSamples reads a JPEG's frame header: the samples a pixel has across its components, in
// quarters (4:2:0 colour is 6, 4:4:4 is 12, grey 4, CMYK 16), and whether it is progressive.
// Without a readable header it assumes the worst, 16 and progressive.
func jpegSamples(data []byte) (quarters int, progressive bool) {
	i := 2
	for i+4 <= len(data) && data[i] == 0xff {
		marker := data[i+1]
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > len(data) {
			break
		}
		seg := data[i+4 : i+2+n]
		switch marker {
		case 0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf:
			if len(seg) < 6 {
				return 16, true
			}
			nf := int(seg[5])
			if nf < 1 || nf > 4 || len(seg) < 6+3*nf {
				return 16, true
			}
			hmax, vmax := 1, 1
			for k := 0; k < nf; k++ {
				hv := seg[6+3*k+1]
				hmax, vmax = max(hmax, int(hv>>4)), max(vmax, int(hv&15))
			}
			q := 0
			for k := 0; k < nf; k++ {
				hv := seg[6+3*k+1]
				q += 4 * int(hv>>4) * int(hv&15) / (hmax * vmax)
			}
			progressive = marker == 0xc2 || marker == 0xc6 || marker == 0xca || marker == 0xce
			return max(q, 4), progressive
		case 0xda, 0xd9:
			return 16, true
		}
		i += 2 + n
	}
	return 16, true
}
