package server

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
)

func TestStep(t *testing.T) {
	const (
		ringing   = stateRinging
		accepted  = stateAccepted
		connected = stateConnected
		ended     = stateEnded
	)
	tests := []struct {
		from   callState
		ev     callEvent
		side   side
		to     callState
		reason signal.Reason
		err    error
	}{
		{ringing, evAccept, sideCallee, accepted, "", nil},
		{ringing, evAccept, sideCaller, ringing, "", ErrBadState},
		{ringing, evDecline, sideCallee, ended, signal.ReasonDeclined, nil},
		{ringing, evDecline, sideCaller, ringing, "", ErrBadState},
		{ringing, evHangup, sideCaller, ended, signal.ReasonCancelled, nil},
		{ringing, evHangup, sideCallee, ended, signal.ReasonDeclined, nil},
		{ringing, evConnected, sideCaller, ringing, "", ErrBadState},
		{ringing, evRelay, sideCaller, ringing, "", ErrBadState},
		{ringing, evRelay, sideCallee, ringing, "", ErrBadState},
		{ringing, evRingTimeout, sideNone, ended, signal.ReasonMissed, nil},
		{ringing, evMediaTimeout, sideNone, ringing, "", nil},
		{ringing, evLeave, sideCaller, ended, signal.ReasonCancelled, nil},
		{ringing, evLeave, sideCallee, ended, signal.ReasonFailed, nil},
		{ringing, evShutdown, sideNone, ended, signal.ReasonFailed, nil},

		{accepted, evAccept, sideCallee, accepted, "", ErrBadState},
		{accepted, evDecline, sideCallee, accepted, "", ErrBadState},
		{accepted, evHangup, sideCaller, ended, signal.ReasonHangup, nil},
		{accepted, evHangup, sideCallee, ended, signal.ReasonHangup, nil},
		{accepted, evConnected, sideCallee, connected, "", nil},
		{accepted, evRelay, sideCaller, accepted, "", nil},
		{accepted, evRingTimeout, sideNone, accepted, "", nil},
		{accepted, evMediaTimeout, sideNone, ended, signal.ReasonFailed, nil},
		{accepted, evLeave, sideCaller, ended, signal.ReasonFailed, nil},
		{accepted, evShutdown, sideNone, ended, signal.ReasonFailed, nil},

		{connected, evAccept, sideCallee, connected, "", ErrBadState},
		{connected, evDecline, sideCallee, connected, "", ErrBadState},
		{connected, evHangup, sideCallee, ended, signal.ReasonHangup, nil},
		{connected, evFail, sideCallee, ended, signal.ReasonFailed, nil},
		{accepted, evFail, sideCaller, ended, signal.ReasonFailed, nil},
		{ringing, evFail, sideCaller, ended, signal.ReasonFailed, nil},
		{connected, evConnected, sideCaller, connected, "", nil},
		{connected, evRelay, sideCallee, connected, "", nil},
		{connected, evRingTimeout, sideNone, connected, "", nil},
		{connected, evMediaTimeout, sideNone, connected, "", nil},
		{connected, evLeave, sideCallee, ended, signal.ReasonFailed, nil},
		{connected, evShutdown, sideNone, ended, signal.ReasonFailed, nil},

		{ended, evAccept, sideCallee, ended, "", ErrNoSuchCall},
		{ended, evHangup, sideCaller, ended, "", ErrNoSuchCall},
		{ended, evRingTimeout, sideNone, ended, "", ErrNoSuchCall},
	}
	for _, tt := range tests {
		t.Run(tt.from.String()+"/"+tt.ev.String(), func(t *testing.T) {
			to, reason, err := step(tt.from, tt.ev, tt.side)
			require.Equal(t, tt.to, to)
			require.Equal(t, tt.reason, reason)
			if tt.err == nil {
				require.NoError(t, err)
			} else {
				require.True(t, errors.Is(err, tt.err), "%v", err)
			}
			if to == stateEnded && tt.err == nil {
				require.True(t, reason.Valid())
			}
		})
	}
}

func TestCodeOf(t *testing.T) {
	tests := []struct {
		err    error
		code   signal.Code
		status int
	}{
		{ErrLinkExpired, signal.CodeLinkExpired, 410},
		{ErrLinkRevoked, signal.CodeLinkRevoked, 410},
		{ErrDeviceRevoked, signal.CodeRevoked, 403},
		{ErrEnrollInvalid, signal.CodeEnrollInvalid, 404},
		{ErrEnrollUsed, signal.CodeEnrollUsed, 410},
		{ErrEnrollExpired, signal.CodeEnrollExpired, 410},
		{ErrRateLimited, signal.CodeRateLimited, 429},
		{ErrBadState, signal.CodeBadState, 409},
		{ErrHelloTimeout, signal.CodeUnauthorized, 401},
		{signal.Errorf(signal.CodeTooLarge, "x"), signal.CodeTooLarge, 413},
		{errors.New("disk on fire"), signal.CodeInternal, 500},
	}
	for _, tt := range tests {
		require.Equal(t, tt.code, codeOf(tt.err), "%v", tt.err)
		require.Equal(t, tt.status, statusOf(codeOf(tt.err)), "%v", tt.err)
	}
	// Internal errors never leak their text.
	require.NotContains(t, protocolError(errors.New("disk on fire")).Message, "fire")
}
