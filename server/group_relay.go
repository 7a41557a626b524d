package server

// Signaling between the members of a group call, pair by pair, and what the relay (TURN)
// lets each member reach.

import (
	"fmt"
	"net/netip"

	"bedside/call/signal"
)

// groupHolder is the member of group call k that holds TURN credentials who, or nil.
func (k *call) groupHolder(who holder) *member {
	for _, m := range k.grp.members {
		switch {
		case m.seat == seatDevice && who.role == signal.RoleDevice && who.id == k.deviceID,
			m.seat != seatDevice && who.role == signal.RoleFamily && who.id == m.party.ID:
			return m
		}
	}
	return nil
}

// groupAnnouncedTo reports whether a member of k other than holder who announced ip: the
// relay lets a participant's allocations reach every other participant.
func (k *call) groupAnnouncedTo(who holder, ip netip.Addr) bool {
	mine := k.groupHolder(who)
	if mine == nil {
		return false
	}
	for _, m := range k.grp.members {
		if _, ok := m.announced[ip]; ok && m != mine {
			return true
		}
	}
	return false
}

// groupRelayLocked passes an offer, answer or candidate from member c to the member its Peer
// names (in a group of two, an empty Peer names the other one), with Peer set to c's id. A
// message to a member who left, or whose connection is away, is dropped: that pair's peer
// connection is gone or will be renegotiated.
func (h *hub) groupRelayLocked(c *client, k *call, msg signal.Message) error {
	me := k.memberOf(c)
	if me == nil {
		if k.ringeeOf(c) != "" {
			return fmt.Errorf("%w: answer first", ErrBadState)
		}
		return fmt.Errorf("%w: %s", ErrNoSuchCall, msg.Call)
	}
	var to *member
	switch {
	case msg.Peer != "":
		to = k.memberByID(msg.Peer)
	case len(k.grp.members) == 2:
		to = k.grp.members[0]
		if to == me {
			to = k.grp.members[1]
		}
	default:
		return signal.Errorf(signal.CodeBadMessage, "%s in a group call needs a peer", msg.Type)
	}
	if to == me {
		return signal.Errorf(signal.CodeBadMessage, "%s to oneself", msg.Type)
	}
	me.announced = announceInto(me.announced, msg)
	if to == nil || to.c == nil {
		return nil
	}
	h.sendLocked(to.c, signal.Message{Type: msg.Type, Call: msg.Call, Peer: me.party.ID, SDP: msg.SDP, Candidate: msg.Candidate})
	return nil
}
