package call

import "time"

// One encoder, several links: how a group call chooses the bit-rate of the tablet's one VP8
// stream.
//
// Every pair has its own congestion controller, so each peer's link has its own estimate; the
// Local encodes once, at one rate, for all of them. The choice: follow the weakest peer's
// estimate down, but never below groupFloor; a peer whose estimate stays below the floor stops
// getting our video (its Track binding is detached: the encoder's samples are not written to
// it) and gets our sound only, instead of dragging everyone's picture down to its link.
//
// Why a floor of 150 kbit/s of video (groupFloor, with the sound's share on top): it is the
// media ladder's 320x240 at 15 fps step (media/adapt.go), the least at which a face on a
// tablet or a phone in a family's grid is still a face; below it the ladder goes to 160x120,
// mush on any screen bigger than a stamp. Following the weakest all the way down (as in a call
// of two) would give four relatives on good links that mush because one is on a train; cutting
// the weakest's video at the floor costs only that one relative the picture, which their link
// could barely carry anyway, and keeps their sound (speech matters most) clear. Above the
// floor, following the weakest rather than, say, the median keeps every peer that gets the
// picture free of the loss and delay an over-rate stream would cause on its link.
//
// A cut-off peer's estimate is made on sound only and would never rise by itself (congestion
// control raises it only on traffic it sees carried), so every probeEvery it gets the video
// again for probeFor: if its estimate then reaches the floor it keeps the picture. In a call
// of two there is no floor: the one peer's estimate goes to the Local as it always did (down
// to sound only when the link is that thin).
//
// A pair is cut only once its estimate stayed below the floor for cutAfter: congestion
// control dips for a moment now and then (a burst of loss, a busy CPU), and a picture taken
// away for a dip would be gone for a whole probeEvery.
const (
	groupFloor = 150_000 + audioAllowance
	cutAfter   = 3 * time.Second
	probeEvery = 10 * time.Second
	probeFor   = 3 * time.Second
)

// pairRate is what the rate choice knows of one pair.
type pairRate struct {
	bps     int       // the pair's latest estimate; 0 before the first
	below   time.Time // since when bps is below the floor; zero when it is not
	cut     bool      // our video is detached from it
	probing bool      // attached again for a probe
	probe   Timer
}

// onLinkRate takes a pair's new estimate.
func (l *loop) onLinkRate(c *activeCall, sess *Session, bps int) {
	if l.call != c || (c.sess != sess && c.pairOf(sess) == nil) {
		return
	}
	c.grp.init()
	r := c.grp.rates[sess]
	if r == nil {
		r = &pairRate{}
		c.grp.rates[sess] = r
	}
	r.bps = bps
	switch {
	case bps >= groupFloor:
		r.below = time.Time{}
	case r.below.IsZero():
		r.below = time.Now()
		l.after(c, l.cutAfter(), func(l *loop) { l.applyRates(c) }) // look again then
	}
	l.applyRates(c)
}

// cutAfter is how long a pair's estimate stays below the floor before it is cut (tests
// shorten it).
func (l *loop) cutAfter() time.Duration {
	if l.cutDelay != nil {
		return *l.cutDelay
	}
	return cutAfter
}

// sessions returns the call's open sessions, the first pair's first.
func (c *activeCall) sessions() []*Session {
	var out []*Session
	if c.sess != nil {
		out = append(out, c.sess)
	}
	for _, gp := range c.grp.peers {
		out = append(out, gp.sess)
	}
	return out
}

// applyRates gives the Local the rate for the call's pairs, and detaches our video from the
// pairs below the floor (see above).
func (l *loop) applyRates(c *activeCall) {
	local := l.p.cfg.Media
	if local == nil || l.call != c {
		return
	}
	sessions := c.sessions()
	if len(sessions) == 1 {
		s := sessions[0]
		if r := c.grp.rates[s]; r != nil {
			l.attach(c, s, r) // a call of two again: no floor
			if r.bps > 0 {
				local.SetLinkRate(r.bps)
			}
		}
		return
	}
	weakest, strong := 0, false
	for _, s := range sessions {
		r := c.grp.rates[s]
		if r == nil || r.bps == 0 || r.probing {
			continue
		}
		if r.bps >= groupFloor && !r.cut {
			strong = true
			if weakest == 0 || r.bps < weakest {
				weakest = r.bps
			}
		}
	}
	if !strong {
		// Nobody's link carries the floor: there is no one to starve, so follow the weakest
		// down as in a call of two.
		for _, s := range sessions {
			if r := c.grp.rates[s]; r != nil && r.bps > 0 {
				l.attach(c, s, r)
				if weakest == 0 || r.bps < weakest {
					weakest = r.bps
				}
			}
		}
		if weakest > 0 {
			local.SetLinkRate(weakest)
		}
		return
	}
	for _, s := range sessions {
		r := c.grp.rates[s]
		if r != nil && r.bps > 0 && r.bps < groupFloor && !r.cut && !r.probing &&
			!r.below.IsZero() && time.Since(r.below) >= l.cutAfter() {
			l.cut(c, s, r)
		}
	}
	local.SetLinkRate(max(weakest, groupFloor))
}

// cut detaches our video from a pair below the floor, and plans its next probe.
func (l *loop) cut(c *activeCall, s *Session, r *pairRate) {
	r.cut = true
	l.dirty = true
	if err := s.SetVideoSending(false); err != nil {
		l.p.log.Warn("detaching video", "err", err)
	}
	l.p.log.Info("group call: a peer gets sound only", "call", c.info.ID, "link_bps", r.bps)
	r.probe = l.after(c, probeEvery, func(l *loop) {
		if c.grp.rates[s] != r || !r.cut {
			return
		}
		r.probing = true
		if err := s.SetVideoSending(true); err != nil {
			l.p.log.Warn("attaching video", "err", err)
		}
		r.probe = l.after(c, probeFor, func(l *loop) {
			if c.grp.rates[s] != r {
				return
			}
			r.probing = false
			if r.bps >= groupFloor {
				r.cut = false
				l.dirty = true
				l.applyRates(c)
				return
			}
			l.cut(c, s, r)
		})
	})
}

// attach gives a pair our video again.
func (l *loop) attach(c *activeCall, s *Session, r *pairRate) {
	if !r.cut && !r.probing {
		return
	}
	if r.probe != nil {
		r.probe.Stop()
		r.probe = nil
	}
	r.cut, r.probing = false, false
	l.dirty = true
	if err := s.SetVideoSending(true); err != nil {
		l.p.log.Warn("attaching video", "err", err)
	}
}
