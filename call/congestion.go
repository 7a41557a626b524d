package call

import "bedside/call/media"

// minRateStep is the least relative change of the congestion controller's estimate that is
// passed on to the encoder: reconfiguring libvpx for every small wobble is not worth it.
const minRateStep = 0.05

// onTargetBitrate gets the congestion controller's estimate of what the path to the other end
// carries (bits per second, on a pion goroutine) and sets the VP8 target from it, within
// media.MinVideoBitRate..media.MaxVideoBitRate. The Local is shared: with several sessions at once, the
// last estimate wins.
func (s *Session) onTargetBitrate(bps int) {
	video := media.ClampVideoBitRate(bps - audioAllowance)
	last := int(s.counters.videoTarget.Load())
	if last != 0 && video != last && video != media.MinVideoBitRate && video != media.MaxVideoBitRate &&
		abs(video-last) < int(minRateStep*float64(last)) {
		return
	}
	if video == last {
		return
	}
	s.counters.videoTarget.Store(int64(video))
	s.cfg.Local.SetVideoBitRate(video)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
