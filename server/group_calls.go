package server

import (
	"fmt"
	"slices"

	"bedside/call/signal"
	"bedside/server/store"
)

// What happens to a group call: joins, adds, answers to being added, hangups (group_away.go
// has connections that go and come back, group_relay.go the signaling between pairs). Every
// function here runs under hub.mu (the ones without Locked take it); see group.go for the
// state.

// toGroupLocked turns the call of two k into a group call: both ends become members. Both
// must be here (a newcomer must reach everyone), unless allowAway: a call taken back after a
// restart (resumeJoinLocked) keeps holding the end that has not come back yet.
func (h *hub) toGroupLocked(k *call, allowAway bool) error {
	if k.isGroup() {
		return nil
	}
	if k.state != stateConnected {
		return fmt.Errorf("%w: the call is not in progress", ErrNoSuchCall)
	}
	if !allowAway && (k.caller == nil || k.callee == nil) {
		return fmt.Errorf("%w: wait until everyone in the call is back", ErrBadState)
	}
	var away []*member
	for _, sd := range []side{sideCaller, sideCallee} {
		c := k.caller
		if sd == sideCallee {
			c = k.callee
		}
		m := &member{party: k.grp.parties[sd], c: c, joined: k.answered, announced: k.announced[sd], seat: seatFamily}
		if m.party.ID == "" && c != nil {
			m.party = c.party
		}
		m.party.ID = k.contactID // an end away after a restart is known by its id only
		if sd == k.deviceSide() {
			m.seat, m.party.ID = seatDevice, signal.DevicePeer
		}
		if c == nil {
			away = append(away, m)
		}
		k.grp.members = append(k.grp.members, m)
	}
	if k.awayTimer != nil {
		k.awayTimer.Stop()
	}
	k.caller, k.callee, k.away = nil, nil, sideNone
	k.grp.ringing = make(map[string]*ringIn)
	for _, m := range away {
		h.holdLocked(k, m)
	}
	return nil
}

// joinCall puts page c into call id, in progress, as checkEntry allows. groupCalls and
// mayJoin were read fresh from the store by the caller.
func (h *hub) joinCall(c *client, id string, groupCalls, mayJoin bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := h.calls[id]
	if k == nil {
		return fmt.Errorf("%w: %s", ErrNoSuchCall, id)
	}
	if c.call == k && k.isGroup() && k.ringeeOf(c) != "" {
		return h.acceptAddLocked(c, k) // joining the call one is rung into is answering it
	}
	k.grp.groupCalls = groupCalls
	c.mayJoin = mayJoin
	if err := checkEntry(k.entryFor(c)); err != nil {
		return err
	}
	if err := h.toGroupLocked(k, false); err != nil {
		return err
	}
	h.enterLocked(k, c)
	return nil
}

// enterLocked makes c a member of k: c gets joined with everyone else, the others a
// participant joined; c will offer to each of them.
func (h *hub) enterLocked(k *call, c *client) {
	m := &member{party: c.party, seat: seatOf(c), c: c, joined: h.s.cfg.Now()}
	m.party.AutoAnswer = false
	k.grp.members = append(k.grp.members, m)
	c.call = k
	h.sendLocked(c, signal.Message{Type: signal.TypeJoined, Call: k.id, Participants: k.participants(m.party.ID)})
	h.toMembersLocked(k, m, signal.Message{Type: signal.TypeParticipant, Call: k.id, From: &m.party, Event: signal.EventJoined})
	h.liveLocked(k)
}

// toMembersLocked sends msg to every member of k that is here, but not to except.
func (h *hub) toMembersLocked(k *call, except *member, msg signal.Message) {
	for _, m := range k.grp.members {
		if m != except && m.c != nil {
			h.sendLocked(m.c, msg)
		}
	}
}

// addToCall rings contact `to` (of the call's patient, as the caller checked: party is how
// the others will see them) into call id, on behalf of c, a participant of it.
func (h *hub) addToCall(c *client, id string, to signal.Party, groupCalls, mayJoin bool) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := h.calls[id]
	if k == nil || c.call != k {
		return fmt.Errorf("%w: %s", ErrNoSuchCall, id)
	}
	if k.isGroup() && k.memberOf(c) == nil {
		return fmt.Errorf("%w: answer the call first", ErrBadState)
	}
	if !k.isGroup() && c != k.caller && c != k.callee {
		return fmt.Errorf("%w: answer the call first", ErrBadState)
	}
	c.mayJoin = mayJoin
	if err := mayAdd(seatOf(c), mayJoin); err != nil {
		return err
	}
	k.grp.groupCalls = groupCalls
	err := checkEntry(entry{samePatient: true, connected: k.state == stateConnected, groupCalls: groupCalls,
		mayJoin: true, seat: seatFamily, inCall: k.hasParticipant(to.ID), room: k.roster()})
	if err != nil {
		return err
	}
	var targets []*client
	online := false
	for f := range h.contacts[to.ID] {
		online = true
		if f.call == nil {
			targets = append(targets, f)
		}
	}
	switch {
	case !online:
		return fmt.Errorf("%w: %s is not connected", ErrPeerOffline, to.ID)
	case len(targets) == 0:
		return fmt.Errorf("%w: %s is in another call", ErrBusy, to.ID)
	}
	if err := h.toGroupLocked(k, false); err != nil {
		return err
	}
	by := k.memberOf(c).party
	to.AutoAnswer = false
	r := &ringIn{party: to, clients: targets}
	k.grp.ringing[to.ID] = r
	contact := to.ID
	r.timer = h.s.cfg.AfterFunc(h.s.cfg.RingTimeout, func() {
		h.withGroup(id, func(k *call, _ *[]store.CallRecord) {
			if k.grp.ringing[contact] == r {
				h.ringOverLocked(k, contact, nil, signal.EventMissed)
			}
		})
	})
	for _, t := range targets {
		t.call = k
		h.sendLocked(t, signal.Message{Type: signal.TypeRing, Call: id, From: &by, Participants: k.participants("")})
	}
	h.toMembersLocked(k, nil, signal.Message{Type: signal.TypeParticipant, Call: id, From: &r.party, Event: signal.EventRinging})
	h.liveLocked(k) // one seat fewer
	return nil
}

// withGroup runs f on group call id, if it still exists, under hub.mu, then logs the calls
// that ended.
func (h *hub) withGroup(id string, f func(k *call, recs *[]store.CallRecord)) {
	var recs []store.CallRecord
	h.mu.Lock()
	if k := h.calls[id]; k != nil && k.isGroup() {
		f(k, &recs)
	}
	h.mu.Unlock()
	h.logCalls(recs)
}

// ringOverLocked ends the ringing of contact in k: declined on screen by (the others get
// elsewhere), or missed (by is nil; its screens get missed). The members hear ev.
func (h *hub) ringOverLocked(k *call, contact string, by *client, ev signal.Event) {
	r := k.grp.ringing[contact]
	delete(k.grp.ringing, contact)
	r.timer.Stop()
	for _, t := range r.clients {
		reason := signal.ReasonMissed
		switch {
		case by == t:
			reason = signal.ReasonDeclined
		case by != nil:
			reason = signal.ReasonElsewhere
		}
		if t.call == k {
			t.call = nil
		}
		h.sendLocked(t, signal.Message{Type: signal.TypeEnded, Call: k.id, Reason: reason})
	}
	h.toMembersLocked(k, nil, signal.Message{Type: signal.TypeParticipant, Call: k.id, From: &r.party, Event: ev})
	h.liveLocked(k)
}

// acceptAddLocked answers, on screen c, the ringing that adds its contact to k.
func (h *hub) acceptAddLocked(c *client, k *call) error {
	contact := k.ringeeOf(c)
	r := k.grp.ringing[contact]
	delete(k.grp.ringing, contact)
	r.timer.Stop()
	for _, t := range r.clients {
		if t == c {
			continue
		}
		if t.call == k {
			t.call = nil
		}
		h.sendLocked(t, signal.Message{Type: signal.TypeEnded, Call: k.id, Reason: signal.ReasonElsewhere})
	}
	h.enterLocked(k, c)
	return nil
}

// groupActLocked applies a client's call event to group call k.
func (h *hub) groupActLocked(c *client, k *call, ev callEvent, recs *[]store.CallRecord) error {
	if contact := k.ringeeOf(c); contact != "" {
		switch ev {
		case evAccept:
			return h.acceptAddLocked(c, k)
		case evDecline, evHangup:
			h.ringOverLocked(k, contact, c, signal.EventDeclined)
			return nil
		}
		return fmt.Errorf("%w: %s while being rung into a call", ErrBadState, ev)
	}
	m := k.memberOf(c)
	if m == nil {
		return fmt.Errorf("%w: %s", ErrNoSuchCall, k.id)
	}
	switch ev {
	case evHangup:
		h.memberLeftLocked(k, m, signal.ReasonHangup, recs)
	case evFail:
		h.memberLeftLocked(k, m, signal.ReasonFailed, recs)
	case evConnected:
	default:
		return fmt.Errorf("%w: %s in a call in progress", ErrBadState, ev)
	}
	return nil
}

// memberLeftLocked takes m out of k for reason (hangup or failed): it gets ended (when here),
// the others a participant left; the call ends when the end rule says so.
func (h *hub) memberLeftLocked(k *call, m *member, reason signal.Reason, recs *[]store.CallRecord) {
	now := h.s.cfg.Now()
	k.grp.members = slices.DeleteFunc(k.grp.members, func(x *member) bool { return x == m })
	if m.away != nil {
		m.away.Stop()
	}
	k.grp.left = append(k.grp.left, store.CallParticipant{ID: m.party.ID, Kind: kindOf(m.seat),
		Joined: m.joined, Left: now, Reason: string(reason)})
	if m.c != nil {
		if m.c.call == k {
			m.c.call = nil
		}
		h.sendLocked(m.c, signal.Message{Type: signal.TypeEnded, Call: k.id, Reason: reason})
	}
	h.toMembersLocked(k, nil, signal.Message{Type: signal.TypeParticipant, Call: k.id, From: &m.party,
		Event: signal.EventLeft, Reason: reason})
	seats := make([]seat, 0, len(k.grp.members))
	for _, x := range k.grp.members {
		seats = append(seats, x.seat)
	}
	if callOver(seats) {
		h.endLocked(k, reason, nil, recs)
		return
	}
	h.liveLocked(k)
}
