package call

import (
	"errors"
	"time"

	"bedside/call/signal"
)

// The pairs of a group call besides the first: opened, followed, lost, closed, and one of them
// promoted when the first pair ends.

// DefaultMaxVideoIn is how many other participants' pictures a Phone decodes at most.
const DefaultMaxVideoIn = 3

// openPeer makes the session of a pair besides the first, and offers if this end is the
// newcomer. It returns nil (and marks the participant lost) if the session cannot be made.
func (l *loop) openPeer(c *activeCall, party signal.Party, offerer bool) *groupPeer {
	c.grp.init()
	gp := &groupPeer{party: party, offerer: offerer}
	sess, err := l.newPairSession(c, party.ID, c.grp.videoIn >= l.maxVideoIn())
	if err != nil {
		l.p.log.Warn("group pair session", "peer", party.ID, "err", err)
		l.setPerson(c, party, PartLost)
		return nil
	}
	gp.sess = sess
	c.grp.peers[party.ID] = gp
	gp.timers = append(gp.timers, l.after(c, l.p.cfg.ConnectTimeout, func(l *loop) {
		if c.grp.peers[party.ID] == gp && !gp.up {
			l.lostPeer(c, gp)
		}
	}))
	if offerer {
		sdp, err := sess.CreateOffer()
		if err != nil {
			l.lostPeer(c, gp)
			return nil
		}
		l.send(signal.Message{Type: signal.TypeOffer, Call: c.info.ID, Peer: party.ID, SDP: sdp})
	}
	return gp
}

func (l *loop) maxVideoIn() int {
	if n := l.p.cfg.MaxVideoIn; n > 0 {
		return n
	}
	return DefaultMaxVideoIn
}

// onGroupState follows a group pair's connection, as onPeerState the first pair's.
func (l *loop) onGroupState(c *activeCall, gp *groupPeer, s PeerState) {
	pp := c.grp.people[gp.party.ID]
	switch s {
	case PeerConnected:
		gp.up = true
		if gp.reconn {
			gp.reconn, gp.moved = false, false
			for _, t := range []Timer{gp.outage, gp.retry} {
				if t != nil {
					t.Stop()
				}
			}
			gp.outage, gp.retry = nil, nil
		}
		if pp != nil {
			pp.state = PartInCall
			l.dirty = true
		}
	case PeerDisconnected, PeerFailed, PeerConnecting:
		// Connecting again after being up: the other end restarted the pair's ICE, its path
		// lost before ours noticed (its restart offer can arrive before our own timeout).
		if !gp.up || gp.reconn {
			return // still setting up (the connect timeout covers it), or already on it
		}
		l.pairOutage(c, gp)
	case PeerClosed, PeerNew:
		// Closed by the other end: the server's "left" follows.
	}
}

// lostPeer gives up a group pair whose media could not be made or came back: the participant
// shows as lost until the server says they left.
func (l *loop) lostPeer(c *activeCall, gp *groupPeer) {
	if pp := c.grp.people[gp.party.ID]; pp != nil {
		pp.state = PartLost
		l.dirty = true
	}
	l.closePeer(c, gp)
}

// closePeer closes a group pair's session.
func (l *loop) closePeer(c *activeCall, gp *groupPeer) {
	if c.grp.peers[gp.party.ID] != gp {
		return
	}
	delete(c.grp.peers, gp.party.ID)
	for _, t := range append(gp.timers, gp.outage, gp.retry) {
		if t != nil {
			t.Stop()
		}
	}
	l.closeSession(c, gp.sess)
	l.applyRates(c)
	l.liftOwnCaps(c)
}

// closeSession closes sess in the background (Run waits) and releases what it held.
func (l *loop) closeSession(c *activeCall, sess *Session) {
	if sess == nil {
		return
	}
	if !sess.NoVideoIn() {
		c.grp.videoIn--
	}
	delete(c.grp.rates, sess)
	release := c.grp.sinks[sess]
	delete(c.grp.sinks, sess)
	l.p.closers.Add(1)
	go func() {
		defer l.p.closers.Done()
		if err := sess.Close(); err != nil {
			l.p.log.Warn("closing session", "err", err)
		}
		if release != nil {
			release()
		}
	}()
}

// dropFirst gives up the first pair (its participant left, or its media failed) while the
// call goes on with the others: another pair becomes the first. It reports false when there is
// no other pair: then the call is over for this end.
func (l *loop) dropFirst(c *activeCall, err error) bool {
	if len(c.grp.peers) == 0 {
		return false
	}
	old := l.firstPeer(c)
	l.p.log.Info("first pair of a group call over", "call", c.info.ID, "peer", old, "err", err)
	if pp := c.grp.people[old]; pp != nil && !errors.Is(err, errLeft) {
		pp.state = PartLost
	}
	for _, t := range []Timer{c.grace, c.outage, c.retry} {
		if t != nil {
			t.Stop()
		}
	}
	c.grace, c.outage, c.retry = nil, nil, nil
	l.p.session.CompareAndSwap(c.sess, nil)
	l.closeSession(c, c.sess)
	c.sess = nil
	// The pair that connected first, or any.
	var next *groupPeer
	for _, id := range c.grp.order {
		if gp := c.grp.peers[id]; gp != nil && (next == nil || (gp.up && !next.up)) {
			next = gp
		}
	}
	if next == nil {
		for _, gp := range c.grp.peers {
			next = gp
		}
	}
	delete(c.grp.peers, next.party.ID)
	for _, t := range append(next.timers, next.outage, next.retry) {
		if t != nil {
			t.Stop()
		}
	}
	c.sess = next.sess
	c.grp.peer, c.grp.offerer = next.party.ID, next.offerer
	c.info.Party = next.party
	if pp := c.grp.people[next.party.ID]; pp != nil && pp.party.Name != "" {
		c.info.Party = pp.party
	}
	c.iceUp, c.framed = next.up, true
	c.frames, c.framesAt, c.samples, c.samplesAt = 0, time.Time{}, 0, time.Time{}
	c.info.Reconnecting = false
	c.info.TheirVideoStopped = false
	l.p.session.Store(c.sess)
	l.dirty = true
	if c.info.State == InCall && c.sess.Stats().State != PeerConnected {
		l.outage(c)
	}
	l.applyRates(c)
	l.liftOwnCaps(c)
	return true
}

// errLeft is why the first pair ends when its participant left.
var errLeft = errors.New("left the call")

// endGroup closes every group pair of a call that ends.
func (l *loop) endGroup(c *activeCall) {
	for _, gp := range c.grp.peers {
		for _, t := range append(gp.timers, gp.outage, gp.retry) {
			if t != nil {
				t.Stop()
			}
		}
		l.closeSession(c, gp.sess)
	}
	c.grp.peers = nil
	for _, r := range c.grp.rates {
		if r.probe != nil {
			r.probe.Stop()
		}
	}
}

// pairOf returns the group pair of sess, or nil (the first pair's, or one closed since).
func (c *activeCall) pairOf(sess *Session) *groupPeer {
	for _, gp := range c.grp.peers {
		if gp.sess == sess {
			return gp
		}
	}
	return nil
}
