package call

import (
	"math"
	"time"

	"bedside/call/media"

	"github.com/pion/interceptor/pkg/gcc"
)

// minRateStep is the least relative change of the link estimate that is passed on to the
// encoder: reconfiguring libvpx for every small wobble is not worth it.
const minRateStep = 0.05

// lossIsCongestion is the packet loss (averaged over lossWindow) from which loss counts as a
// sign of congestion. Below it, loss is taken as the radio's (a hospital's Wi-Fi through
// walls): NACK/RTX and Opus FEC repair it, and sending less would not lessen it.
//
// pion's estimator takes the lower of its delay-based and loss-based estimates, and its
// loss-based one follows the delay-based one down but rises only while the loss stays under
// 2 %: at a steady 3 % it never rises again. On the testbed (3 % loss + 100 ms) each end's
// video then stayed at whatever step the first dip left it, 15 fps for one end and 30 for the
// other by chance. A queue that overflows shows in the delay first, which the delay-based
// estimate follows.
//
// pion's own loss figure is averaged over 200 ms only: at a steady 10 % random loss it was
// above 10 % every other look, and each time the video took pion's loss-based estimate, which
// only falls at that loss (the testbed's 10 % row ran at 160x120 and 10 fps). Averaged over
// lossWindow, 10 % of random loss stays under lossIsCongestion. At 15 % NACK no longer keeps
// up: both asks for a lost packet, or their re-sends, fail one time in 13.
const (
	lossIsCongestion = 0.15
	lossWindow       = 3 * time.Second
)

// rateEvery is how often the link estimate is looked at besides pion's changes: pion reports
// only a change of the lower of its two estimates.
const rateEvery = 250 * time.Millisecond

// linkRate is the estimate of the link passed on to the video: pion's delay-based estimate
// while the loss (averaged over lossWindow) stays under lossIsCongestion, else pion's own (the
// lower of delay- and loss-based). bps is pion's; stats its GetStats.
func linkRate(bps int, stats map[string]any, loss float64) int {
	delay, ok := stats["delayTargetBitrate"].(int)
	if !ok || delay <= 0 || loss >= lossIsCongestion {
		return bps
	}
	return max(bps, delay)
}

// lossAverage averages pion's loss figure over lossWindow (exponentially, by the time between
// two looks), so that the choice of linkRate does not flap with each feedback report.
type lossAverage struct {
	avg float64
	at  time.Time // of the last look; zero before the first
}

// add takes pion's loss figure at now and returns the average; a missing figure counts as no
// loss, so that the average never stays high on stale figures.
func (a *lossAverage) add(now time.Time, stats map[string]any) float64 {
	loss, _ := stats["averageLoss"].(float64)
	if a.at.IsZero() {
		a.avg, a.at = loss, now
		return a.avg
	}
	k := math.Exp(-now.Sub(a.at).Seconds() / lossWindow.Seconds())
	a.avg, a.at = loss+k*(a.avg-loss), now
	return a.avg
}

// rateLoop owns the link estimate of the session: on each change pion reports (poke) and
// every rateEvery it hands the estimate to the Local, which steps its video down and up a
// ladder to suit it (media.VideoStep). Small wobbles are not passed on. The Local is shared:
// with several sessions at once the estimate goes to the Phone (SessionConfig.OnLinkRate),
// which chooses one rate for them all (group_rate.go).
func (s *Session) rateLoop(bwe *gcc.SendSideBWE, gate *resendGate, poke <-chan struct{}) {
	defer s.wg.Done()
	tick := time.NewTicker(rateEvery)
	defer tick.Stop()
	last := 0
	var loss lossAverage
	var guard dropGuard
	var sent, resent sentRate
	ice := s.pc.SCTP().Transport().ICETransport()
	for {
		select {
		case <-s.done:
			return
		case <-poke:
		case <-tick.C:
		}
		now := time.Now()
		pion, stats := bwe.GetTargetBitrate(), bwe.GetStats()
		avgLoss := loss.add(now, stats)
		sentBps := sent.add(now, ice.Stats().BytesSent)
		resentBps := resent.add(now, gate.sent.Load())
		was := guard.holding()
		bps := guard.look(now, linkRate(pion, stats, avgLoss), last, sentBps, delayOver(stats), avgLoss)
		if guard.holding() != was {
			s.log.Debug("link estimate guard", "holding", !was, "bps", bps, "pion", pion, "sent", sentBps,
				"delay", stats["delayTargetBitrate"], "usage", stats["usage"], "trend", stats["delayEstimate"], "loss_avg", avgLoss)
		}
		if bps > 0 {
			gate.setBudget(int(resendShare * float64(bps)))
		}
		// The video gets what the re-sends leave (resend_gate.go): sent on top, they would overfill
		// the link the estimate measures.
		bps = max(bps-resentBps, 0)
		if bps <= 0 || (last != 0 && abs(bps-last) < int(minRateStep*float64(last))) {
			continue
		}
		last = bps
		s.log.Debug("link estimate", "bps", bps, "pion", pion, "delay", stats["delayTargetBitrate"],
			"loss_based", stats["lossTargetBitrate"], "loss", stats["averageLoss"], "loss_avg", avgLoss,
			"usage", stats["usage"], "held", guard.holding(), "sent", sentBps, "resent", resentBps, "shed", gate.shed.Load())
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
