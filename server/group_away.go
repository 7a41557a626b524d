package server

// Group-call members whose connection goes away and comes back (the outage limit, a restart
// of the server), and the end of a group call.

import (
	"fmt"
	"slices"

	"bedside/call/signal"
	"bedside/server/store"
)

// resumeJoinLocked takes family page c, which resumes call k after a restart of the server
// that forgot k was a group call, back into it as a member: k became a call of two again when
// its first end took it back. Nobody is told: the media between c and the others went on.
func (h *hub) resumeJoinLocked(c *client, k *call, inv invitation) error {
	if c.role != signal.RoleFamily || inv.patientID != k.patientID || !inv.groupCalls {
		return fmt.Errorf("%w: %s", ErrNoSuchCall, k.id)
	}
	e := entry{samePatient: true, connected: k.state == stateConnected, groupCalls: true, mayJoin: true,
		seat: seatOf(c), inCall: k.hasParticipant(pidOf(c)), room: k.roster()}
	if err := checkEntry(e); err != nil {
		return fmt.Errorf("%w: %s (%v)", ErrNoSuchCall, k.id, err)
	}
	if err := h.toGroupLocked(k, true); err != nil {
		return err
	}
	m := &member{party: c.party, seat: seatOf(c), c: c, joined: h.s.cfg.Now()}
	m.party.AutoAnswer = false
	k.grp.members = append(k.grp.members, m)
	c.call = k
	h.liveLocked(k)
	return nil
}

// groupLeaveLocked handles c's connection going away while part of group call k (c.call is
// already cleared): a screen being rung stops ringing (the contact misses the call when it
// was their last); a member is held for the outage limit, unless the server ended its
// connection on purpose.
func (h *hub) groupLeaveLocked(c *client, k *call, recs *[]store.CallRecord) {
	if contact := k.ringeeOf(c); contact != "" {
		r := k.grp.ringing[contact]
		r.clients = slices.DeleteFunc(r.clients, func(x *client) bool { return x == c })
		if len(r.clients) == 0 {
			h.ringOverLocked(k, contact, nil, signal.EventMissed)
		}
		return
	}
	m := k.memberOf(c)
	if m == nil {
		return
	}
	if c.stoppedByPolicy() {
		h.memberLeftLocked(k, m, signal.ReasonFailed, recs)
		return
	}
	m.c = nil
	h.holdLocked(k, m)
}

// holdLocked holds the place of member m, whose connection is away, for the outage limit;
// then it leaves, failed.
func (h *hub) holdLocked(k *call, m *member) {
	id := k.id
	m.away = h.s.cfg.AfterFunc(h.s.cfg.OutageLimit, func() {
		h.withGroup(id, func(k *call, recs *[]store.CallRecord) {
			if slices.Contains(k.grp.members, m) && m.c == nil {
				h.memberLeftLocked(k, m, signal.ReasonFailed, recs)
			}
		})
	})
}

// groupResumeLocked puts c back into group call k, as the member whose connection went:
// the tablet of the call, or the same contact's (or guest's) page.
func (h *hub) groupResumeLocked(c *client, k *call) error {
	for _, m := range k.grp.members {
		if m.c != nil || m.seat != seatOf(c) {
			continue
		}
		device := m.seat == seatDevice && (c.id == k.deviceID || (k.deviceID == "" && c.bedID == k.bedID))
		if device || (m.seat != seatDevice && m.party.ID == c.id) {
			if device {
				k.deviceID = c.id
			}
			m.c = c
			m.party = c.party // a call taken back after a restart knew only the id
			m.party.AutoAnswer = false
			m.away.Stop()
			m.away = nil
			c.call = k
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrNoSuchCall, k.id)
}

// groupEndLocked is the group part of ending k: members still here and screens still
// ringing are told, and the patient's other pages hear the call is over.
func (h *hub) groupEndLocked(k *call, reason signal.Reason) {
	h.liveOverLocked(k)
	for _, m := range k.grp.members {
		if m.away != nil {
			m.away.Stop()
		}
		if m.c != nil {
			if m.c.call == k {
				m.c.call = nil
			}
			h.sendLocked(m.c, signal.Message{Type: signal.TypeEnded, Call: k.id, Reason: reason})
		}
	}
	for _, r := range k.grp.ringing {
		r.timer.Stop()
		for _, t := range r.clients {
			if t.call == k {
				t.call = nil
			}
			h.sendLocked(t, signal.Message{Type: signal.TypeEnded, Call: k.id, Reason: signal.ReasonCancelled})
		}
	}
	k.grp.ringing = nil
}

// groupForgetLocked lets go of group call k without ending it (the server is stopping; see
// hub.close): its members' leaving must not end it.
func (h *hub) groupForgetLocked(k *call) {
	for _, m := range k.grp.members {
		if m.away != nil {
			m.away.Stop()
		}
		if m.c != nil && m.c.call == k {
			m.c.call = nil
		}
	}
	for _, r := range k.grp.ringing {
		r.timer.Stop()
		for _, t := range r.clients {
			if t.call == k {
				t.call = nil
			}
		}
	}
}
