package call

import (
	"sync"
	"sync/atomic"
	"time"
)

// A resend gate bounds the video packets a session re-sends (on its RTX stream, for the other
// end's NACKs) to a share of the link estimate, and drops re-sends that come too late to help.
//
// pion's NACK responder allows re-sends up to the whole of the congestion controller's target
// on top of the video, which itself is sent at that target: through a link that shrinks, the
// re-sends of the packets its queue dropped doubled what we sent into it. On the testbed, when
// the tablet's link fell from clean to 300 kbit/s, each end sent 460 kbit/s for the second after
// pion had cut its estimate to 250 k, the queue stayed full (500 ms, a quarter of the packets
// dropped), and the keyframe that was to end the freeze was itself lost and re-sent: 2.2 s
// without a picture. libwebrtc counts re-sends in its pacer's budget and takes their rate off
// the encoder's target; the gate gives them resendShare of the estimate and the rate loop takes
// what they used off the video's share (see rateLoop).
//
// It sits in the packet writer of the congestion-control interceptor (rtxAware), which all the
// session's video packets pass, re-sends on the RTX stream included; re-sends come from pion's
// goroutines, one per NACK, hence the mutex. It keeps no call state: the rate loop sets its
// budget, and reads its counts.
type resendGate struct {
	budget atomic.Int64  // bits per second allowed to re-sends; 0: no limit yet
	sent   atomic.Uint64 // bytes re-sent
	shed   atomic.Uint64 // re-sends dropped: over the budget or too late

	mu     sync.Mutex
	tokens float64   // bytes that may be re-sent now
	at     time.Time // of the last refill
	newest uint32    // RTP timestamp of the newest video packet sent
	known  bool      // newest is set
}

const (
	// resendShare is the share of the link estimate re-sends may take. At 10 % random loss they
	// take about 11 % of the video's rate (each lost packet asked for again, a re-send lost in
	// turn); through a queue that overflows, much more, which is what the gate is for.
	resendShare = 0.25
	// resendBurst is how much of the budget may go at once: a keyframe's worth of NACKs.
	resendBurst = 200 * time.Millisecond
	// resendTooLate: a packet older than this (its RTP timestamp behind the newest video
	// packet's) is not re-sent: the receiver gave its frame up (our receivers after
	// maxLateDelay; browsers ask for a keyframe too by then).
	resendTooLate = maxLateDelay
	videoClock    = 90_000
)

// setBudget sets the bits per second re-sends may take.
func (g *resendGate) setBudget(bps int) { g.budget.Store(int64(bps)) }

// media notes a video packet of the stream itself sent with RTP timestamp ts.
func (g *resendGate) media(ts uint32) {
	g.mu.Lock()
	if !g.known || int32(ts-g.newest) > 0 {
		g.newest, g.known = ts, true
	}
	g.mu.Unlock()
}

// burst is the most tokens kept at a budget of bytes per second: resendBurst of it, and at
// least a full packet, so that a small budget still lets one through now and then.
func (g *resendGate) burst(budget float64) float64 { return max(budget*resendBurst.Seconds(), 1500) }

// allow tells whether a re-send of size bytes of the packet of RTP timestamp ts may go at now,
// and counts it.
func (g *resendGate) allow(now time.Time, ts uint32, size int) bool {
	budget := float64(g.budget.Load()) / 8 // bytes per second
	g.mu.Lock()
	ok := !g.known || int64(int32(g.newest-ts)) < int64(resendTooLate.Seconds()*videoClock)
	if ok && budget > 0 {
		if !g.at.IsZero() {
			g.tokens = min(g.tokens+now.Sub(g.at).Seconds()*budget, g.burst(budget))
		} else {
			g.tokens = g.burst(budget)
		}
		g.at = now
		ok = g.tokens >= float64(size)
		if ok {
			g.tokens -= float64(size)
		}
	}
	g.mu.Unlock()
	if ok {
		g.sent.Add(uint64(size))
	} else {
		g.shed.Add(1)
	}
	return ok
}
