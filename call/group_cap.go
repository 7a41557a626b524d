package call

import "bedside/call/signal"

// Lifting the decode cap. This end decodes at most MaxVideoIn pictures; the pairs made beyond
// that start capped (NoVideoIn). When a decoded pair ends, a place frees and a capped pair
// gets it: the picture has to be asked for again, which takes a new offer on that pair, made
// by the pair's offerer only (pion cannot withdraw an offer, so the two ends of a pair must
// never offer at once):
//
//   - a pair this end offered: this end lifts the cap and offers at once (liftOwnCaps);
//   - a pair the other end offered: it offers again when someone leaves the call and its
//     picture was refused (reofferDeclined: it cannot know that this end has a place now, but
//     a departure is when one may free); this end lifts the cap in answering, if a place is
//     free (liftOnOffer), and otherwise answers still capped.
//
// The participant's NoVideo follows the session's cap, and Video the frames decoded since.

// sessionOf returns the session of c's pair with peer, or nil.
func (l *loop) sessionOf(c *activeCall, peer string) *Session {
	if peer == l.firstPeer(c) {
		return c.sess
	}
	if gp := c.grp.peers[peer]; gp != nil {
		return gp.sess
	}
	return nil
}

// takePlace lifts sess's cap if a place is free, and reports whether it did.
func (l *loop) takePlace(c *activeCall, sess *Session) bool {
	if sess == nil || !sess.NoVideoIn() || c.grp.videoIn >= l.maxVideoIn() {
		return false
	}
	sess.LiftVideoCap()
	c.grp.videoIn++
	l.dirty = true
	return true
}

// liftOnOffer: an offer for the pair with peer comes (an offer the other end made again, most
// likely, since a participant left): its answer asks for the picture if a place is free.
func (l *loop) liftOnOffer(c *activeCall, peer string) {
	if sess := l.sessionOf(c, peer); l.takePlace(c, sess) {
		l.p.log.Info("decode cap lifted on their offer", "call", c.info.ID, "peer", peer)
	}
}

// liftOwnCaps gives the places free to the capped pairs this end offered, each with a new offer.
// A pair whose offer waits for its answer (an ICE restart) or whose media is lost is left for
// later: the restart's answer cannot carry a changed cap (it was offered capped).
func (l *loop) liftOwnCaps(c *activeCall) {
	if !l.connected {
		return
	}
	for _, id := range c.grp.order {
		var sess *Session
		switch gp := c.grp.peers[id]; {
		case id == l.firstPeer(c):
			if c.grp.offerer && c.iceUp && !c.info.Reconnecting {
				sess = c.sess
			}
		case gp != nil && gp.offerer && gp.up && !gp.reconn:
			sess = gp.sess
		}
		if sess == nil || !sess.NoVideoIn() || sess.Offering() || !l.takePlace(c, sess) {
			continue
		}
		l.offerAgain(c, id, sess)
	}
}

// reofferDeclined offers again on every established pair this end offered whose other end
// refused our picture: someone left, so the other end may decode it now.
func (l *loop) reofferDeclined(c *activeCall) {
	if !l.connected {
		return
	}
	if c.sess != nil && c.grp.offerer && c.iceUp && !c.info.Reconnecting && !c.sess.Offering() && c.sess.VideoDeclined() {
		l.offerAgain(c, l.firstPeer(c), c.sess)
	}
	for id, gp := range c.grp.peers {
		if gp.offerer && gp.up && !gp.reconn && !gp.sess.Offering() && gp.sess.VideoDeclined() {
			l.offerAgain(c, id, gp.sess)
		}
	}
}

// offerAgain renegotiates the established pair with peer (this end offered it).
func (l *loop) offerAgain(c *activeCall, peer string, sess *Session) {
	sdp, err := sess.CreateOffer()
	if err != nil {
		l.p.log.Warn("offer again", "peer", peer, "err", err)
		return
	}
	l.p.log.Info("offering again", "call", c.info.ID, "peer", peer, "capped", sess.NoVideoIn())
	if peer == l.firstPeer(c) {
		peer = "" // named by groupSend, as every message of the first pair
	}
	l.send(signal.Message{Type: signal.TypeOffer, Call: c.info.ID, Peer: peer, SDP: sdp})
}
