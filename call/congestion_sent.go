package call

import "time"

// sentWindow is how far back sentRate measures what the session sent.
const sentWindow = time.Second

// sentRate measures the rate a session sends, all its packets on the wire, from the byte
// count of its ICE transport read at each look of the rate loop. A plain value owned by the
// rate loop; times come from the caller.
type sentRate struct {
	looks []sentLook // oldest first, the first at or before now - sentWindow when there is one
}

type sentLook struct {
	at    time.Time
	bytes uint64
}

// add takes the count at now and returns the rate in bits per second over about the last
// sentWindow; zero until it spans half of it. A count that went back (a new transport)
// starts over.
func (r *sentRate) add(now time.Time, bytes uint64) int {
	if n := len(r.looks); n > 0 && bytes < r.looks[n-1].bytes {
		r.looks = r.looks[:0]
	}
	r.looks = append(r.looks, sentLook{now, bytes})
	for len(r.looks) > 2 && !r.looks[1].at.After(now.Add(-sentWindow)) {
		r.looks = r.looks[1:]
	}
	first := r.looks[0]
	span := now.Sub(first.at)
	if span < sentWindow/2 {
		return 0
	}
	return int(float64(bytes-first.bytes) * 8 / span.Seconds())
}
