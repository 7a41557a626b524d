package callrun

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"bedside/internal/browsertest"
	"bedside/internal/netbed"
)

// TestFirefoxHidingItsAddressCallsTheTabletOnTheLAN: a family member's Firefox as it comes
// (host addresses hidden behind mDNS names) calls the tablet on the same Wi-Fi, with no relay.
// The tablet has a stateful firewall: the browser's checks reach it only after it sent to the
// browser's address itself, which it learns only by resolving the browser's ".local" name.
func TestFirefoxHidingItsAddressCallsTheTabletOnTheLAN(t *testing.T) {
	w := NewLANWard(t, bins)
	w.Bed.Firewall(netbed.Tablet)
	page := familyBrowser(t, w, "firefox", browsertest.Options{HideHostAddresses: true})
	callThePatient(t, w, page)
	locals := browsertest.EvalAs[[]string](t, page, `(async () => {
  const a = [];
  (await window.bedside.pc().getStats()).forEach((r) => { if (r.type === 'local-candidate') a.push(r.candidateType + ' ' + (r.address || r.ip)); });
  return a;
})()`)
	t.Logf("Firefox's candidates: %v", locals)
	hidden := false
	for _, c := range locals {
		hidden = hidden || strings.HasSuffix(c, ".local")
	}
	assert.True(t, hidden, "Firefox hid its address behind an mDNS name")
	mediaFlows(t, w, page, "on the LAN", 30)
}
