package media

import (
	"image"
	"time"
)

// VideoStep is how the outgoing video is sent on a link of a given capacity: the picture's
// size (divided by Scale on each side), its frame rate, and the VP8 target. Paused means no
// video at all: the link is left to the sound.
type VideoStep struct {
	Scale   int // 1 (as captured), 2 (half width and height) or 4
	FPS     int // at most the capture's rate
	BitRate int // the VP8 target, bits per second
	Paused  bool
}

// The ladder the video steps down as a link shrinks and back up as it recovers. On a link that
// carries bps for the video: a picture of fewer pixels at fewer frames a second stays sharp
// where the full one would turn to mush and freeze (a 640x480 picture of a face holds at about
// 300 kbit/s at 30 fps, 320x240 at 15 fps about 100, 160x120 at 10 fps about 50); below
// AudioOnlyBitRate the video stops, so that speech goes through. Measured on the namespace
// testbed (3 % loss + 100 ms): a first step at 500 kbit/s gave 13-17 fps, at 300 gave 22-29.
const (
	// AudioOnlyBitRate is the estimate of the whole link (video and audio) below which the
	// video pauses.
	AudioOnlyBitRate = 100_000
	// stepUpAfter is how long a better estimate must last before the video steps back up:
	// stepping down is at once, stepping up is careful, so that a picture does not flap.
	stepUpAfter = 5 * time.Second
	// audioShare is what the sound and the packet headers take of a link's estimate.
	audioShare = 50_000
	// probeEvery and probeFor: while the video is paused, it tries the smallest step for
	// probeFor every probeEvery. Congestion control raises its estimate only on traffic it
	// sees carried: without a probe, a link that recovered would stay sound-only for good.
	probeEvery = 10 * time.Second
	probeFor   = 3 * time.Second
)

// ladder lists the steps from the best down, with the least video bit rate each needs.
var ladder = []struct {
	minBPS     int
	scale, fps int
}{
	{300_000, 1, 30},
	{180_000, 1, 15},
	{100_000, 2, 15},
	{50_000, 4, 10},
}

// videoAdapter chooses the VideoStep for the link estimates it is given. It is a plain value
// owned by the video loop; times come from the caller, so tests step it by hand.
type videoAdapter struct {
	captureFPS int
	cur        int       // index in ladder; len(ladder) when paused
	upSince    time.Time // when the estimate first allowed a better step, zero when not
	known      bool      // an estimate came
	pausedAt   time.Time // when the video last paused (or its last probe ended)
	probeUntil time.Time // the end of the probe under way, zero when none
}

// rung returns the best ladder index a link of bps (the whole link) allows; len(ladder) for
// paused.
func rung(bps int) int {
	if bps < AudioOnlyBitRate {
		return len(ladder)
	}
	video := bps - audioShare
	for i, s := range ladder {
		if video >= s.minBPS {
			return i
		}
	}
	return len(ladder) - 1
}

// update takes a new estimate of the whole link at now and returns the step to send with.
func (a *videoAdapter) update(bps int, now time.Time) VideoStep {
	want := rung(bps)
	paused := len(ladder)
	switch {
	case !a.probeUntil.IsZero() && now.Before(a.probeUntil): // probing: keep the smallest step
		if want != paused {
			a.probeUntil = time.Time{} // the link carries the video again: stay, and step up as usual
		}
		a.known = true
		return a.step(bps)
	case !a.probeUntil.IsZero(): // the probe is over
		a.probeUntil = time.Time{}
		if want == paused {
			a.cur, a.pausedAt = paused, now
			return a.step(bps)
		}
	case a.known && a.cur == paused && want == paused && now.Sub(a.pausedAt) >= probeEvery:
		a.cur, a.probeUntil = len(ladder)-1, now.Add(probeFor)
		a.known = true
		return a.step(bps)
	}
	if want == paused && a.cur != paused {
		a.pausedAt = now
	}
	switch {
	case !a.known || want > a.cur: // the first estimate, or worse: at once
		a.cur, a.upSince = want, time.Time{}
	case want < a.cur: // better: once it lasted
		if a.upSince.IsZero() {
			a.upSince = now
		} else if now.Sub(a.upSince) >= stepUpAfter {
			a.cur, a.upSince = a.cur-1, now // one step at a time
		}
	default:
		a.upSince = time.Time{}
	}
	a.known = true
	return a.step(bps)
}

// step is the current step, with the VP8 target for bps.
func (a *videoAdapter) step(bps int) VideoStep {
	if a.cur >= len(ladder) {
		return VideoStep{Scale: 1, FPS: a.captureFPS, Paused: true}
	}
	s := ladder[a.cur]
	return VideoStep{Scale: s.scale, FPS: min(s.fps, a.captureFPS),
		BitRate: min(max(bps-audioShare, s.minBPS/2), MaxVideoBitRate)}
}

// downscale returns src shrunk by scale on each side (a box filter over scale×scale pixels),
// written into dst when dst has the right size (else a new picture). Sizes are rounded down to
// even numbers, as 4:2:0 needs.
func downscale(dst, src *image.YCbCr, scale int) *image.YCbCr {
	if scale <= 1 || src.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return src
	}
	b := src.Rect
	w, h := (b.Dx()/scale)&^1, (b.Dy()/scale)&^1
	if w < 2 || h < 2 {
		return src
	}
	if dst == nil || dst.Rect.Dx() != w || dst.Rect.Dy() != h || dst.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		dst = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	}
	box := func(plane []byte, stride, x0, y0, n int) byte {
		sum := 0
		for y := range n {
			row := plane[(y0+y)*stride+x0:]
			for x := range n {
				sum += int(row[x])
			}
		}
		return byte(sum / (n * n))
	}
	for y := range h {
		for x := range w {
			dst.Y[y*dst.YStride+x] = box(src.Y, src.YStride, x*scale, y*scale, scale)
		}
	}
	// The chroma planes of a 4:2:0 source are half size: shrink them by the same scale.
	for y := range h / 2 {
		for x := range w / 2 {
			dst.Cb[y*dst.CStride+x] = box(src.Cb, src.CStride, x*scale, y*scale, scale)
			dst.Cr[y*dst.CStride+x] = box(src.Cr, src.CStride, x*scale, y*scale, scale)
		}
	}
	return dst
}
