package call

import (
	"errors"
	"fmt"

	"bedside/call/signal"
)

// The package's sentinel errors. Returned errors wrap them with %w and context.
var (
	// ErrConfig means a constructor was given an incomplete or contradictory config.
	ErrConfig = errors.New("call: bad config")
	// ErrClosed means the Session, Client or Phone was closed or its Run has returned.
	ErrClosed = errors.New("call: closed")
	// ErrNotConnected means the signaling connection is down right now; try again later.
	ErrNotConnected = errors.New("call: not connected to the server")
	// ErrAuth means the server refused who we said we are (bad key, revoked device, expired or
	// revoked link). Reconnecting will not help; the wrapped *signal.Error has the code.
	ErrAuth = errors.New("call: authentication refused")
	// ErrBusy means a call is already in progress on this phone.
	ErrBusy = errors.New("call: already in a call")
	// ErrNoSuchCall means the call id is not the phone's current call.
	ErrNoSuchCall = errors.New("call: no such call")
	// ErrBadState means the call is not in a state where this is allowed.
	ErrBadState = errors.New("call: not allowed in this call state")
	// ErrCallEnded means the call ended before the request completed; the *EndedError says why.
	ErrCallEnded = errors.New("call: call ended")
	// ErrRemoteSDP means the other end's SDP or candidate could not be applied.
	ErrRemoteSDP = errors.New("call: bad remote description")
)

// EndedError is the error Dial returns when the call ended before it could ring: the server
// ended it at once (the callee is offline or busy) or refused the invite with a busy or
// peer-offline error, or the connection dropped. errors.Is(err, ErrCallEnded) holds, and
// Reason says why in the protocol's words, for the UI.
type EndedError struct {
	Reason signal.Reason
	Err    error // the server's *signal.Error or the connection's error, when there was one
}

func (e *EndedError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("call: call ended (%s): %v", e.Reason, e.Err)
	}
	return fmt.Sprintf("call: call ended (%s)", e.Reason)
}

// Is makes errors.Is(err, ErrCallEnded) true.
func (e *EndedError) Is(target error) bool { return target == ErrCallEnded }

// Unwrap returns the underlying error, if any.
func (e *EndedError) Unwrap() error { return e.Err }

// reasonFor maps a server error refusing an invite to an end reason.
func reasonFor(code signal.Code) signal.Reason {
	switch code {
	case signal.CodeBusy:
		return signal.ReasonBusy
	case signal.CodePeerOffline:
		return signal.ReasonOffline
	}
	return signal.ReasonFailed
}
