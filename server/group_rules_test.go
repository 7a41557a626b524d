package server

import (
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
)

func TestRoomFor(t *testing.T) {
	tests := []struct {
		name string
		r    roster
		s    seat
		want bool
	}{
		{"first joiner", roster{family: 1}, seatFamily, true},
		{"fifth family member", roster{family: 4}, seatFamily, true},
		{"sixth family member", roster{family: 5}, seatFamily, false},
		{"ringing counts", roster{family: 4, ringing: 1}, seatFamily, false},
		{"guests do not take family seats", roster{family: 1, guests: 2}, seatFamily, true},
		{"first guest", roster{family: 5}, seatGuest, true},
		{"second guest", roster{family: 1, guests: 1}, seatGuest, true},
		{"third guest", roster{family: 1, guests: 2}, seatGuest, false},
		{"a second tablet", roster{family: 1}, seatDevice, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, tt.r.roomFor(tt.s))
		})
	}
	require.Equal(t, 5, signal.MaxFamilyInCall, "the table above is written for 5")
	require.Equal(t, 2, signal.MaxGuestsInCall, "the table above is written for 2")
}

func TestCallOver(t *testing.T) {
	tests := []struct {
		name  string
		seats []seat
		want  bool
	}{
		{"nobody", nil, true},
		{"the tablet alone", []seat{seatDevice}, true},
		{"one family member alone", []seat{seatFamily}, true},
		{"tablet and family", []seat{seatDevice, seatFamily}, false},
		{"two family members without the tablet", []seat{seatFamily, seatFamily}, false},
		{"tablet and guest", []seat{seatDevice, seatGuest}, false},
		{"only guests", []seat{seatGuest, seatGuest}, true},
		{"family and guests", []seat{seatGuest, seatFamily, seatGuest}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, callOver(tt.seats))
		})
	}
}

func TestCheckEntry(t *testing.T) {
	ok := entry{samePatient: true, connected: true, groupCalls: true, mayJoin: true, seat: seatFamily, room: roster{family: 1}}
	tests := []struct {
		name   string
		change func(*entry)
		want   error
	}{
		{"allowed", func(*entry) {}, nil},
		{"another patient's call", func(e *entry) { e.samePatient = false }, ErrNoSuchCall},
		{"not connected yet", func(e *entry) { e.connected = false }, ErrNoSuchCall},
		{"group calls off", func(e *entry) { e.groupCalls = false }, ErrForbidden},
		{"may not join", func(e *entry) { e.mayJoin = false }, ErrForbidden},
		{"already in it", func(e *entry) { e.inCall = true }, ErrBusy},
		{"in another call", func(e *entry) { e.busy = true }, ErrBusy},
		{"full", func(e *entry) { e.room.family = signal.MaxFamilyInCall }, ErrBusy},
		{"a guest in a call full of family", func(e *entry) { e.seat, e.room.family = seatGuest, signal.MaxFamilyInCall }, nil},
		{"another patient's call while full", func(e *entry) { e.samePatient, e.room.family = false, 9 }, ErrNoSuchCall},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.change(&e)
			err := checkEntry(e)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
		})
	}
}

func TestMayAdd(t *testing.T) {
	tests := []struct {
		name    string
		s       seat
		mayJoin bool
		want    error
	}{
		{"the tablet", seatDevice, false, nil},
		{"a family member allowed to join", seatFamily, true, nil},
		{"a family member not allowed to join", seatFamily, false, ErrForbidden},
		{"a guest", seatGuest, true, ErrForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := mayAdd(tt.s, tt.mayJoin)
			if tt.want == nil {
				require.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, tt.want)
			require.Equal(t, signal.CodeForbidden, codeOf(err))
		})
	}
}
