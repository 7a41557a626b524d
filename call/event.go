package call

import "bedside/call/signal"

// State is where the phone's current call stands.
type State int

// The call states. A call goes Ringing → Connecting → InCall → Ended, or ends early in Ended or
// Failed. A Snapshot keeps the last call's Ended or Failed until the next call begins; the
// phone is ready for a new call from then on.
const (
	Idle       State = iota // no call yet
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

// Over reports whether s means there is no call now (none yet, or the last one is over).
func (s State) Over() bool { return s == Idle || s == Ended || s == Failed }

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

// Snapshot is everything the phone knows at one moment, as a screen shows it. The phone
// publishes a new one after every change (see Phone.Updates); each is a copy that its reader
// owns.
type Snapshot struct {
	// Seq grows with every snapshot the phone publishes.
	Seq uint64
	// Connected says whether the phone is connected to the ward server.
	Connected bool
	// Config is the latest configuration from the server, presence applied. ConfigSeq grows
	// each time the server sends a whole configuration (welcome or config), not on presence.
	Config    signal.Config
	ConfigSeq uint64
	// Call is the current call, or the last one (Ended or Failed, with its Reason) until the
	// next one begins; its State is Idle before the first call.
	Call CallInfo
	// Live, on a family end, is a call of its patient in progress that it is not in (the
	// server's live message); zero when there is none.
	Live LiveCall
}

// CallInfo is one call as the phone sees it.
type CallInfo struct {
	ID        string // empty until the server names a call we dialled
	State     State
	Direction Direction
	Party     signal.Party // who is at the other end
	Reason    signal.Reason
	// Muted and CameraOff are what this call sends: every call starts with the microphone and
	// the camera on.
	Muted     bool
	CameraOff bool
	// Reconnecting says that the call's media was lost and the phone is getting it back (ICE
	// restart, the server's connection); the call ends as failed if that takes longer than
	// Config.OutageLimit.
	Reconnecting bool
	// VideoPaused says that this end sends no picture, only sound: the link is too thin for
	// both (it comes back when the link recovers). TheirVideoStopped says that no picture came
	// from the other end for a while although its sound does (its link is thin, or its camera
	// stalled).
	VideoPaused       bool
	TheirVideoStopped bool
	// Participants are the others in the call (and those rung into it), the other end of a
	// call of two included, first the one of the call's first pair (Party's); empty once the
	// call is over.
	Participants []Participant
}
