package tablet

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"bedside/call"
)

func TestSoundOnlyBanner(t *testing.T) {
	one := []call.Participant{{State: call.PartInCall}}
	two := []call.Participant{{State: call.PartInCall}, {State: call.PartInCall}}
	oneAndRinging := []call.Participant{{State: call.PartInCall}, {State: call.PartRinging}}
	for _, tc := range []struct {
		name string
		c    call.CallInfo
		want bool
	}{
		{"call of two, all well", call.CallInfo{Participants: one}, false},
		{"our picture paused", call.CallInfo{VideoPaused: true, Participants: two}, true},
		{"call of two, their picture stopped", call.CallInfo{TheirVideoStopped: true, Participants: one}, true},
		{"call of two while adding someone", call.CallInfo{TheirVideoStopped: true, Participants: oneAndRinging}, true},
		{"group call, the first pair's picture stopped: its tile says so", call.CallInfo{TheirVideoStopped: true, Participants: two}, false},
	} {
		assert.Equal(t, tc.want, soundOnly(tc.c), tc.name)
	}
}
