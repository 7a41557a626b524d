package call

import (
	"sync/atomic"
	"testing"

	"bedside/call/signal"
	"bedside/internal/testkit"

	"github.com/stretchr/testify/require"
)

// In a group call only what Anna sends to Ben is lost: Ben notices and restarts the pair's ICE,
// while Anna, who still hears Ben, learns of the loss only from that restart offer (pion then
// goes from connected to connecting and never says disconnected). Her screen says Ben is
// reconnecting all the same, not "in call" over a picture that froze; the pair comes back
// when the path does.
func TestGroupCallPairOneWayCut(t *testing.T) {
	var cut atomic.Bool
	dev, anna, ben := groupTrioLosing(t, func(from, to string) bool {
		return cut.Load() && from == "anna" && to == "ben"
	}, nil)
	id := trioInCall(t, dev, anna, ben)

	cut.Store(true)
	testkit.Eventually(t, "ben restarting the pair's ICE", func() bool {
		st, err := ben.PeerStats(t.Context())
		return err == nil && st["anna"].ICERestarts > 0
	})
	anna.waitSnap(t, "anna: ben reconnecting", func(s Snapshot) bool {
		for _, p := range s.Call.Participants {
			if p.Party.ID == "ben" {
				return p.State == PartReconnecting
			}
		}
		return false
	})

	cut.Store(false)
	anna.inCallWith(t, signal.DevicePeer, "ben")
	ben.inCallWith(t, signal.DevicePeer, "anna")
	anna.receives(t, "ben")
	require.Equal(t, id, anna.Snapshot().Call.ID, "the same call goes on")
}
