package server

import (
	"errors"
	"fmt"
	"net/http"

	"bedside/call/signal"
	"bedside/server/store"
)

// Sentinel errors. The hub and the handlers return them (wrapped with %w); codeOf and
// statusOf turn them into protocol codes and HTTP statuses, here and nowhere else.
var (
	ErrConfig        = errors.New("server: bad configuration")
	ErrBadRequest    = errors.New("server: bad request")
	ErrUnauthorized  = errors.New("server: not authenticated")
	ErrHelloTimeout  = errors.New("server: no hello in time")
	ErrForbidden     = errors.New("server: not allowed")
	ErrLinkExpired   = errors.New("server: family link expired")
	ErrLinkRevoked   = errors.New("server: family link revoked")
	ErrDeviceRevoked = errors.New("server: device revoked")
	ErrNoSuchCall    = errors.New("server: no such call")
	ErrBadState      = errors.New("server: not allowed in the call's state")
	ErrPeerOffline   = errors.New("server: peer offline")
	ErrBusy          = errors.New("server: busy")
	ErrNoPatient     = errors.New("server: no patient in the bed")
	ErrRateLimited   = errors.New("server: rate limited")
	// ErrTooManyCalls is an invite over the caller's limit (Config.Invites).
	ErrTooManyCalls  = fmt.Errorf("%w: too many calls", ErrRateLimited)
	ErrShuttingDown  = errors.New("server: shutting down")
	ErrTooSlow       = errors.New("server: client too slow")
	ErrEnrollInvalid = errors.New("server: no such enrollment")
	ErrEnrollExpired = errors.New("server: enrollment expired")
	ErrEnrollUsed    = errors.New("server: enrollment already used")
	ErrNotFound      = errors.New("server: not found")
)

// codeOf maps an error to its protocol code. A *signal.Error keeps its own code; anything
// unknown is internal.
func codeOf(err error) signal.Code {
	var se *signal.Error
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		return se.Code
	case errors.Is(err, ErrBadRequest), errors.Is(err, store.ErrInvalid):
		return signal.CodeBadMessage
	case errors.Is(err, ErrUnauthorized), errors.Is(err, ErrHelloTimeout):
		return signal.CodeUnauthorized
	case errors.Is(err, ErrForbidden):
		return signal.CodeForbidden
	case errors.Is(err, ErrLinkExpired):
		return signal.CodeLinkExpired
	case errors.Is(err, ErrLinkRevoked):
		return signal.CodeLinkRevoked
	case errors.Is(err, ErrDeviceRevoked):
		return signal.CodeRevoked
	case errors.Is(err, ErrNoSuchCall):
		return signal.CodeNoSuchCall
	case errors.Is(err, ErrBadState):
		return signal.CodeBadState
	case errors.Is(err, ErrPeerOffline):
		return signal.CodePeerOffline
	case errors.Is(err, ErrBusy):
		return signal.CodeBusy
	case errors.Is(err, ErrNoPatient):
		return signal.CodeNoPatient
	case errors.Is(err, ErrRateLimited):
		return signal.CodeRateLimited
	case errors.Is(err, ErrShuttingDown):
		return signal.CodeShuttingDown
	case errors.Is(err, ErrEnrollInvalid):
		return signal.CodeEnrollInvalid
	case errors.Is(err, ErrEnrollExpired):
		return signal.CodeEnrollExpired
	case errors.Is(err, ErrEnrollUsed):
		return signal.CodeEnrollUsed
	case errors.Is(err, ErrNotFound):
		return codeNotFound
	}
	return signal.CodeInternal
}

// codeNotFound is the HTTP-only code of a missing resource (a photo).
const codeNotFound signal.Code = "not-found"

// statusOf maps a protocol code to the HTTP status that carries it.
func statusOf(code signal.Code) int {
	switch code {
	case signal.CodeBadMessage, signal.CodeUnknownType:
		return http.StatusBadRequest
	case signal.CodeTooLarge:
		return http.StatusRequestEntityTooLarge
	case signal.CodeUnauthorized:
		return http.StatusUnauthorized
	case signal.CodeForbidden, signal.CodeRevoked:
		return http.StatusForbidden
	case signal.CodeEnrollInvalid, codeNotFound:
		return http.StatusNotFound
	case signal.CodeEnrollExpired, signal.CodeEnrollUsed, signal.CodeLinkExpired, signal.CodeLinkRevoked:
		return http.StatusGone
	case signal.CodeRateLimited:
		return http.StatusTooManyRequests
	case signal.CodeShuttingDown:
		return http.StatusServiceUnavailable
	case signal.CodeBadState, signal.CodeBusy:
		return http.StatusConflict
	}
	return http.StatusInternalServerError
}

// protocolError turns err into the *signal.Error that goes on the wire: the code from codeOf
// and a message that never carries internal detail for internal errors.
func protocolError(err error) *signal.Error {
	code := codeOf(err)
	var se *signal.Error
	if errors.As(err, &se) {
		return se
	}
	msg := publicMessage(code)
	if errors.Is(err, ErrTooManyCalls) {
		msg = "too many calls in a short time; wait a minute before calling again"
	}
	return &signal.Error{Code: code, Message: msg}
}

// publicMessage is the human text sent with a code.
func publicMessage(code signal.Code) string {
	switch code {
	case signal.CodeBadMessage:
		return "malformed request"
	case signal.CodeUnauthorized:
		return "not authenticated"
	case signal.CodeForbidden:
		return "not allowed"
	case signal.CodeLinkExpired:
		return "this link has expired"
	case signal.CodeLinkRevoked:
		return "this link is no longer valid"
	case signal.CodeRevoked:
		return "this device was revoked"
	case signal.CodeNoSuchCall:
		return "no such call"
	case signal.CodeBadState:
		return "not possible in the call's current state"
	case signal.CodePeerOffline:
		return "the other side is not connected"
	case signal.CodeBusy:
		return "already in a call"
	case signal.CodeNoPatient:
		return "no patient is admitted to this bed"
	case signal.CodeRateLimited:
		return "too many attempts; try again later"
	case signal.CodeShuttingDown:
		return "the server is restarting; reconnect"
	case signal.CodeEnrollInvalid:
		return "unknown pairing code"
	case signal.CodeEnrollExpired:
		return "this pairing code has expired"
	case signal.CodeEnrollUsed:
		return "this pairing code was already used"
	case codeNotFound:
		return "not found"
	}
	return "server error; try again"
}
