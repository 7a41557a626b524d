package call

import "time"

// A loss burst is many video packets lost at once: a queue that overflows because the link
// shrank under the video, or a moment of radio loss. Re-sends do not repair it in time (they
// wait behind the same queue and are lost with it, their round trip then is near a second),
// so the receiving loop asks for a keyframe as soon as it sees one, besides the NACKs, rather
// than after its frames were given up (maxLateDelay, and more: the queue delays the packets
// that tell). On the testbed, when the link fell from clean to 300 kbit/s, the ask then came a
// second after the first loss, went through the other way's full queue, and the keyframe came
// 2 s after the picture froze.
//
// Random loss seldom makes a burst: at 10 %, twelve or more of 30 packets (half a second of
// 640x480 at 30 fps) are lost about once in 100,000 windows, a few times an hour of packets.
// When the link overflowed on the testbed, 15-20 of 30 were.
const (
	burstWindow = 500 * time.Millisecond
	burstLost   = 12   // at least this many packets lost in burstWindow,
	burstShare  = 0.35 // and at least this share of the packets due in it
	// burstEvery: a burst asks for a keyframe at most this often; the keyframe goes through
	// the same crowded link.
	burstEvery = time.Second
)

// lossBurst watches a video stream for bursts of loss, from what its nackList finds missing.
// Only the stream's receiving loop uses it; times come from the caller.
type lossBurst struct {
	looks []burstLook // oldest first, within burstWindow
	asked time.Time   // the last burst that asked
}

type burstLook struct {
	at   time.Time
	lost int // packets found missing before the one read (nackList.got)
}

// got takes the newest packet so far, read at now, with the packets found missing before it,
// and tells whether a burst now asks for a keyframe.
func (b *lossBurst) got(now time.Time, missing int) bool {
	b.looks = append(b.looks, burstLook{at: now, lost: missing})
	n := 0
	for n < len(b.looks) && now.Sub(b.looks[n].at) > burstWindow {
		n++
	}
	b.looks = b.looks[n:]
	due, lost := 0, 0
	for _, l := range b.looks {
		due, lost = due+1+l.lost, lost+l.lost
	}
	if lost < burstLost || float64(lost) < burstShare*float64(due) ||
		(!b.asked.IsZero() && now.Sub(b.asked) < burstEvery) {
		return false
	}
	b.asked = now
	return true
}
