package call

import (
	"time"

	"bedside/call/media"

	"github.com/pion/interceptor/pkg/gcc"
)

// minRateStep is the least relative change of the link estimate that is passed on to the
// encoder: reconfiguring libvpx for every small wobble is not worth it.
const minRateStep = 0.05

// lossIsCongestion is the packet loss (averaged by pion's estimator) from which loss counts as
// a sign of congestion. Below it, loss is taken as the radio's (a hospital's Wi-Fi through
// walls): NACK/RTX and Opus FEC repair it, and sending less would not lessen it.
//
// pion's estimator takes the lower of its delay-based and loss-based estimates, and its
// loss-based one follows the delay-based one down but rises only while the loss stays under
// 2 %: at a steady 3 % it never rises again. On the testbed (3 % loss + 100 ms) each end's
// video then stayed at whatever step the first dip left it, 15 fps for one end and 30 for the
// other by chance. A queue that overflows shows in the delay first, which the delay-based
// estimate follows; 10 % is also where pion's loss-based estimate starts to cut.
const lossIsCongestion = 0.10

// rateEvery is how often the link estimate is looked at besides pion's changes: pion reports
// only a change of the lower of its two estimates.
const rateEvery = 250 * time.Millisecond

// linkRate is the estimate of the link passed on to the video: pion's delay-based estimate
// while the loss stays under lossIsCongestion, else pion's own (the lower of delay- and
// loss-based). bps is pion's; stats its GetStats.
func linkRate(bps int, stats map[string]any) int {
	delay, ok := stats["delayTargetBitrate"].(int)
	loss, ok2 := stats["averageLoss"].(float64)
	if !ok || !ok2 || delay <= 0 || loss >= lossIsCongestion {
		return bps
	}
	return max(bps, delay)
}

// rateLoop owns the link estimate of the session: on each change pion reports (poke) and
// every rateEvery it hands the estimate to the Local, which steps its video down and up a
// ladder to suit it (media.VideoStep). Small wobbles are not passed on. The Local is shared:
// with several sessions at once the estimate goes to the Phone (SessionConfig.OnLinkRate),
// which chooses one rate for them all (group_rate.go).
func (s *Session) rateLoop(bwe *gcc.SendSideBWE, poke <-chan struct{}) {
	defer s.wg.Done()
	tick := time.NewTicker(rateEvery)
	defer tick.Stop()
	last := 0
	for {
		select {
		case <-s.done:
			return
		case <-poke:
		case <-tick.C:
		}
		bps := linkRate(bwe.GetTargetBitrate(), bwe.GetStats())
		if bps <= 0 || (last != 0 && abs(bps-last) < int(minRateStep*float64(last))) {
			continue
		}
		last = bps
		s.counters.linkRate.Store(int64(bps))
		s.counters.videoTarget.Store(int64(media.ClampVideoBitRate(bps - audioAllowance)))
		if s.cfg.OnLinkRate != nil {
			s.cfg.OnLinkRate(bps)
			continue
		}
		s.cfg.Local.SetLinkRate(bps)
	}
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
