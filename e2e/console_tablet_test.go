package e2e

import (
	"bedside/internal/testkit"
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/internal/browsertest"
	"bedside/server/store"
)

// A tablet paired from the console's QR code shows online there; a discharge wipes it (its
// configuration loses the patient) and a revoke drops it.
func TestConsoleTabletLifecycle(t *testing.T) {
	w := newWard(t, withConsole)
	ctx := context.Background()
	ward, err := w.st.CreateWard(ctx, store.Ward{Name: "Cardiology"})
	require.NoError(t, err)
	bed, err := w.st.CreateBed(ctx, store.Bed{WardID: ward.ID, Name: "12"})
	require.NoError(t, err)
	_, err = w.st.Admit(ctx, store.Patient{BedID: bed.ID, FirstName: "Maria", Language: "en"})
	require.NoError(t, err)

	b := newBrowser(t, desk)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }
	do(t, b, chromedp.Navigate(w.url+"/console/login"), chromedp.WaitVisible(css("#login-form")))
	logIn(t, b, "head.nurse", w.admin, "#wards")

	// The bed's pairing code, as the tablet would scan or type it.
	do(t, b, chromedp.Navigate(w.url+"/console/wards/"+ward.ID), chromedp.WaitVisible(css("#enroll")),
		chromedp.SetValue(css(`#enroll select[name="bed"]`), bed.ID),
		chromedp.Click(css("#enroll button")), chromedp.WaitVisible(css("#enroll-code")))
	assert.Equal(t, "Waiting for the tablet to pair…", text(t, b, "#pair-status"))
	tab, cfg := connectBareTablet(t, w.url, text(t, b, "#enroll-code"))
	assert.Equal(t, "Maria", cfg.Patient)
	assert.Equal(t, "12", cfg.Bed)
	// The page with the code notices, by itself, that the tablet paired.
	testkit.Eventually(t, "the enroll page says the tablet paired", func() bool {
		return eval[string](t, b, `document.getElementById('pair-status').textContent`) == "Paired: Tab A9 is now the tablet of Bed 12."
	})

	do(t, b, chromedp.Navigate(w.url+"/console/wards/"+ward.ID), chromedp.WaitVisible(css("#tablets")))
	assert.Contains(t, text(t, b, "#tablets tbody tr"), "Tab A9")
	assert.Contains(t, text(t, b, "#tablets tbody tr"), "online")
	assert.Contains(t, text(t, b, "#tablets tbody tr"), "1.2.3")
	pageShot(t, b, "console-tablet-online")
	for _, v := range browsertest.Axe(t, browsertest.TabOf(t, b)) {
		t.Errorf("the ward page: axe: %s", v)
	}

	// Discharge: the tablet's fresh configuration has no patient, which makes it wipe.
	do(t, b, chromedp.Navigate(w.url+"/console/beds/"+bed.ID), chromedp.WaitVisible(css("#discharge")),
		chromedp.Click(css("#discharge")), chromedp.WaitVisible(css("#confirm-discharge")),
		chromedp.Click(css("#confirm-discharge")), chromedp.WaitVisible(css("#admit-form")))
	m := tab.next()
	require.Equal(t, signal.TypeConfig, m.Type)
	assert.Empty(t, m.Config.Patient)
	assert.Empty(t, m.Config.Contacts)

	// Revoke: the tablet is dropped at once with "revoked", and shown so.
	do(t, b, chromedp.Navigate(w.url+"/console/wards/"+ward.ID), chromedp.WaitVisible(css("#tablets")))
	eval[bool](t, b, `(window.confirm = () => true, true)`)
	do(t, b, chromedp.Click(css("#tablets button")), chromedp.WaitVisible(css("#ok")))
	for {
		m = tab.next()
		if m.Type != signal.TypeConfig {
			break
		}
	}
	require.Equal(t, signal.TypeError, m.Type)
	assert.Equal(t, signal.CodeRevoked, m.Code)
	assert.Contains(t, text(t, b, "#tablets tbody tr"), "revoked")
}
