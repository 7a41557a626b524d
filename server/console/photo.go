package console

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"path"
	"strings"
)

// Photo limits.
const (
	MaxPhotoBytes  = 5 << 20    // the largest upload
	MaxPhotoPixels = 24_000_000 // the most pixels a photo may declare (6000×4000)
	MaxPhotoSide   = 512        // the longest side of a stored photo
	photoQuality   = 85
)

// ProcessPhoto checks an uploaded contact photo and returns it as a JPEG of at most
// MaxPhotoSide pixels a side, with its hex SHA-256. Only JPEG and PNG files whose name
// (.jpg, .jpeg, .png) and declared type agree with their content are taken; the dimensions
// are read from the header first, so a decompression bomb is refused before any decoding.
// JPEG orientation (EXIF) is applied; transparency is laid on white.
func ProcessPhoto(data []byte, filename, contentType string) (out []byte, hash string, err error) {
	if len(data) > MaxPhotoBytes {
		return nil, "", fmt.Errorf("%w: %d bytes, over %d", ErrPhotoSize, len(data), MaxPhotoBytes)
	}
	var byName string
	switch strings.ToLower(path.Ext(filename)) {
	case ".jpg", ".jpeg":
		byName = "jpeg"
	case ".png":
		byName = "png"
	default:
		return nil, "", fmt.Errorf("%w: file name %q", ErrPhotoType, path.Ext(filename))
	}
	ct, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(contentType)), ";")
	switch ct {
	case "", "image/jpeg", "image/pjpeg", "image/png":
	default:
		return nil, "", fmt.Errorf("%w: content type %q", ErrPhotoType, ct)
	}
	var format string
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xd8\xff")):
		format = "jpeg"
	case bytes.HasPrefix(data, []byte("\x89PNG\r\n\x1a\n")):
		format = "png"
	default:
		return nil, "", fmt.Errorf("%w: content is neither JPEG nor PNG", ErrPhotoType)
	}
	if format != byName || (ct != "" && !strings.HasSuffix(ct, format)) {
		return nil, "", fmt.Errorf("%w: %s content in a file named as %s", ErrPhotoType, format, byName)
	}
	var cfg image.Config
	if format == "jpeg" {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	} else {
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrPhotoCorrupt, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > 20000 || cfg.Height > 20000 ||
		cfg.Width*cfg.Height > MaxPhotoPixels {
		return nil, "", fmt.Errorf("%w: %d×%d", ErrPhotoPixels, cfg.Width, cfg.Height)
	}
	if cost := decodeCost(format, cfg, data); cost > maxDecodeBytes {
		return nil, "", fmt.Errorf("%w: %d×%d would take %d MB to decode", ErrPhotoPixels, cfg.Width, cfg.Height, cost>>20)
	}
	var img image.Image
	if format == "jpeg" {
		img, err = jpeg.Decode(bytes.NewReader(data))
	} else {
		img, err = png.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrPhotoCorrupt, err)
	}
	sw, sh := img.Bounds().Dx(), img.Bounds().Dy()
	dw, dh := fitWithin(sw, sh, MaxPhotoSide)
	small := scaleDown(img, dw, dh)
	if format == "jpeg" {
		small = orient(small, jpegOrientation(data))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, small, &jpeg.Options{Quality: photoQuality}); err != nil {
		return nil, "", fmt.Errorf("console: encode photo: %w", err)
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(sum[:]), nil
}

// fitWithin returns w×h scaled down (never up) so that its longer side is at most side.
func fitWithin(w, h, side int) (int, int) {
	if w <= side && h <= side {
		return w, h
	}
	if w >= h {
		return side, max(1, (h*side+w/2)/w)
	}
	return max(1, (w*side+h/2)/h), side
}

// scaleDown resizes src to dw×dh (no larger than src) with a box filter: every source pixel
// is added to the destination pixel it falls in, and each destination pixel is the average,
// which is what good downscaling needs (no aliasing, no ringing). Alpha is laid on white.
func scaleDown(src image.Image, dw, dh int) *image.RGBA {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	sums := make([]uint64, dw*dh*4) // r, g, b, count
	row := make([]uint8, sw*3)
	for sy := 0; sy < sh; sy++ {
		readRow(src, b.Min.Y+sy, row)
		base := (sy * dh / sh) * dw * 4
		for sx := 0; sx < sw; sx++ {
			o := base + (sx*dw/sw)*4
			sums[o] += uint64(row[sx*3])
			sums[o+1] += uint64(row[sx*3+1])
			sums[o+2] += uint64(row[sx*3+2])
			sums[o+3]++
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for i := 0; i < dw*dh; i++ {
		n := sums[i*4+3]
		if n == 0 {
			n = 1
		}
		dst.Pix[i*4] = uint8((sums[i*4] + n/2) / n)
		dst.Pix[i*4+1] = uint8((sums[i*4+1] + n/2) / n)
		dst.Pix[i*4+2] = uint8((sums[i*4+2] + n/2) / n)
		dst.Pix[i*4+3] = 0xff
	}
	return dst
}

// readRow fills row with the RGB of src's row y, over white, with fast paths for what the
// JPEG and PNG decoders return.
func readRow(src image.Image, y int, row []uint8) {
	b := src.Bounds()
	switch m := src.(type) {
	case *image.YCbCr:
		for x := b.Min.X; x < b.Max.X; x++ {
			yi, ci := m.YOffset(x, y), m.COffset(x, y)
			r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
			i := (x - b.Min.X) * 3
			row[i], row[i+1], row[i+2] = r, g, bl
		}
	case *image.Gray:
		for x := b.Min.X; x < b.Max.X; x++ {
			v := m.Pix[m.PixOffset(x, y)]
			i := (x - b.Min.X) * 3
			row[i], row[i+1], row[i+2] = v, v, v
		}
	case *image.NRGBA:
		for x := b.Min.X; x < b.Max.X; x++ {
			p := m.Pix[m.PixOffset(x, y):]
			a := uint32(p[3])
			i := (x - b.Min.X) * 3
			for k := 0; k < 3; k++ {
				row[i+k] = uint8((uint32(p[k])*a + 255*(255-a) + 127) / 255)
			}
		}
	case *image.RGBA:
		for x := b.Min.X; x < b.Max.X; x++ {
			p := m.Pix[m.PixOffset(x, y):]
			i := (x - b.Min.X) * 3
			for k := 0; k < 3; k++ {
				row[i+k] = uint8(min(255, uint32(p[k])+255-uint32(p[3])))
			}
		}
	case *image.NRGBA64:
		for x := b.Min.X; x < b.Max.X; x++ {
			p := m.Pix[m.PixOffset(x, y):]
			a := uint32(p[6])<<8 | uint32(p[7])
			i := (x - b.Min.X) * 3
			for k := 0; k < 3; k++ {
				v := uint32(p[2*k])<<8 | uint32(p[2*k+1])
				row[i+k] = uint8((v*a/0xffff + 0xffff - a) >> 8)
			}
		}
	case *image.Gray16:
		for x := b.Min.X; x < b.Max.X; x++ {
			v := m.Pix[m.PixOffset(x, y)] // the high byte
			i := (x - b.Min.X) * 3
			row[i], row[i+1], row[i+2] = v, v, v
		}
	default:
		// Slower: At boxes every pixel. The fast paths above cover what the decoders return
		// for common photos.
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := src.At(x, y).RGBA() // premultiplied, 16 bits
			i := (x - b.Min.X) * 3
			row[i] = uint8(min(0xffff, r+0xffff-a) >> 8)
			row[i+1] = uint8(min(0xffff, g+0xffff-a) >> 8)
			row[i+2] = uint8(min(0xffff, bl+0xffff-a) >> 8)
		}
	}
}

// jpegOrientation reads the EXIF orientation (1 to 8) of a JPEG, or 1 when it has none.
func jpegOrientation(data []byte) int {
	i := 2
	for i+4 <= len(data) && data[i] == 0xff {
		marker := data[i+1]
		if marker == 0xda || marker == 0xd9 { // start of scan, end of image: no more headers
			break
		}
		n := int(data[i+2])<<8 | int(data[i+3])
		if n < 2 || i+2+n > len(data) {
			break
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return exifOrientation(seg[6:])
		}
		i += 2 + n
	}
	return 1
}

// exifOrientation finds tag 0x0112 in IFD0 of a TIFF block.
func exifOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var u16 func([]byte) int
	var u32 func([]byte) int
	switch string(t[:2]) {
	case "II":
		u16 = func(b []byte) int { return int(b[0]) | int(b[1])<<8 }
		u32 = func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 | int(b[3])<<24 }
	case "MM":
		u16 = func(b []byte) int { return int(b[1]) | int(b[0])<<8 }
		u32 = func(b []byte) int { return int(b[3]) | int(b[2])<<8 | int(b[1])<<16 | int(b[0])<<24 }
	default:
		return 1
	}
	off := u32(t[4:8])
	if off < 8 || off+2 > len(t) {
		return 1
	}
	count := u16(t[off:])
	for k := 0; k < count; k++ {
		e := off + 2 + k*12
		if e+12 > len(t) {
			break
		}
		if u16(t[e:]) == 0x0112 {
			if v := u16(t[e+8:]); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}

// orient turns an image stored with EXIF orientation o (2 to 8) upright.
func orient(src *image.RGBA, o int) *image.RGBA {
	if o < 2 || o > 8 {
		return src
	}
	w, h := src.Bounds().Dx(), src.Bounds().Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			copy(dst.Pix[dst.PixOffset(dx, dy):][:4], src.Pix[src.PixOffset(x, y):][:4])
		}
	}
	return dst
}
