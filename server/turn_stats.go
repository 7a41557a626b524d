package server

import "maps"

// Why the relay refused an allocation, as /metrics labels them. A wrong password is not
// among them: pion checks the message integrity after asking for the key, and says nothing.
const (
	refusedUsername = "username" // not one of our usernames
	refusedExpired  = "expired"  // credentials expired, holder not in a call
	refusedHolder   = "holder"   // device revoked, link revoked or expired, patient discharged
	refusedQuota    = "quota"    // the holder has its quota of allocations already
)

// refusedReasons are all the reasons, so that /metrics shows each from the start.
var refusedReasons = []string{refusedUsername, refusedExpired, refusedHolder, refusedQuota}

// refused counts a refused allocation.
func (t *TURN) refused(reason string) {
	t.post(func(st *relayState) { st.refused[reason]++ })
}

// relayStats is what /metrics reports of the relay: its allocations now and the allocations it
// refused, by reason. ok is false once the relay is closed.
type relayStats struct {
	allocations int
	refused     map[string]uint64
}

func (t *TURN) stats() (relayStats, bool) {
	out := make(chan relayStats, 1)
	if !t.post(func(st *relayState) {
		out <- relayStats{allocations: len(st.holders), refused: maps.Clone(st.refused)}
	}) {
		return relayStats{}, false
	}
	return <-out, true
}
