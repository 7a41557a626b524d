package call

import "errors"

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
	// ErrCallEnded means the call ended before the request completed; the Event says why.
	ErrCallEnded = errors.New("call: call ended")
	// ErrRemoteSDP means the other end's SDP or candidate could not be applied.
	ErrRemoteSDP = errors.New("call: bad remote description")
)
