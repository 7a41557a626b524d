package server

import (
	"fmt"

	"bedside/call/signal"
)

// callState is where a call is in its life.
type callState int

// The call states. A call is created ringing (the invite found its callee) and removed from
// the hub when it reaches stateEnded.
const (
	stateRinging   callState = iota // the callee's screens are ringing
	stateAccepted                   // the callee answered; the ends negotiate media
	stateConnected                  // at least one end reported media flowing
	stateEnded                      // over; the reason is in the call log
)

func (s callState) String() string {
	switch s {
	case stateRinging:
		return "ringing"
	case stateAccepted:
		return "accepted"
	case stateConnected:
		return "connected"
	case stateEnded:
		return "ended"
	}
	return fmt.Sprintf("callState(%d)", int(s))
}

// callEvent is something that happens to a call.
type callEvent int

// The call events.
const (
	evAccept       callEvent = iota // accept
	evDecline                       // decline
	evHangup                        // hangup
	evFail                          // hangup with reason "failed": that end lost the call (its network)
	evConnected                     // connected: media flows on one end
	evRelay                         // offer, answer, candidate or restart
	evRingTimeout                   // nobody answered in time
	evMediaTimeout                  // accepted, but media never connected in time
	evLeave                         // one end's connection went away
	evAwayTimeout                   // an end whose connection went did not come back in time
	evShutdown                      // the server is stopping
)

func (e callEvent) String() string {
	switch e {
	case evAccept:
		return "accept"
	case evDecline:
		return "decline"
	case evHangup:
		return "hangup"
	case evFail:
		return "fail"
	case evConnected:
		return "connected"
	case evRelay:
		return "relay"
	case evRingTimeout:
		return "ring-timeout"
	case evMediaTimeout:
		return "media-timeout"
	case evLeave:
		return "leave"
	case evAwayTimeout:
		return "away-timeout"
	case evShutdown:
		return "shutdown"
	}
	return fmt.Sprintf("callEvent(%d)", int(e))
}

// side is which end of a call an event comes from.
type side int

const (
	sideNone   side = iota // the server itself (timers, shutdown)
	sideCaller             // the end that invited
	sideCallee             // the end that was rung
)

// step is the call state machine: the state after ev (from the given side) in state s, and
// when that state is stateEnded, why. An event that is not allowed returns s unchanged and
// ErrBadState (or ErrNoSuchCall once the call has ended); a stale timer returns s unchanged
// and no error.
func step(s callState, ev callEvent, from side) (callState, signal.Reason, error) {
	if s == stateEnded {
		return s, "", ErrNoSuchCall
	}
	switch ev {
	case evShutdown, evFail:
		return stateEnded, signal.ReasonFailed, nil
	case evLeave:
		if s == stateRinging && from == sideCaller {
			return stateEnded, signal.ReasonCancelled, nil
		}
		return stateEnded, signal.ReasonFailed, nil
	case evHangup:
		switch {
		case s != stateRinging:
			return stateEnded, signal.ReasonHangup, nil
		case from == sideCaller:
			return stateEnded, signal.ReasonCancelled, nil
		default:
			return stateEnded, signal.ReasonDeclined, nil
		}
	}
	switch s {
	case stateRinging:
		switch ev {
		case evAccept:
			if from == sideCallee {
				return stateAccepted, "", nil
			}
		case evDecline:
			if from == sideCallee {
				return stateEnded, signal.ReasonDeclined, nil
			}
		case evRingTimeout:
			return stateEnded, signal.ReasonMissed, nil
		case evMediaTimeout, evAwayTimeout:
			return s, "", nil
		}
	case stateAccepted:
		switch ev {
		case evConnected:
			return stateConnected, "", nil
		case evRelay:
			return s, "", nil
		case evMediaTimeout:
			return stateEnded, signal.ReasonFailed, nil
		case evRingTimeout, evAwayTimeout:
			return s, "", nil
		}
	case stateConnected:
		switch ev {
		case evConnected, evRelay, evRingTimeout, evMediaTimeout:
			return s, "", nil
		case evAwayTimeout:
			return stateEnded, signal.ReasonFailed, nil
		}
	}
	return s, "", fmt.Errorf("%w: %s while %s", ErrBadState, ev, s)
}
