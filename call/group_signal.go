package call

import (
	"errors"

	"bedside/call/signal"
)

// The server's messages about a group call: being let in, the others coming and going, and
// the negotiation of the pairs besides the first.

// onJoined: this end is let into a call in progress (after Join, or after accepting being
// added). It offers to everyone there: the tablet (or the first listed) becomes the first pair.
func (l *loop) onJoined(m signal.Message) {
	c := l.call
	if c == nil || (c.grp.joinCall != m.Call && c.info.ID != m.Call) {
		l.p.log.Info("joined a call this end no longer wants", "call", m.Call)
		l.send(signal.Message{Type: signal.TypeHangup, Call: m.Call})
		return
	}
	c.info.ID = m.Call
	c.grp.joinCall = ""
	c.grp.grouped = true
	if len(m.Participants) == 0 {
		l.fail(c, errors.New("joined a call with nobody in it"))
		return
	}
	first := m.Participants[0]
	for _, p := range m.Participants {
		if p.ID == signal.DevicePeer {
			first = p
		}
	}
	c.grp.peer, c.grp.offerer = first.ID, true
	c.info.Party = first
	if c.dialed != nil {
		c.dialed <- dialOutcome{call: m.Call}
		c.dialed = nil
	}
	for _, p := range m.Participants {
		l.setPerson(c, p, PartConnecting)
	}
	if c.sess == nil {
		if err := l.startSession(c); err != nil {
			l.fail(c, err)
			return
		}
	}
	l.setState(c, Connecting)
	sdp, err := c.sess.CreateOffer()
	if err != nil {
		l.fail(c, err)
		return
	}
	l.send(signal.Message{Type: signal.TypeOffer, Call: c.info.ID, Peer: first.ID, SDP: sdp})
	for _, p := range m.Participants {
		if p.ID != first.ID {
			l.openPeer(c, p, true)
		}
	}
}

// onParticipant follows the others: who rings, joins, declines, misses or leaves.
func (l *loop) onParticipant(m signal.Message) {
	c := l.current(m.Call)
	if c == nil || m.From == nil || m.From.ID == l.ownID() {
		return
	}
	c.grp.grouped = true
	id := m.From.ID
	switch m.Event {
	case signal.EventRinging:
		l.setPerson(c, *m.From, PartRinging)
	case signal.EventJoined:
		// The newcomer offers: its session is made when the offer comes.
		l.setPerson(c, *m.From, PartConnecting)
	case signal.EventDeclined, signal.EventMissed:
		s := PartDeclined
		if m.Event == signal.EventMissed {
			s = PartMissed
		}
		pp := l.setPerson(c, *m.From, s)
		l.after(c, shownFor, func(l *loop) {
			if c.grp.people[id] == pp && pp.state == s {
				l.removePerson(c, id)
			}
		})
	case signal.EventLeft:
		l.removePerson(c, id)
		if gp := c.grp.peers[id]; gp != nil {
			l.closePeer(c, gp)
		} else if id == l.firstPeer(c) && c.sess != nil {
			l.dropFirst(c, errLeft)
		}
		if l.call == c {
			l.reofferDeclined(c) // a place to decode our picture may have freed there
		}
	}
}

// routeNegotiation hands an offer, answer or candidate of a group call to its pair. It reports
// false for the first pair's, which onNegotiation handles as in a call of two.
func (l *loop) routeNegotiation(c *activeCall, m signal.Message) bool {
	peer := m.Peer
	if m.Type == signal.TypeOffer {
		of := peer
		if of == "" {
			of = l.firstPeer(c)
		}
		l.liftOnOffer(c, of) // before the answer is made: it carries the cap
	}
	if peer == "" || peer == l.ownID() || peer == l.firstPeer(c) {
		return false
	}
	gp := c.grp.peers[peer]
	if gp == nil && !c.grp.grouped && len(c.grp.peers) == 0 {
		// A call of two whose other end is named otherwise than this end guessed.
		c.grp.peer = peer
		return false
	}
	if gp == nil {
		if m.Type != signal.TypeOffer {
			l.p.log.Debug("negotiation for no pair", "type", m.Type, "peer", peer)
			return true
		}
		party := signal.Party{ID: peer}
		if pp := c.grp.people[peer]; pp != nil {
			party = pp.party
		}
		l.setPerson(c, party, PartConnecting)
		if gp = l.openPeer(c, party, false); gp == nil {
			return true
		}
	}
	var err error
	switch m.Type {
	case signal.TypeOffer:
		var answer string
		if answer, err = gp.sess.HandleOffer(m.SDP); err == nil {
			l.send(signal.Message{Type: signal.TypeAnswer, Call: c.info.ID, Peer: peer, SDP: answer})
		}
	case signal.TypeAnswer:
		if err = gp.sess.HandleAnswer(m.SDP); err != nil && gp.reconn {
			err = nil // the answer to a restart offer that a later one replaced
		}
	case signal.TypeCandidate:
		if err = gp.sess.AddCandidate(*m.Candidate); err != nil {
			l.p.log.Warn("remote candidate rejected", "peer", peer, "err", err)
			err = nil
		}
	}
	if err != nil {
		l.p.log.Warn("group pair failed", "call", c.info.ID, "peer", peer, "err", err)
		l.lostPeer(c, gp)
	}
	return true
}
