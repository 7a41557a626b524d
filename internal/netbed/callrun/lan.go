package callrun

import (
	"testing"

	"bedside/internal/netbed"
)

// NewLANWard is NewWard on one network segment (netbed.NewLAN), as a ward's Wi-Fi with the
// family member beside the bed: no router, and no TURN relay, so that the two ends can only
// meet directly, host candidate to host candidate.
func NewLANWard(tb testing.TB, bins Binaries) *Ward {
	tb.Helper()
	netbed.StatAll(tb, bins.Sources)
	return startWard(tb, bins, netbed.NewLAN(tb))
}
