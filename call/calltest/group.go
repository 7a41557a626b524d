package calltest

import (
	"slices"

	"bedside/call/signal"
)

// Group calls in the Hub, as the ward server has them (call/signal's package doc): join, add,
// participant events, offers, answers and candidates routed by Peer, and leaving a call that
// goes on. A call becomes a group call at its first join or add; until then it runs as a call
// of two, except that forwarded negotiation names its sender in Peer, as the server does.

// groupState is what a hubCall adds for group calls.
type groupState struct {
	group   bool            // a join or an add happened: the call runs by members
	members []string        // client ids in the call, in the order they came
	ringees map[string]bool // client ids rung into the call, not answered yet
}

// peerID is how the others name client id.
func (h *Hub) peerID(id string) string {
	if id == h.cfg.Device {
		return signal.DevicePeer
	}
	return id
}

// clientID is the client a peer id names.
func (h *Hub) clientID(peer string) string {
	if peer == signal.DevicePeer {
		return h.cfg.Device
	}
	return peer
}

// party is how the others see client id.
func (h *Hub) party(id string) signal.Party {
	if id == h.cfg.Device {
		return signal.Party{ID: signal.DevicePeer, Name: "Pat"}
	}
	for _, p := range h.cfg.Family {
		if p.ID == id {
			return p
		}
	}
	return signal.Party{ID: id, Name: id}
}

// partiesLocked lists the members of call but skip.
func (h *Hub) partiesLocked(call *hubCall, skip string) []signal.Party {
	var out []signal.Party
	for _, id := range call.members {
		if id != skip {
			out = append(out, h.party(id))
		}
	}
	return out
}

// toMembersLocked sends m to every member of call but skip.
func (h *Hub) toMembersLocked(call *hubCall, skip string, m signal.Message) {
	for _, id := range call.members {
		if id != skip {
			h.relayLocked(id, m)
		}
	}
}

// groupLocked handles m if it belongs to group calls; it reports whether it did.
func (h *Hub) groupLocked(c *hubClient, m signal.Message) bool {
	switch m.Type {
	case signal.TypeJoin:
		call := h.calls[m.Call]
		switch {
		case call == nil || !call.accepted:
			h.send(c, signal.ErrorMessage(m.Call, signal.Errorf(signal.CodeNoSuchCall, "no such call")))
		case c.call != "":
			h.send(c, signal.ErrorMessage(m.Call, signal.Errorf(signal.CodeBusy, "already in a call")))
		case !h.cfg.GroupCalls:
			h.send(c, signal.ErrorMessage(m.Call, signal.Errorf(signal.CodeForbidden, "no group calls")))
		default:
			h.letInLocked(call, c)
		}
		return true
	case signal.TypeAdd:
		call := h.calls[m.Call]
		to := h.clients[h.clientID(m.To)]
		switch {
		case call == nil || !slices.Contains(h.membersLocked(call), c.id):
			h.send(c, signal.ErrorMessage(m.Call, signal.Errorf(signal.CodeNoSuchCall, "no such call")))
		case !h.cfg.GroupCalls:
			h.send(c, signal.ErrorMessage(m.Call, signal.Errorf(signal.CodeForbidden, "no group calls")))
		case to == nil || to.call != "":
			h.toMembersLocked(call, "", signal.Message{Type: signal.TypeParticipant, Call: call.id,
				From: ptr(h.party(h.clientID(m.To))), Event: signal.EventMissed})
		default:
			h.groupify(call)
			call.ringees[to.id] = true
			from := h.party(c.id)
			h.send(to, signal.Message{Type: signal.TypeRing, Call: call.id, From: &from,
				Participants: h.partiesLocked(call, "")})
			h.toMembersLocked(call, "", signal.Message{Type: signal.TypeParticipant, Call: call.id,
				From: ptr(h.party(to.id)), Event: signal.EventRinging})
		}
		return true
	}
	call := h.calls[m.Call]
	if call == nil {
		return false
	}
	if call.ringees[c.id] {
		switch m.Type {
		case signal.TypeAccept:
			delete(call.ringees, c.id)
			h.letInLocked(call, c)
		case signal.TypeDecline, signal.TypeHangup:
			delete(call.ringees, c.id)
			h.toMembersLocked(call, "", signal.Message{Type: signal.TypeParticipant, Call: call.id,
				From: ptr(h.party(c.id)), Event: signal.EventDeclined})
		}
		return true
	}
	in := slices.Contains(h.membersLocked(call), c.id)
	switch m.Type {
	case signal.TypeOffer, signal.TypeAnswer, signal.TypeCandidate, signal.TypeRestart:
		if !call.accepted || !in {
			return false
		}
		to := ""
		if m.Peer != "" {
			to = h.clientID(m.Peer)
		} else if !call.group {
			to = call.callee
			if c.id == call.callee {
				to = call.caller
			}
		}
		if !slices.Contains(h.membersLocked(call), to) {
			h.send(c, signal.ErrorMessage(m.Call, signal.Errorf(signal.CodeNoSuchCall, "no such peer")))
			return true
		}
		m.Peer = h.peerID(c.id)
		h.relayLocked(to, m)
		return true
	case signal.TypeConnected:
		return call.group && in
	case signal.TypeHangup:
		if !call.group || !in {
			return false
		}
		reason := signal.ReasonHangup
		if m.Reason == signal.ReasonFailed {
			reason = signal.ReasonFailed
		}
		h.leaveLocked(call, c.id, reason, true)
		return true
	}
	return false
}

// membersLocked is who is in call: its members, or its two ends before it became a group.
func (h *Hub) membersLocked(call *hubCall) []string {
	if call.group {
		return call.members
	}
	if call.accepted {
		return []string{call.caller, call.callee}
	}
	return []string{call.caller}
}

func (h *Hub) groupify(call *hubCall) {
	if !call.group {
		call.members = h.membersLocked(call)
		call.group = true
		call.ringees = map[string]bool{}
	}
}

// letInLocked adds c to call: joined to c, participant joined to the others.
func (h *Hub) letInLocked(call *hubCall, c *hubClient) {
	h.groupify(call)
	h.send(c, signal.Message{Type: signal.TypeJoined, Call: call.id, Participants: h.partiesLocked(call, c.id)})
	h.toMembersLocked(call, c.id, signal.Message{Type: signal.TypeParticipant, Call: call.id,
		From: ptr(h.party(c.id)), Event: signal.EventJoined})
	call.members = append(call.members, c.id)
	c.call = call.id
}

// leaveLocked takes id out of a group call; the call ends when fewer than two are left.
func (h *Hub) leaveLocked(call *hubCall, id string, reason signal.Reason, tell bool) {
	call.members = slices.DeleteFunc(call.members, func(x string) bool { return x == id })
	if c, ok := h.clients[id]; ok {
		if c.call == call.id {
			c.call = ""
		}
		if tell {
			h.send(c, signal.Message{Type: signal.TypeEnded, Call: call.id, Reason: reason})
		}
	}
	if len(call.members) < 2 {
		h.endLocked(call.id, reason, "")
		return
	}
	h.toMembersLocked(call, "", signal.Message{Type: signal.TypeParticipant, Call: call.id,
		From: ptr(h.party(id)), Event: signal.EventLeft, Reason: reason})
}

func ptr[T any](v T) *T { return &v }
