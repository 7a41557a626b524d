package server

import (
	"fmt"

	"bedside/call/signal"
)

// The rules of group calls, as pure functions of what the hub knows, so that they are
// table-tested on their own (group_rules_test.go); group_calls.go applies them under hub.mu.

// seat is what one participant of a call counts as.
type seat int

const (
	seatDevice seat = iota // the patient's tablet
	seatFamily             // a contact's page
	seatGuest              // a guest link's page
)

// roster is who is in a call (away ones hold their place) and who is being rung into it.
type roster struct {
	family  int // contacts in the call
	guests  int
	ringing int // contacts being added
}

// roomFor reports whether one more of s fits: family members up to signal.MaxFamilyInCall
// (those being rung count, so that answering never overfills the call), guests up to
// signal.MaxGuestsInCall.
func (r roster) roomFor(s seat) bool {
	switch s {
	case seatGuest:
		return r.guests < signal.MaxGuestsInCall
	case seatFamily:
		return r.family+r.ringing < signal.MaxFamilyInCall
	}
	return false // the tablet is in its patient's call from the start
}

// callOver is the end rule: a call ends when fewer than two participants are left, or only
// guests.
func callOver(seats []seat) bool {
	if len(seats) < 2 {
		return true
	}
	for _, s := range seats {
		if s != seatGuest {
			return false
		}
	}
	return true
}

// entry is a request to come into a call in progress: a join from a page, or the contact
// that someone in the call wants to add.
type entry struct {
	samePatient bool // the call is one of the page's (or the adder's) patient
	connected   bool // the call is connected (it has media)
	groupCalls  bool // the patient allows group calls
	mayJoin     bool // joining: the contact may join calls in progress (a guest: always)
	seat        seat // who would come in
	inCall      bool // that participant is already in the call, or being rung into it
	busy        bool // joining: the page is in (or rung into) another call
	room        roster
}

// checkEntry says whether e may happen: nil, or the error the request is refused with
// (no-such-call for a call that is not the page's, or not in progress; forbidden when the
// nurse's settings do not allow it; busy when the call is full or the participant is in it
// already).
func checkEntry(e entry) error {
	switch {
	case !e.samePatient:
		return fmt.Errorf("%w: not a call of this patient", ErrNoSuchCall)
	case !e.connected:
		return fmt.Errorf("%w: the call is not in progress", ErrNoSuchCall)
	case !e.groupCalls:
		return fmt.Errorf("%w: group calls are off for this patient", ErrForbidden)
	case !e.mayJoin:
		return fmt.Errorf("%w: this contact may not join calls in progress", ErrForbidden)
	case e.inCall:
		return fmt.Errorf("%w: already in the call", ErrBusy)
	case e.busy:
		return fmt.Errorf("%w: in another call", ErrBusy)
	case !e.room.roomFor(e.seat):
		return fmt.Errorf("%w: the call is full", ErrBusy)
	}
	return nil
}

// mayAdd says whether a participant of seat s, whose contact may join calls in progress
// (mayJoin), may ring someone into the call: the tablet may, a family member when allowed to
// join calls, a guest never.
func mayAdd(s seat, mayJoin bool) error {
	switch {
	case s == seatGuest:
		return fmt.Errorf("%w: a guest cannot ring anyone", ErrForbidden)
	case s == seatFamily && !mayJoin:
		return fmt.Errorf("%w: this contact may not add others to calls", ErrForbidden)
	}
	return nil
}
