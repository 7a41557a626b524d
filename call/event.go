package call

import "bedside/call/signal"

// State is where the phone's current call stands.
type State int

// The call states. A call goes Ringing → Connecting → InCall → Ended, or ends early in Ended or
// Failed; after Ended or Failed the phone is Idle again and ready for the next call.
const (
	Idle       State = iota // no call
	Ringing                 // an incoming call rings here, or an outgoing one rings there (see Direction)
	Connecting              // answered; media is being set up
	InCall                  // media flows both ways: connected, and the first frame shown
	Ended                   // the call is over (Reason says why)
	Failed                  // the call could not be set up, or the other end vanished
)

func (s State) String() string {
	switch s {
	case Idle:
		return "idle"
	case Ringing:
		return "ringing"
	case Connecting:
		return "connecting"
	case InCall:
		return "in-call"
	case Ended:
		return "ended"
	case Failed:
		return "failed"
	}
	return "unknown"
}

// Direction says who placed a call.
type Direction int

// The directions. The zero value means no call.
const (
	NoDirection Direction = iota
	Outgoing              // we dialled
	Incoming              // they rang us
)

func (d Direction) String() string {
	switch d {
	case NoDirection:
		return "none"
	case Outgoing:
		return "outgoing"
	case Incoming:
		return "incoming"
	}
	return "unknown"
}

// EventKind says what an Event reports.
type EventKind int

// The event kinds.
const (
	EventCall     EventKind = iota // the call's State changed
	EventConfig                    // the server sent a new configuration (welcome or config)
	EventPresence                  // a peer came online or went offline
	EventServer                    // the connection to the server came up or went down
)

func (k EventKind) String() string {
	switch k {
	case EventCall:
		return "call"
	case EventConfig:
		return "config"
	case EventPresence:
		return "presence"
	case EventServer:
		return "server"
	}
	return "unknown"
}

// Event is one change the phone reports. Which fields are set depends on Kind.
type Event struct {
	Kind EventKind

	// EventCall: the call's new State, its Direction and id, the other end, and for Ended and
	// Failed the Reason.
	State     State
	Direction Direction
	Call      string
	Party     signal.Party
	Reason    signal.Reason

	// EventConfig: the new configuration (a copy, presence applied). EventPresence: the peer and
	// whether it is online now; Config is the updated configuration too.
	Config signal.Config
	Peer   string
	Online bool

	// EventServer: whether the phone is connected to the server now.
	Connected bool
}
