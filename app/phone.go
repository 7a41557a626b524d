package app

import (
	"context"
	"errors"
	"image"

	"bedside/provisioning"
)

// Phone is what the kiosk needs of the call engine. The kiosk calls Dial, Answer, Decline and
// Hangup off the UI goroutine; SetMuted and SetCameraOn on it, so they must return at once.
// What happens next arrives on Events.
type Phone interface {
	// Events delivers, in order, the engine's call states, configuration and connection
	// changes. The kiosk reads it until it is closed.
	Events() <-chan Event
	// Dial calls a contact of the patient by id.
	Dial(ctx context.Context, contactID string) error
	// Answer accepts the ringing incoming call; Decline refuses it.
	Answer(ctx context.Context) error
	Decline(ctx context.Context) error
	// Hangup ends the current call, or cancels an outgoing one that is still ringing.
	Hangup(ctx context.Context) error
	// SetMuted mutes or unmutes the current call's microphone; SetCameraOn starts or stops
	// sending its video. Every call starts with both on. The change shows in the next
	// CallEvent: the screen shows what the call sends, not what was asked.
	SetMuted(muted bool)
	SetCameraOn(on bool)
}

// Pairer pairs the tablet with a ward, in any of the three ways of the setup screen. Its errors
// wrap ErrPairInvalid, ErrPairExpired, ErrPairUsed, ErrPairServer, ErrPairNoServer or ErrPairBusy when the
// pairing was refused; any other error is shown as "cannot reach the ward server". A failed
// pairing leaves the tablet unpaired, never half-paired.
type Pairer interface {
	// Pair pairs with a short code: typed on the setup screen (flow 3), or the tablet's own
	// code once a nurse approved its pairing request (flow 2, polled; ErrPairInvalid means
	// "not approved yet").
	Pair(ctx context.Context, code string) (Paired, error)
	// PairPayload pairs with the payload of a scanned enrollment QR code (flow 1): its server,
	// token and certificate pin.
	PairPayload(ctx context.Context, p provisioning.Payload) (Paired, error)
	// PairingRequest returns the URL the tablet shows as a QR code for a nurse's phone
	// (flow 2), for its short code. It fails with ErrPairNoServer when the tablet does not know
	// its ward server.
	PairingRequest(code string) (string, error)
}

// Paired describes where a successful pairing put the tablet.
type Paired struct {
	Ward string
	Bed  string
}

// Errors a Pairer wraps so that the setup screen can say what went wrong.
var (
	ErrPairInvalid  = errors.New("app: pairing code unknown")
	ErrPairExpired  = errors.New("app: pairing code expired")
	ErrPairUsed     = errors.New("app: pairing code already used")
	ErrPairServer   = errors.New("app: pairing code for another server") // e.g. its certificate pin does not match
	ErrPairNoServer = errors.New("app: no ward server known")
	ErrPairBusy     = errors.New("app: too many pairing attempts") // the server asks to wait
)

// NursePIN is the PIN that opens the nurse panel.
type NursePIN interface {
	// Known reports whether a PIN is set. Until one is (the ward's arrives with the
	// configuration), the panel stays locked and says why. It must return at once.
	Known() bool
	// Check reports whether pin is the PIN. It may be slow (a memory-hard hash): the kiosk
	// calls it off the UI goroutine, one attempt at a time.
	Check(pin string) bool
}

// Camera is the tablet's camera as the setup screen needs it, to show and scan enrollment QR
// codes.
type Camera interface {
	// Preview sends the camera's frames to sink from now on, or stops sending them (nil). It
	// must return at once; frames arrive on another goroutine and belong to the sender.
	Preview(sink VideoSink)
}

// RefusedError is what Dial returns, wrapped or not, when the call could not ring: the other
// end is offline or busy, say. The kiosk tells the patient why.
type RefusedError struct{ Reason Reason }

func (e *RefusedError) Error() string { return "app: call refused: " + string(e.Reason) }

// Audio is the speaker, for the ringtone and the countdown ticks. Play replaces whatever is
// playing; it must not block.
type Audio interface {
	Play(pcm []int16, sampleRate int, loop bool)
	Stop()
	// SetVolume sets the output volume, 0 (silent) to 1 (full), for these sounds and the call.
	SetVolume(v float64)
}

// VideoSink receives decoded video frames. Frame must not block and must not keep img after
// it returns unless the sender hands over a new image each time; the kiosk's sinks keep only the
// latest frame and drop the rest when the screen is behind.
type VideoSink interface {
	Frame(img image.Image)
}

// Event is something the call engine reports: a CallEvent, a ConfigEvent or a ConnEvent.
type Event interface{ isEvent() }

// State is the state of the current call, as the kiosk shows it. The adapter that makes the
// call engine a Phone maps the engine's states to these (package app builds no media code).
type State int

// The call states.
const (
	Idle       State = iota // no call
	Ringing                 // an incoming call rings, or an outgoing one rings the other end
	Connecting              // answered; media is being set up
	InCall                  // media flows
	Ended                   // over; Reason says why
	Failed                  // could not be set up, or broke
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

// Reason says why a call ended. Its values are the signaling protocol's end reasons
// ("hangup", "declined", "cancelled", "missed", "failed", "offline", "busy", "elsewhere").
type Reason string

// CallEvent reports the current call's state.
type CallEvent struct {
	State    State
	Incoming bool    // the other end called the patient
	Peer     Contact // who is at the other end (ID, Name, Relation at least)
	Reason   Reason  // for Ended and Failed
	// Muted and CameraOff say what the call sends.
	Muted, CameraOff bool
	// Reconnecting says that the call's media is lost and the engine is getting it back.
	Reconnecting bool
	// SoundOnly says that the link is too thin for pictures: this end's video is paused, or
	// the other end's stopped while its sound goes on.
	SoundOnly bool
	// AutoAnswer says that the engine or the server asks for this incoming call to be answered
	// by itself after the countdown. The nurse panel's setting and -auto-answer also turn it on.
	AutoAnswer bool
	// Participants are everyone else in the call (and those rung into it), Peer included;
	// empty from an engine that knows of calls of two only (then Peer is the one other).
	Participants []Participant
}

// Participant is one other participant of a call, as the in-call grid shows them.
type Participant struct {
	Contact // ID, Name, Relation (for a guest: their role), Photo
	// Guest marks a guest for one call (an interpreter, a chaplain): "Guest · Interpreter".
	Guest bool
	State PartState
	// Video says that their picture is coming: without it their tile shows their photo.
	Video bool
	// Level is how loud they speak now, 0 to 1: the loudest is the speaker.
	Level float64
}

// PartState is where one participant stands.
type PartState int

// The participant states.
const (
	PartInCall       PartState = iota // media flows
	PartConnecting                    // joined; media being set up
	PartRinging                       // rung into the call: "Calling Anna…"
	PartReconnecting                  // media lost for now
	PartDeclined                      // refused being added (shown for a moment)
	PartMissed                        // did not answer being added (shown for a moment)
	PartLost                          // the media to them could not be made
)

// Adder is a Phone that can ring another contact into the call in progress (group calls).
type Adder interface {
	Add(ctx context.Context, contactID string) error
}

// ConfigEvent carries the patient's configuration from the ward server, whole.
type ConfigEvent struct{ Patient Patient }

// ConnEvent says whether the tablet is connected to the ward server.
type ConnEvent struct{ Online bool }

func (CallEvent) isEvent()   {}
func (ConfigEvent) isEvent() {}
func (ConnEvent) isEvent()   {}

// Patient is what the kiosk shows for its patient.
type Patient struct {
	Name       string // first name; empty when the bed is free
	Language   string // "en", "it"; empty means English
	AutoAnswer bool
	Ward, Bed  string
	Contacts   []Contact
	// VisitingHours is when the family may call, as the ward wrote it ("09:00-20:00"); empty
	// means any time.
	VisitingHours string
	// GroupCalls says that the patient may add contacts to a call (the nurse allows it).
	GroupCalls bool
}

// Contact is one of the patient's family contacts.
type Contact struct {
	ID       string
	Name     string
	Relation string
	Online   bool
	Photo    image.Image // nil: the tile shows initials on a colour
}
