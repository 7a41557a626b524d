package media

import (
	"image"
	"math"
)

// testPattern draws the synthetic picture: a colour gradient with a bouncing box, a sweeping
// bar and the frame counter in binary along the bottom, so that every frame differs from the
// previous one and a viewer sees at once that the picture moves. It writes the Y/Cb/Cr planes
// directly: the background is a copy of precomputed planes, the moving parts are filled rows.
type testPattern struct {
	img                  *image.YCbCr
	baseY, baseCb, baseC []byte // precomputed background planes (Cb then Cr in baseC)
	n                    uint64 // frames drawn
}

func newTestPattern(w, h int) *testPattern {
	p := &testPattern{img: image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)}
	p.baseY = make([]byte, len(p.img.Y))
	for y := range h {
		row := p.baseY[y*p.img.YStride:]
		for x := range w {
			row[x] = byte(40 + 120*x/w + 40*y/h)
		}
	}
	cw, ch := (w+1)/2, (h+1)/2
	p.baseC = make([]byte, len(p.img.Cb)+len(p.img.Cr))
	cb, cr := p.baseC[:len(p.img.Cb)], p.baseC[len(p.img.Cb):]
	for y := range ch {
		for x := range cw {
			cb[y*p.img.CStride+x] = byte(96 + 64*x/cw)
			cr[y*p.img.CStride+x] = byte(160 - 64*y/ch)
		}
	}
	return p
}

// next draws the next frame into the pattern's image and returns it. The image is reused.
func (p *testPattern) next() *image.YCbCr {
	img := p.img
	w, h := img.Rect.Dx(), img.Rect.Dy()
	copy(img.Y, p.baseY)
	copy(img.Cb, p.baseC[:len(img.Cb)])
	copy(img.Cr, p.baseC[len(img.Cb):])
	n := p.n
	p.n++

	// A box bouncing diagonally, white with a blue tint.
	box := max(8, min(w, h)/5) &^ 1
	bx := bounce(int(n*6), w-box) &^ 1
	by := bounce(int(n*4), h-box) &^ 1
	p.fill(bx, by, box, box, 220, 180, 100)

	// A full-height bar sweeping from left to right.
	bar := max(2, w/40) &^ 1
	if w > bar {
		p.fill(int(n*4)%(w-bar)&^1, 0, bar, h, 235, 128, 128)
	}

	// The frame counter in binary, 16 cells along the bottom: white is 1, black is 0.
	cell := max(2, w/20) &^ 1
	ch := max(2, h/24) &^ 1
	for i := range 16 {
		x := 2*cell + i*cell
		if x+cell > w || ch > h {
			break
		}
		v := byte(16)
		if n>>(15-i)&1 == 1 {
			v = 235
		}
		p.fill(x+1, h-ch-ch/2, cell-2, ch, v, 128, 128)
	}
	return img
}

// fill paints a rectangle (clipped to the picture) with one colour.
func (p *testPattern) fill(x0, y0, w, h int, yv, cb, cr byte) {
	img := p.img
	r := image.Rect(x0, y0, x0+w, y0+h).Intersect(img.Rect)
	if r.Empty() {
		return
	}
	for y := r.Min.Y; y < r.Max.Y; y++ {
		row := img.Y[y*img.YStride+r.Min.X : y*img.YStride+r.Max.X]
		for i := range row {
			row[i] = yv
		}
	}
	for y := r.Min.Y / 2; y < (r.Max.Y+1)/2; y++ {
		o := y * img.CStride
		rowB := img.Cb[o+r.Min.X/2 : o+(r.Max.X+1)/2]
		rowR := img.Cr[o+r.Min.X/2 : o+(r.Max.X+1)/2]
		for i := range rowB {
			rowB[i] = cb
			rowR[i] = cr
		}
	}
}

// bounce maps an ever-growing position onto 0..span and back.
func bounce(pos, span int) int {
	if span <= 0 {
		return 0
	}
	pos %= 2 * span
	if pos > span {
		return 2*span - pos
	}
	return pos
}

// toneGen produces a continuous sine wave, one chunk at a time, without clicks between chunks.
type toneGen struct {
	phase, step float64
	amp         float64
}

func newToneGen(hz float64, sampleRate int) *toneGen {
	return &toneGen{step: 2 * math.Pi * hz / float64(sampleRate), amp: 0.3 * math.MaxInt16}
}

// fill writes the next len(pcm)/channels samples of the tone into every channel of pcm.
func (t *toneGen) fill(pcm []int16, channels int) {
	for i := 0; i+channels <= len(pcm); i += channels {
		v := int16(t.amp * math.Sin(t.phase))
		for c := range channels {
			pcm[i+c] = v
		}
		t.phase += t.step
		if t.phase > 2*math.Pi {
			t.phase -= 2 * math.Pi
		}
	}
}
