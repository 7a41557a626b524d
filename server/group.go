package server

import (
	"slices"
	"time"

	"bedside/call/signal"
	"bedside/server/store"
)

// Group calls (issue #13). A call starts between two ends as calls.go has it (caller and
// callee). The first join or add turns it into a group call: both ends become members, and
// from then on the call is the set of its members, with the contacts being rung into it:
// group_calls.go handles joins, adds and hangups, group_away.go connections that go and come
// back, group_relay.go signaling between pairs, group_rules.go the rules (pure functions).
// Everything here is guarded by hub.mu.

// groupState is the part of a call that group calls need. Its zero value is a call of two
// that never became a group call.
type groupState struct {
	// parties are the two ends as the others see them, once each is known.
	parties [sideCallee + 1]signal.Party
	// groupCalls: the patient allows group calls (as of the invite; joins and adds read it
	// fresh, and the console's refresh updates it).
	groupCalls bool
	// bedID is the bed of the patient's family pages (their hub.bedFamilies key).
	bedID string
	// live: the patient's other pages were told the call is in progress, so they must hear
	// when it is over.
	live bool

	members []*member               // nil until the call is a group call; in the order they came in
	ringing map[string]*ringIn      // contact id → being rung into the call
	left    []store.CallParticipant // members who left, for the log
}

// member is one participant of a group call.
type member struct {
	party  signal.Party // as the others see it; party.ID is the participant id (Peer)
	seat   seat
	c      *client // nil while its connection is away (held for the outage limit)
	joined time.Time
	away   Timer // running while c is nil
	// announced is the addresses its ICE candidates carried (turn_peers.go).
	announced addrSet
}

// ringIn is a contact being rung into a call by one of its members.
type ringIn struct {
	party   signal.Party
	clients []*client // the contact's screens that ring
	timer   Timer
}

// isGroup reports whether k became a group call.
func (k *call) isGroup() bool { return k.grp.members != nil }

// pidOf is the participant id of client c: DevicePeer for the tablet, else its contact's (or
// guest link's) id.
func pidOf(c *client) string {
	if c.role == signal.RoleDevice {
		return signal.DevicePeer
	}
	return c.id
}

// seatOf is what c counts as in a call.
func seatOf(c *client) seat {
	switch {
	case c.role == signal.RoleDevice:
		return seatDevice
	case c.guest:
		return seatGuest
	}
	return seatFamily
}

// kindOf is the call log's kind of a seat.
func kindOf(s seat) string {
	switch s {
	case seatDevice:
		return store.KindDevice
	case seatGuest:
		return store.KindGuest
	}
	return store.KindFamily
}

// memberOf returns c's member record in k, or nil.
func (k *call) memberOf(c *client) *member {
	for _, m := range k.grp.members {
		if m.c == c {
			return m
		}
	}
	return nil
}

// memberByID returns the member whose participant id is id, or nil.
func (k *call) memberByID(id string) *member {
	for _, m := range k.grp.members {
		if m.party.ID == id {
			return m
		}
	}
	return nil
}

// ringeeOf returns the contact id of the ringIn that rings c, or "".
func (k *call) ringeeOf(c *client) string {
	for id, r := range k.grp.ringing {
		if slices.Contains(r.clients, c) {
			return id
		}
	}
	return ""
}

// roster counts k's participants (both ends of a call of two) and those being rung.
func (k *call) roster() roster {
	var r roster
	count := func(s seat) {
		switch s {
		case seatFamily:
			r.family++
		case seatGuest:
			r.guests++
		}
	}
	if k.isGroup() {
		for _, m := range k.grp.members {
			count(m.seat)
		}
	} else {
		count(seatFamily) // the contact at one end
	}
	r.ringing = len(k.grp.ringing)
	return r
}

// hasParticipant reports whether participant id is in k or being rung into it.
func (k *call) hasParticipant(id string) bool {
	if _, ok := k.grp.ringing[id]; ok {
		return true
	}
	if k.isGroup() {
		return k.memberByID(id) != nil
	}
	return id == signal.DevicePeer || id == k.contactID
}

// participants is who is in k (away ones included), besides the participant except.
func (k *call) participants(except string) []signal.Party {
	var ps []signal.Party
	add := func(p signal.Party) {
		if p.ID != "" && p.ID != except {
			p.AutoAnswer = false
			ps = append(ps, p)
		}
	}
	if k.isGroup() {
		for _, m := range k.grp.members {
			add(m.party)
		}
		return ps
	}
	add(k.grp.parties[sideCaller])
	add(k.grp.parties[sideCallee])
	return ps
}

// canJoinLocked says whether page f may join k, for its live message.
func (k *call) canJoinLocked(f *client) bool {
	return checkEntry(k.entryFor(f)) == nil
}

// entryFor is page f's join of k, for checkEntry.
func (k *call) entryFor(f *client) entry {
	return entry{
		samePatient: f.patientID != "" && f.patientID == k.patientID,
		connected:   k.state == stateConnected,
		groupCalls:  k.grp.groupCalls,
		mayJoin:     f.mayJoin || f.guest,
		seat:        seatOf(f),
		inCall:      k.hasParticipant(pidOf(f)),
		busy:        f.call != nil && f.call != k,
		room:        k.roster(),
	}
}

// liveLocked tells the patient's pages that are not part of k who is in it now. A page of a
// participant (another tab of theirs, or their page back after a cut, which resumes) is not
// told: it could not join anyway.
func (h *hub) liveLocked(k *call) {
	if k.state != stateConnected || k.grp.bedID == "" {
		return
	}
	k.grp.live = true
	ps := k.participants("")
	for f := range h.bedFamilies[k.grp.bedID] {
		if f.patientID != k.patientID || f.call == k || k.hasParticipant(pidOf(f)) {
			continue
		}
		h.sendLocked(f, signal.Message{Type: signal.TypeLive, Call: k.id, Participants: ps, CanJoin: k.canJoinLocked(f)})
	}
}

// liveToLocked tells page c about its patient's calls in progress (after welcome, or a
// configuration change that may change whether it can join).
func (h *hub) liveToLocked(c *client) {
	if c.role != signal.RoleFamily || c.patientID == "" {
		return
	}
	for _, k := range h.calls {
		if k.patientID == c.patientID && k.state == stateConnected && c.call != k && !k.hasParticipant(pidOf(c)) {
			h.sendLocked(c, signal.Message{Type: signal.TypeLive, Call: k.id, Participants: k.participants(""), CanJoin: k.canJoinLocked(c)})
		}
	}
}

// liveOverLocked tells the pages that heard k was live that it is over.
func (h *hub) liveOverLocked(k *call) {
	if !k.grp.live {
		return
	}
	for f := range h.bedFamilies[k.grp.bedID] {
		if f.patientID == k.patientID && f.call != k {
			h.sendLocked(f, signal.Message{Type: signal.TypeLive, Call: k.id})
		}
	}
}

// groupCallsChanged applies a nurse's change of the patient's group-calls setting to their
// calls in progress, and tells the pages.
func (h *hub) groupCallsChanged(patientID string, on bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range h.calls {
		if k.patientID == patientID && k.grp.groupCalls != on {
			k.grp.groupCalls = on
			h.liveLocked(k)
		}
	}
}

// participantsLog is the call log's participants of k, ending now with reason for those
// still in it.
func (k *call) participantsLog(reason signal.Reason, now time.Time) []store.CallParticipant {
	if !k.isGroup() {
		if k.answered.IsZero() {
			return nil
		}
		var ps []store.CallParticipant
		for _, sd := range []side{sideCaller, sideCallee} {
			p := k.grp.parties[sd]
			if p.ID == "" {
				continue
			}
			s := seatFamily
			if p.ID == signal.DevicePeer {
				s = seatDevice
			}
			ps = append(ps, store.CallParticipant{ID: p.ID, Kind: kindOf(s), Joined: k.answered, Left: now, Reason: string(reason)})
		}
		return ps
	}
	ps := slices.Clone(k.grp.left)
	for _, m := range k.grp.members {
		ps = append(ps, store.CallParticipant{ID: m.party.ID, Kind: kindOf(m.seat), Joined: m.joined, Left: now, Reason: string(reason)})
	}
	slices.SortStableFunc(ps, func(a, b store.CallParticipant) int { return a.Joined.Compare(b.Joined) })
	return ps
}

// setSelfLocked records who family or guest page c is, from the configuration it is sent.
func (c *client) setSelfLocked(cfg *signal.Config) {
	if cfg.Self != nil {
		c.party = *cfg.Self
	}
	c.mayJoin = cfg.MayJoin
}
