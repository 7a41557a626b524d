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

// URL is the ward server's base URL, on the server's testbed address.
func (w *Ward) URL() string { return w.url }

// FamilyURL is the demo family's link: the family page, for a browser in the family's
// namespace.
func (w *Ward) FamilyURL() string { return w.url + "/j/" + w.familyToken }

// TabletFrames is how many video frames the tablet decoded so far, by its last stats line.
func (w *Ward) TabletFrames() uint64 {
	ss, _ := parse(w.tablet.output())
	if len(ss) == 0 {
		return 0
	}
	return ss[len(ss)-1].frames
}
