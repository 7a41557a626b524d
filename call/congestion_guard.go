package call

import (
	"math"
	"time"
)

// A drop guard keeps a link estimate that fell sharply on a brief sign of overuse, until pion's
// own estimate has climbed back to it or the overuse proves real.
//
// pion's delay-based estimator (Google's) answers each sign of overuse by cutting its estimate
// to 0.85 times the rate it received lately, and then climbs back by 8 % a second at most.
// When the video sends less than the estimate (a still picture, a lower step of the ladder),
// the rate received is the video's, not the link's: each brief overuse, a late read on a busy
// CPU or a re-sent keyframe through a 100 ms link, cut the estimate to below what the video
// sent, the ladder stepped down, the video sent less again, and the next overuse cut deeper.
// On the testbed (3 % loss + 100 ms, load 50) one end's estimate went 1.4 M → 491 k → 340 k →
// 226 k → 87 k → 65 k in 7 s, over single looks of overuse seconds apart, with the loss steady
// and the video paused or at 160x120 for most of the call.
//
// Google's own stack recovers from such a drop by probing; ours has no pacer to probe with.
// The guard instead holds, after a sharp fall, the rate the link carried when pion cut (its
// new estimate over 0.85, as Google's stack keeps its "link capacity" from the rate at
// overuse), and at least guardFall of the estimate before the fall, while the link shows
// nothing more: a queue that the held rate fills keeps the delay above pion's threshold (a
// run of looks lasting guardOveruse), or fills up and loses packets (the averaged loss
// reaches lossIsCongestion), or the link carries much less than we send (guardCarried);
// then the guard lets pion's estimate through and stays off for
// guardCooldown. Holding only the rate carried was not enough: the video sends less than its
// target (the encoder undershoots, a lower step sends less), so each hold was lower than the
// last, the ladder still stepped down (the tablet's video at 15 fps for half the 3 % row),
// and a stall of the reads (no feedback for a moment, the rate received read near zero, pion
// at its floor) held nothing. (A stall now reads as a link carrying less than we send, which
// it cannot tell from a narrow one: it is not held.)
//
// It holds only the ratchet: after a cut while we sent well under the estimate (guardIdle).
// Sending near it, the queue behind the overuse is ours; at a call's start through a
// 300 kbit/s link, holding the clean link's ~1 M froze the picture 3 s.
const (
	// guardFall is the fall, relative to the estimate passed on last, that counts as sharp;
	// the guard holds at least this much of it.
	guardFall = 0.7
	// guardOveruse is how long a run of looks that all see the delay above pion's threshold
	// must last to be real. On the testbed such runs lasted up to 1.8 s at 3 % loss + 100 ms
	// (with the link idle but for the call), 2.8-4.7 s through a queue of 300 kbit/s.
	guardOveruse = 2 * time.Second
	// pionBackoff is pion's cut on overuse: its new estimate is this times the rate received.
	pionBackoff = 0.85
	// guardMax is the longest the guard holds: pion's estimate climbs 8 % a second, from a
	// third of the held one in about 15 s.
	guardMax = 20 * time.Second
	// guardCooldown is how long the guard stays off after an overuse it held proved real.
	guardCooldown = 10 * time.Second
	// guardIdle: the guard holds only when we sent less than this share of the estimate
	// before the fall (over the last sentWindow, all the session's packets), as libwebrtc
	// takes a sender under 65 % of its estimate as limited by the application, not the link.
	// Sending at or near the estimate, the queue behind the overuse is ours: the cut is real.
	guardIdle = 0.65
	// guardCarried: and only while the link carries at least this share of what we sent
	// (the rate received: pion's estimate over pionBackoff, at its cut; more as it climbs).
	// Through a narrow link the video sends more than arrives: when the testbed's link fell
	// from clean to 300 kbit/s, the first cut (its window half before the change) read
	// 0.62-0.81 of the 650 k sent, the next cuts within 0.5 s 0.45; through 3 % loss and
	// 100 ms the cuts read 0.79-0.89, and pion's climbs more.
	guardCarried = 0.6
	// guardRecut and guardRecutWithin: pion cutting its estimate again, below guardRecut of
	// the cut the guard holds over, within guardRecutWithin of it, is a queue that goes on
	// growing: the overuse is real. A brief overuse is one cut, the next seconds later (the
	// ratchet above). When the testbed's link fell from clean to 300 kbit/s, pion cut 518 k →
	// 457 k → 374 k → 291 k → 248 k in 0.6 s, each well over guardCarried of the 630 k we
	// sent as the window it measured over still held the clean link's rate, and the guard
	// held 1 M, with the picture frozen, until the last.
	guardRecut       = 0.9
	guardRecutWithin = time.Second
	// guardLeast: no hold when the estimate before the fall was under this. Through a
	// 100 kbit/s link the guard held ~105 k (audio alone takes 50) for 2 s at a time.
	guardLeast = 200_000
)

// dropGuard is the guard's state: a plain value owned by the rate loop; times come from the
// caller, so tests step it by hand.
type dropGuard struct {
	held         int       // the estimate kept; zero when not holding
	since        time.Time // when the hold began
	cut          int       // pion's estimate when the hold began
	overuseSince time.Time // the first look of the current run of overuse; zero when none
	offUntil     time.Time // no hold before then
}

// look takes the estimate bps linkRate gives at now, the one passed on last (zero before the
// first), the rate we sent lately (zero when not known yet), whether pion sees the delay grow
// (delayOver) and the averaged loss, and returns the estimate to pass on.
func (g *dropGuard) look(now time.Time, bps, last, sent int, over bool, loss float64) int {
	if over {
		if g.overuseSince.IsZero() {
			g.overuseSince = now
		}
	} else {
		g.overuseSince = time.Time{}
	}
	proven := loss >= lossIsCongestion || (!g.overuseSince.IsZero() && now.Sub(g.overuseSince) >= guardOveruse) ||
		(sent > 0 && float64(bps)/pionBackoff < guardCarried*float64(sent))
	if g.held != 0 {
		recut := now.Sub(g.since) < guardRecutWithin && float64(bps) < guardRecut*float64(g.cut)
		switch {
		case proven || recut:
			g.held, g.offUntil = 0, now.Add(guardCooldown)
			return bps
		case bps >= g.held || now.Sub(g.since) >= guardMax:
			g.held = 0 // pion caught up, or the hold lasted long enough
			return bps
		}
		return g.held
	}
	if last == 0 || proven || now.Before(g.offUntil) || float64(bps) >= guardFall*float64(last) ||
		!ratchet(last, sent) {
		return bps
	}
	g.held, g.since, g.cut = int(math.Round(max(float64(bps)/pionBackoff, guardFall*float64(last)))), now, bps
	return g.held
}

// ratchet tells whether pion's fall to bps from last is the ratchet the guard is for: we sent
// (sent, over the last sentWindow) well under last, so the rate received that pion cut from
// is the video's, not the link's. Not knowing what we sent (the call's first second), it is
// not. (That the link carried it is checked with the proofs of real overuse in look.)
func ratchet(last, sent int) bool {
	return last >= guardLeast && sent > 0 && float64(sent) < guardIdle*float64(last)
}

// delayOver tells whether pion's figures (GetStats) show the delay growing: overuse, or its
// delay trend above its threshold (pion reports overuse only while the trend still rises).
func delayOver(stats map[string]any) bool {
	est, _ := stats["delayEstimate"].(float64)
	thr, _ := stats["delayThreshold"].(float64)
	return stats["usage"] == "overuse" || (thr > 0 && est > thr)
}

// holding tells whether the guard holds an estimate pion's figures do not give.
func (g *dropGuard) holding() bool { return g.held != 0 }
