package server

import (
	"encoding/base64"
	"fmt"
	"slices"
	"time"

	"bedside/call/signal"
	"bedside/server/store"
)

// call is one call between a patient's device and one contact. Guarded by hub.mu.
type call struct {
	id        string
	state     callState
	dir       store.Direction
	patientID string
	contactID string
	deviceID  string
	bedID     string // of a call taken back after a restart by its family end

	caller *client   // the screen that invited
	callee *client   // the screen that answered; nil until accepted
	rung   []*client // the callee's screens still ringing; empty once accepted

	started  time.Time
	answered time.Time
	setupMS  int
	timer    Timer

	// away is the end whose connection went while the call was connected (its pointer above
	// is nil), waiting for it to reconnect and resume the call within the outage limit;
	// sideNone while both ends are here.
	away      side
	awayTimer Timer

	// announced is the IP addresses each side's ICE candidates carried (turn_peers.go).
	announced [sideCallee + 1]addrSet

	// grp is who takes part, and all of a group call (group.go).
	grp groupState
}

// sideOf says which end c is of k; sideNone when c is not part of it.
func (k *call) sideOf(c *client) side {
	switch {
	case c == k.caller:
		return sideCaller
	case c == k.callee, slices.Contains(k.rung, c):
		return sideCallee
	}
	return sideNone
}

// peerOf returns the other end of an accepted call.
func (k *call) peerOf(c *client) *client {
	switch c {
	case k.caller:
		return k.callee
	case k.callee:
		return k.caller
	}
	return nil
}

// invitation is an invite checked against the store: who is calling whom.
type invitation struct {
	dir       store.Direction
	patientID string
	contactID string
	from      signal.Party // the caller as the callee sees it
	// groupCalls: the patient allows group calls.
	groupCalls bool
}

// invite places a call from c. The caller gets ringing (or ended, when the callee is offline
// or busy, which is logged too).
func (h *hub) invite(c *client, inv invitation) error {
	var recs []store.CallRecord
	defer func() { h.logCalls(recs) }()
	idBytes, err := h.s.random(16)
	if err != nil {
		return err
	}
	id := base64.RawURLEncoding.EncodeToString(idBytes)
	now := h.s.cfg.Now()

	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrShuttingDown
	}
	if c.call != nil {
		return fmt.Errorf("%w: the caller is in call %s", ErrBusy, c.call.id)
	}
	k := &call{id: id, state: stateRinging, dir: inv.dir, patientID: inv.patientID,
		contactID: inv.contactID, caller: c, started: now, setupMS: -1}
	k.grp.parties[sideCaller], k.grp.groupCalls, k.grp.bedID = c.party, inv.groupCalls, c.bedID
	var targets []*client
	online := false
	if inv.dir == store.FromFamily {
		if dev := h.beds[c.bedID]; dev != nil {
			online = true
			k.deviceID = dev.id
			if dev.call == nil {
				targets = append(targets, dev)
			}
		}
	} else {
		k.deviceID = c.id
		for f := range h.contacts[inv.contactID] {
			online = true
			if f.call == nil {
				targets = append(targets, f)
			}
		}
	}
	if len(targets) == 0 {
		reason := signal.ReasonOffline
		if online {
			reason = signal.ReasonBusy
		}
		k.state = stateEnded
		h.sendLocked(c, signal.Message{Type: signal.TypeEnded, Call: id, Reason: reason})
		recs = append(recs, k.record(reason, now))
		return nil
	}
	k.rung = targets
	h.calls[id] = k
	h.s.metrics.callsNow(len(h.calls))
	c.call = k
	h.sendLocked(c, signal.Message{Type: signal.TypeRinging, Call: id})
	from := inv.from
	for _, t := range targets {
		t.call = k
		h.sendLocked(t, signal.Message{Type: signal.TypeRing, Call: id, From: &from})
	}
	k.timer = h.s.cfg.AfterFunc(h.s.cfg.RingTimeout, func() { h.timeout(id, evRingTimeout) })
	return nil
}

// record is k's call-log row, ending now for reason.
func (k *call) record(reason signal.Reason, now time.Time) store.CallRecord {
	return store.CallRecord{PatientID: k.patientID, ContactID: k.contactID, DeviceID: k.deviceID,
		Direction: k.dir, Started: k.started, Answered: k.answered, Ended: now,
		Reason: string(reason), SetupMS: k.setupMS, Participants: k.participantsLog(reason, now)}
}

// act applies a client's call event (accept, decline, hangup, connected) to call id.
func (h *hub) act(c *client, id string, ev callEvent) error {
	var recs []store.CallRecord
	defer func() { h.logCalls(recs) }()
	h.mu.Lock()
	defer h.mu.Unlock()
	k := h.calls[id]
	if k != nil && k.isGroup() {
		return h.groupActLocked(c, k, ev, &recs)
	}
	if k == nil || k.sideOf(c) == sideNone {
		return fmt.Errorf("%w: %s", ErrNoSuchCall, id)
	}
	sd := k.sideOf(c)
	prev := k.state
	next, reason, err := step(k.state, ev, sd)
	if err != nil {
		return err
	}
	now := h.s.cfg.Now()
	switch {
	case next == stateEnded:
		h.endLocked(k, reason, c, &recs)
	case prev == stateRinging && next == stateAccepted:
		k.state = next
		k.callee = c
		k.grp.parties[sideCallee] = c.party
		k.answered = now
		for _, r := range k.rung {
			if r != c {
				r.call = nil
				h.sendLocked(r, signal.Message{Type: signal.TypeEnded, Call: id, Reason: signal.ReasonElsewhere})
			}
		}
		k.rung = nil
		k.timer.Stop()
		k.timer = h.s.cfg.AfterFunc(h.s.cfg.ConnectTimeout, func() { h.timeout(id, evMediaTimeout) })
		h.sendLocked(k.caller, signal.Message{Type: signal.TypeAccepted, Call: id})
	case prev == stateAccepted && next == stateConnected:
		k.state = next
		k.setupMS = int(now.Sub(k.answered).Milliseconds())
		h.s.metrics.callSetUp(k.setupMS)
		k.timer.Stop()
		h.liveLocked(k)
	}
	return nil
}

// relay passes an offer, answer, candidate or restart request to the other end of an accepted
// call.
func (h *hub) relay(c *client, m signal.Message) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := h.calls[m.Call]
	if k != nil && k.isGroup() {
		return h.groupRelayLocked(c, k, m)
	}
	if k == nil || k.sideOf(c) == sideNone {
		return fmt.Errorf("%w: %s", ErrNoSuchCall, m.Call)
	}
	if _, _, err := step(k.state, evRelay, k.sideOf(c)); err != nil {
		return err
	}
	peer := k.peerOf(c)
	if peer == nil {
		return fmt.Errorf("%w: %s", ErrNoSuchCall, m.Call)
	}
	k.announceLocked(k.sideOf(c), m)
	h.sendLocked(peer, signal.Message{Type: m.Type, Call: m.Call, Peer: pidOf(c), SDP: m.SDP, Candidate: m.Candidate})
	return nil
}

// timeout fires a timer event on call id, if it still exists.
func (h *hub) timeout(id string, ev callEvent) {
	var recs []store.CallRecord
	h.mu.Lock()
	if k := h.calls[id]; k != nil && !k.isGroup() { // a group call has its own timers
		if next, reason, err := step(k.state, ev, sideNone); err == nil && next == stateEnded {
			h.endLocked(k, reason, nil, &recs)
		}
	}
	h.mu.Unlock()
	h.logCalls(recs)
}

// leaveCallLocked handles c's connection going away while it is part of a call.
func (h *hub) leaveCallLocked(c *client, recs *[]store.CallRecord) {
	k := c.call
	c.call = nil
	if k == nil || k.state == stateEnded {
		return
	}
	if k.isGroup() {
		h.groupLeaveLocked(c, k, recs)
		return
	}
	if k.state == stateRinging && c != k.caller && len(k.rung) > 1 {
		k.rung = slices.DeleteFunc(k.rung, func(r *client) bool { return r == c })
		return
	}
	if k.state == stateConnected && k.away == sideNone && !c.stoppedByPolicy() {
		// The media is peer to peer and may well go on; the end's network may be back in a
		// moment (a cut, a tablet roaming between access points): hold the call for it.
		k.away = k.sideOf(c)
		if k.away == sideCaller {
			k.caller = nil
		} else {
			k.callee = nil
		}
		id := k.id
		k.awayTimer = h.s.cfg.AfterFunc(h.s.cfg.OutageLimit, func() { h.timeout(id, evAwayTimeout) })
		return
	}
	_, reason, _ := step(k.state, evLeave, k.sideOf(c))
	h.endLocked(k, reason, c, recs)
}

// resume puts c back into call id, which it was part of when its connection went: the engine
// sends it after reconnecting (see call.Phone). A call this server does not know (it
// restarted) is taken back from the first end that resumes it, as inv says (checked against
// the store by the caller), and waits for the other end for the outage limit. It fails with
// ErrNoSuchCall when the call is known but c was not its missing end.
func (h *hub) resume(c *client, id string, sd side, inv invitation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return ErrShuttingDown
	}
	k := h.calls[id]
	switch {
	case k != nil && c.call == k:
		return nil // it never left
	case c.call != nil:
		return fmt.Errorf("%w: in call %s", ErrBusy, c.call.id)
	case k == nil:
		if reason, over := h.overSet[id]; over {
			// It ended while this end was away: say how, as it would have heard.
			h.sendLocked(c, signal.Message{Type: signal.TypeEnded, Call: id, Reason: reason})
			return nil
		}
		h.adoptLocked(c, id, sd, inv)
		return nil
	case k.isGroup():
		if err := h.groupResumeLocked(c, k); err == nil {
			return nil
		}
		return h.resumeJoinLocked(c, k, inv) // a member the server's restart forgot
	case k.away == sideNone && h.takeOverLocked(c, k):
		return nil // a family end on a new network, whose old connection the server still has
	case k.away == sideNone || !k.wasAt(c, k.away):
		return h.resumeJoinLocked(c, k, inv) // ErrNoSuchCall unless it was a group call
	}
	// Who c is decides, not the side it names: a member who joined a group call names a side
	// of its own, and the first to take the call back after a restart may have been one.
	if k.away == sideCaller {
		k.caller = c
	} else {
		k.callee = c
	}
	k.grp.parties[k.away] = c.party
	k.away = sideNone
	k.awayTimer.Stop()
	c.call = k
	return nil
}

// adoptLocked takes back a call in progress that this server does not know, from its end c
// at side sd: the media went on peer to peer while the server restarted. The other end has
// the outage limit to resume it too. Its log row starts now: when it started is lost.
func (h *hub) adoptLocked(c *client, id string, sd side, inv invitation) {
	now := h.s.cfg.Now()
	device := c.role == signal.RoleDevice
	dir := store.FromFamily
	if device == (sd == sideCaller) {
		dir = store.FromPatient
	}
	k := &call{id: id, state: stateConnected, dir: dir, patientID: inv.patientID,
		contactID: inv.contactID, bedID: c.bedID, started: now, answered: now, setupMS: -1}
	k.grp.parties[sd], k.grp.groupCalls, k.grp.bedID = c.party, inv.groupCalls, c.bedID
	if device {
		k.deviceID = c.id
	}
	if sd == sideCaller {
		k.caller, k.away = c, sideCallee
	} else {
		k.callee, k.away = c, sideCaller
	}
	k.awayTimer = h.s.cfg.AfterFunc(h.s.cfg.OutageLimit, func() { h.timeout(id, evAwayTimeout) })
	h.calls[id] = k
	h.s.metrics.callsNow(len(h.calls))
	c.call = k
	h.s.log.Info("call taken back after a restart", "call", id)
}

// wasAt reports whether c is who stands at side sd of k: the patient's device, or the
// contact's family page.
func (k *call) wasAt(c *client, sd side) bool {
	deviceSide := sideCallee
	if k.dir == store.FromPatient {
		deviceSide = sideCaller
	}
	if sd == deviceSide {
		if c.role != signal.RoleDevice {
			return false
		}
		if k.deviceID == "" { // taken back from the family's end: the bed's tablet
			if c.bedID != k.bedID {
				return false
			}
			k.deviceID = c.id
			return true
		}
		return c.id == k.deviceID
	}
	return c.role == signal.RoleFamily && c.id == k.contactID
}

// endLocked ends k for reason: every screen still part of it gets ended (the callee's other
// screens get "elsewhere" when by declined it), and its log row is queued in recs.
func (h *hub) endLocked(k *call, reason signal.Reason, by *client, recs *[]store.CallRecord) {
	h.groupEndLocked(k, reason)
	k.state = stateEnded
	for _, t := range []Timer{k.timer, k.awayTimer} {
		if t != nil {
			t.Stop()
		}
	}
	delete(h.calls, k.id)
	h.overSet[k.id] = reason
	h.over = append(h.over, k.id)
	if len(h.over) > maxOver {
		delete(h.overSet, h.over[0])
		h.over = h.over[1:]
	}
	notify := func(c *client, r signal.Reason) {
		if c == nil {
			return
		}
		if c.call == k {
			c.call = nil
		}
		h.sendLocked(c, signal.Message{Type: signal.TypeEnded, Call: k.id, Reason: r})
	}
	notify(k.caller, reason)
	notify(k.callee, reason)
	for _, r := range k.rung {
		rr := reason
		if reason == signal.ReasonDeclined && by != nil && r != by {
			rr = signal.ReasonElsewhere
		}
		notify(r, rr)
	}
	*recs = append(*recs, k.record(reason, h.s.cfg.Now()))
	h.s.metrics.callsNow(len(h.calls))
}
