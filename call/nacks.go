package call

import "time"

// Asking for lost video packets again (NACK, RFC 4585), from the loop that reads the stream.
//
// pion's NACK generator cannot do it well: the re-sends come back on the RTX stream and are
// repaired above its interceptor, so it never learns that a packet it asked for arrived, and
// asks again every 100 ms whatever the round trip. Bounded to two asks, a lost packet was
// re-sent twice even on a short round trip, and on a long one (200 ms) both asks left before
// the first re-send could come back: a re-send lost on the way had no second chance later.
// The receiving loop sees every packet, re-sends included, so it keeps the list itself: a
// packet is asked for as soon as the one after it arrives, asked again only when a re-send's
// round trip (measured on the re-sends) has passed without it, and no longer once its frame
// has been given up.
const (
	// maxNackAsks is the most times one packet is asked for.
	maxNackAsks = 4
	// firstRetry is the wait before asking again until a re-send's round trip is measured.
	firstRetry = 150 * time.Millisecond
	// minRetry is the least wait before asking again for the same packet, even on a short
	// round trip: the asks spread over the time a frame waits (maxLateDelay), so that a
	// moment when the sender is held up (a busy CPU) or a burst of loss does not use them all.
	minRetry = 100 * time.Millisecond
	// maxNackGap is the longest run of missing sequence numbers taken for loss; a longer jump
	// is a cut or the sender starting afresh, where a keyframe does better than re-sends.
	maxNackGap = 256
	// maxLost bounds the list.
	maxLost = 1024
)

// lostPacket is a packet that is missing: when it was found missing, first and last asked
// for, and how many times.
type lostPacket struct {
	seq                 uint16
	found, first, asked time.Time
	asks                int
}

// nackList follows the sequence numbers of a video stream as they are read and says which
// lost packets to ask for again, and when. Only the stream's receiving loop uses it.
type nackList struct {
	started bool
	highest uint16
	lost    []lostPacket // in the order they were found missing
	// repair is the smoothed time from an ask to the re-send's arrival; zero until measured.
	repair time.Duration
}

// got records a packet read at now; repaired is true for a re-send (from the RTX stream). It
// returns whether the packet is the newest so far, and how many packets it found missing
// before it (none for a jump over maxNackGap).
func (l *nackList) got(seq uint16, repaired bool, now time.Time) (newest bool, missing int) {
	if !l.started {
		l.started, l.highest = true, seq
		return true, 0
	}
	d := int(int16(seq - l.highest))
	if d > 0 {
		if d > 1 && d-1 <= maxNackGap {
			missing = d - 1
			for s := l.highest + 1; s != seq && len(l.lost) < maxLost; s++ {
				l.lost = append(l.lost, lostPacket{seq: s, found: now})
			}
		}
		l.highest = seq
		return true, missing
	}
	for i, p := range l.lost {
		if p.seq != seq {
			continue
		}
		switch {
		case repaired && p.asks == 1: // the one ask this re-send answers: a round trip
			l.measure(now.Sub(p.asked))
		case repaired && p.asks > 1 && l.repair == 0:
			// On a round trip longer than firstRetry every packet is asked for twice before
			// its re-send comes, and no single ask would ever be timed: the time from the
			// first ask is an upper bound to start from.
			l.measure(now.Sub(p.first))
		}
		l.lost = append(l.lost[:i], l.lost[i+1:]...)
		return false, 0
	}
	return false, 0
}

// measure folds one ask-to-re-send time into the smoothed one.
func (l *nackList) measure(d time.Duration) {
	if l.repair == 0 {
		l.repair = d
		return
	}
	if d < l.repair { // come down quickly from a first upper bound
		l.repair -= (l.repair - d) / 2
		return
	}
	l.repair += (d - l.repair) / 8
}

// retry is how long to wait for a re-send before asking again: its round trip and a margin.
func (l *nackList) retry() time.Duration {
	if l.repair == 0 {
		return firstRetry
	}
	return max(minRetry, l.repair*5/4+10*time.Millisecond)
}

// due returns the packets to ask for at now, and counts the asks. A packet missing for longer
// than giveUp (its frame is no longer waited for), or asked for maxNackAsks times, is dropped
// from the list.
func (l *nackList) due(now time.Time, giveUp time.Duration) []uint16 {
	var seqs []uint16
	retry := l.retry()
	kept := l.lost[:0]
	for _, p := range l.lost {
		if now.Sub(p.found) > giveUp {
			continue
		}
		if p.asks == 0 || now.Sub(p.asked) >= retry {
			if p.asks == maxNackAsks {
				continue
			}
			if p.asks == 0 {
				p.first = now
			}
			p.asks++
			p.asked = now
			seqs = append(seqs, p.seq)
		}
		kept = append(kept, p)
	}
	clear(l.lost[len(kept):])
	l.lost = kept
	return seqs
}
