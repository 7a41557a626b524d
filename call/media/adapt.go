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
	// video pauses, once the estimate stayed there for pauseAfter.
	AudioOnlyBitRate = 100_000
	// stepUpAfter is how long a better estimate must last before the video steps back up:
	// stepping down is at once, stepping up is careful, so that a picture does not flap.
	stepUpAfter = 5 * time.Second
	// pauseAfter is how long the estimate must stay below AudioOnlyBitRate before the video
	// pauses (meanwhile it sends the smallest step): congestion control dips for a moment now
	// and then (a burst of loss, a busy CPU whose late reads look like a queue), and a picture
	// taken away for a dip is gone until a probe brings it back. A group call waits as long
	// before it cuts a peer's video (call's cutAfter).
	pauseAfter = 3 * time.Second
	// audioShare is what the sound and the packet headers take of a link's estimate.
	audioShare = 50_000
	// probeEvery and probeFor: while the video is paused, it tries the smallest step again
	// every probeEvery, for as long as the estimate holds, up to probeFor. Congestion control
	// raises its estimate only on traffic it sees carried: pion's (Google's), once it has cut
	// its estimate near the rate it receives, raises it no further than 1.5 times that rate.
	// The sound alone (about 50 kbit/s on the wire) so holds it near 70 kbit/s, under
	// AudioOnlyBitRate, and a paused video comes back only through a probe that sends enough
	// (the smallest step at the rate it needs, not what the estimate leaves) for long enough.
	// Probes of 3 s at what the estimate left did not: after a spell of jitter (0-100 ms, on
	// pion's virtual network) on a link that then became clean, the video stayed paused but
	// for 3-s glimpses, for as long as it was watched (a minute, 4 frames a second on
	// average); on CI's loaded cores, where late reads pass for a queue, TestSessionLoopback
	// waited a minute for 60 frames.
	probeEvery = 10 * time.Second
	probeFor   = 10 * time.Second
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
	probeFrom  int       // the estimate when the probe began
	lowSince   time.Time // since when the estimate is below AudioOnlyBitRate while the video is on
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
	case !a.probeUntil.IsZero() && want != paused:
		a.probeUntil = time.Time{} // the link carries the video again: stay, and step up as usual
	case !a.probeUntil.IsZero() && now.Before(a.probeUntil) && bps >= a.probeFrom:
		return a.step(bps) // probing, and the estimate holds: keep the smallest step
	case !a.probeUntil.IsZero(): // the estimate fell, or the time is up: sound only again
		a.probeUntil = time.Time{}
		a.cur, a.pausedAt = paused, now
		return a.step(bps)
	case a.known && a.cur == paused && want == paused && now.Sub(a.pausedAt) >= probeEvery:
		a.cur, a.probeUntil, a.probeFrom = len(ladder)-1, now.Add(probeFor), bps
		return a.step(bps)
	}
	switch {
	case want != paused || a.cur == paused:
		a.lowSince = time.Time{}
	case a.known && a.lowSince.IsZero():
		a.lowSince, want = now, len(ladder)-1
	case a.known && now.Sub(a.lowSince) < pauseAfter:
		want = len(ladder) - 1 // a dip, perhaps: the smallest step until it lasted
	default:
		a.lowSince, a.pausedAt = time.Time{}, now
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

// step is the current step, with the VP8 target for bps; a probe sends what its step needs.
func (a *videoAdapter) step(bps int) VideoStep {
	if a.cur >= len(ladder) {
		return VideoStep{Scale: 1, FPS: a.captureFPS, Paused: true}
	}
	s := ladder[a.cur]
	least := s.minBPS / 2
	if !a.probeUntil.IsZero() {
		least = s.minBPS
	}
	return VideoStep{Scale: s.scale, FPS: min(s.fps, a.captureFPS),
		BitRate: min(max(bps-audioShare, least), MaxVideoBitRate)}
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
