package call

import (
	"fmt"

	"bedside/call/signal"
)

// The loop's side of the Phone's methods.

func (l *loop) dial(to string, reply chan dialOutcome) {
	switch {
	case l.stopped:
		reply <- dialOutcome{err: ErrClosed}
		return
	case l.call != nil:
		reply <- dialOutcome{err: ErrBusy}
		return
	case !l.connected:
		reply <- dialOutcome{err: ErrNotConnected}
		return
	}
	c := &activeCall{
		info:   CallInfo{State: Ringing, Direction: Outgoing, Party: signal.Party{ID: to}},
		dialed: reply,
		origin: reply,
	}
	for _, contact := range l.p.client.Config().Contacts {
		if contact.ID == to {
			c.info.Party = contact.Party
		}
	}
	l.call = c
	l.applyMedia()
	l.send(signal.Message{Type: signal.TypeInvite, To: to})
}

// abandon forgets the call of a Dial that gave up: an invite the server has not named yet is
// hung up when its ringing comes; a call it named meanwhile is hung up now.
func (l *loop) abandon(origin chan dialOutcome) {
	c := l.call
	if c == nil || c.origin != origin {
		return
	}
	if c.info.ID != "" {
		l.hangup()
		return
	}
	c.dialed = nil
	l.call = nil
	l.abandoned++
	l.applyMedia()
}

// ringing returns the incoming call callID if it is ringing, for what (answer, decline) to
// act on.
func (l *loop) ringing(callID, what string) (*activeCall, error) {
	c := l.call
	if c == nil || c.info.ID != callID || c.info.Direction != Incoming {
		return nil, ErrNoSuchCall
	}
	if c.info.State != Ringing {
		return nil, fmt.Errorf("%w: %s while %s", ErrBadState, what, c.info.State)
	}
	return c, nil
}

func (l *loop) answer(callID string) error {
	if l.stopped {
		return ErrClosed
	}
	c, err := l.ringing(callID, "answer")
	if err != nil {
		return err
	}
	if c.grp.rungIn {
		// Added to a call in progress: the server answers with joined, and this end offers.
		l.setState(c, Connecting)
		l.send(signal.Message{Type: signal.TypeAccept, Call: callID})
		return nil
	}
	if err := l.startSession(c); err != nil {
		l.send(signal.Message{Type: signal.TypeDecline, Call: c.info.ID})
		l.end(signal.ReasonFailed, err)
		return err
	}
	l.setState(c, Connecting)
	l.send(signal.Message{Type: signal.TypeAccept, Call: callID})
	return nil
}

func (l *loop) decline(callID string) error {
	if _, err := l.ringing(callID, "decline"); err != nil {
		return err
	}
	l.end(signal.ReasonDeclined, nil)
	l.send(signal.Message{Type: signal.TypeDecline, Call: callID})
	return nil
}

func (l *loop) hangup() {
	c := l.call
	if c == nil {
		return
	}
	if c.info.ID == "" && c.grp.joinCall != "" {
		l.cancelJoin(c) // a Join not let in yet
		return
	}
	if c.info.ID == "" {
		if c.dialed != nil { // the pending Dial learns that it was cancelled
			c.dialed <- dialOutcome{err: &EndedError{Reason: signal.ReasonCancelled}}
			c.dialed = nil
		}
		l.abandon(c.origin)
		return
	}
	msg := signal.Message{Type: signal.TypeHangup, Call: c.info.ID}
	reason := signal.ReasonHangup
	switch {
	case c.info.Direction == Incoming && c.info.State == Ringing:
		msg.Type, reason = signal.TypeDecline, signal.ReasonDeclined
	case c.info.Direction == Outgoing && c.info.State == Ringing:
		reason = signal.ReasonCancelled
	}
	l.end(reason, nil)
	l.send(msg)
}
