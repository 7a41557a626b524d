package media

import "math"

// resampler converts interleaved PCM of any rate and channel count to 48 kHz stereo, linearly
// interpolating and keeping its position between calls so that chunks join without clicks.
type resampler struct {
	pos          float64 // position of the next output frame, in input frames of the next chunk
	lastL, lastR int16   // last frame of the previous chunk (input frame -1)
}

func (r *resampler) convert(pcm []int16, rate, channels int, emit func(l, rr int16)) {
	nf := len(pcm) / channels
	frame := func(i int) (int16, int16) {
		if i < 0 {
			return r.lastL, r.lastR
		}
		if channels == 1 {
			return pcm[i], pcm[i]
		}
		return pcm[i*channels], pcm[i*channels+1]
	}
	if rate == playerRate {
		for i := range nf {
			emit(frame(i))
		}
	} else {
		// Output frames lie between input frame i (-1: the last frame of the previous chunk)
		// and input frame i+1.
		step := float64(rate) / playerRate
		for ; r.pos < float64(nf)-1; r.pos += step {
			i := int(math.Floor(r.pos))
			f := r.pos - float64(i)
			l0, r0 := frame(i)
			l1, r1 := frame(i + 1)
			emit(lerp(l0, l1, f), lerp(r0, r1, f))
		}
		r.pos -= float64(nf)
	}
	if nf > 0 {
		r.lastL, r.lastR = frame(nf - 1)
	}
}

func lerp(a, b int16, f float64) int16 {
	return int16(math.Round(float64(a) + f*(float64(b)-float64(a))))
}
