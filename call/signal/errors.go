package signal

import (
	"errors"
	"fmt"
)

// Code is a machine-readable error code carried by an "error" message. Clients switch on it
// to show the right words; the server maps its package errors to one in exactly one place.
type Code string

// The error codes.
const (
	CodeBadMessage   Code = "bad-message"   // not JSON, or a field is missing or malformed
	CodeUnknownType  Code = "unknown-type"  // a type this end does not know
	CodeTooLarge     Code = "too-large"     // larger than MaxMessageSize
	CodeUnauthorized Code = "unauthorized"  // not authenticated, or the proof was wrong
	CodeForbidden    Code = "forbidden"     // authenticated, but not allowed to do this
	CodeLinkExpired  Code = "link-expired"  // the family link has expired
	CodeLinkRevoked  Code = "link-revoked"  // the family link was revoked or the patient discharged
	CodeRevoked      Code = "revoked"       // the device was revoked
	CodeNoSuchCall   Code = "no-such-call"  // the call id is unknown to this client, or over
	CodeBadState     Code = "bad-state"     // the call is not in a state where this is allowed
	CodePeerOffline  Code = "peer-offline"  // the callee is not connected
	CodeBusy         Code = "busy"          // the callee or the caller is already in a call
	CodeNoPatient    Code = "no-patient"    // the bed has no patient admitted
	CodeRateLimited  Code = "rate-limited"  // too many requests
	CodeInternal     Code = "internal"      // the server failed; try again
	CodeShuttingDown Code = "shutting-down" // the server is restarting; reconnect
)

// Error is a protocol error: a Code for machines and a Message for logs and people.
type Error struct {
	Code    Code
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("signal: %s: %s", e.Code, e.Message) }

// Is lets errors.Is match any *Error with the same Code.
func (e *Error) Is(target error) bool {
	var t *Error
	return errors.As(target, &t) && t.Code == e.Code
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the protocol code of err: its own when it wraps an *Error, CodeInternal otherwise.
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage builds the "error" message that reports err, about call (which may be empty).
func ErrorMessage(call string, err error) Message {
	m := Message{Type: TypeError, Call: call, Code: CodeOf(err)}
	var e *Error
	if errors.As(err, &e) {
		m.Message = truncate(e.Message, maxTextLen)
	}
	return m
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
