package call

import "bedside/call/media"

// minRateStep is the least relative change of the congestion controller's estimate that is
// passed on to the encoder: reconfiguring libvpx for every small wobble is not worth it.
const minRateStep = 0.05

// onTargetBitrate gets the congestion controller's estimate of what the path to the other end
// carries (bits per second, sound included, on a pion goroutine) and hands it to the Local,
// which steps its video down and up a ladder to suit it (media.VideoStep). Small wobbles are
// not passed on. The Local is shared: with several sessions at once OnLinkRate goes to the Phone, which
// chooses one rate for them all (group_rate.go).
func (s *Session) onTargetBitrate(bps int) {
	last := int(s.counters.linkRate.Load())
	if last != 0 && abs(bps-last) < int(minRateStep*float64(last)) {
		return
	}
	s.counters.linkRate.Store(int64(bps))
	s.counters.videoTarget.Store(int64(media.ClampVideoBitRate(bps - audioAllowance)))
	if s.cfg.OnLinkRate != nil {
		s.cfg.OnLinkRate(bps)
		return
	}
	s.cfg.Local.SetLinkRate(bps)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
