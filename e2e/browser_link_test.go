package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server"
)

// messageTitle is the heading of the page's full-screen message.
func messageTitle(t *testing.T, ctx context.Context) string {
	return eval[string](t, ctx, `document.getElementById('message-title').textContent`)
}

// An expired link says so, kindly, and never offers a Call button.
func TestBrowserExpiredLink(t *testing.T) {
	w := newWard(t)
	ctx := newBrowser(t)
	past := func() time.Time { return time.Now().Add(-48 * time.Hour) }
	token, err := server.NewFamilyLink(context.Background(), w.st, w.demo.ContactID, time.Hour, server.LinkOptions{Now: past})
	require.NoError(t, err)

	do(t, ctx, chromedp.Navigate(server.FamilyURL(w.url, token)))
	waitState(t, ctx, "error")
	assert.Equal(t, "This link has expired", messageTitle(t, ctx))
	assert.Equal(t, "Please ask the ward for a new one.", eval[string](t, ctx, `document.getElementById('message-text').textContent`))
	assert.False(t, eval[bool](t, ctx, `!!document.getElementById('call').offsetParent`), "no Call button on a dead link")
	screenshot(t, ctx, "family-link-expired")
}

// A link that never existed reads as one that no longer works.
func TestBrowserUnknownLink(t *testing.T) {
	w := newWard(t)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(server.FamilyURL(w.url, "AAAAAAAAAAAAAAAAAAAAAA")))
	waitState(t, ctx, "error")
	assert.Equal(t, "This link no longer works", messageTitle(t, ctx))
	assert.Equal(t, "This link no longer works · Bedside", eval[string](t, ctx, `document.title`), "the tab says so too")
}

// Discharging the patient ends the open page's link at once: it shows the revoked message
// without a reload, and stops trying to reconnect.
func TestBrowserLinkRevokedWhileOpen(t *testing.T) {
	w := newWard(t)
	ctx := newBrowser(t, lang("it-IT,it"))

	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL))
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-conn="open"]`)))
	// An Italian browser gets the Italian page.
	assert.Equal(t, "it", eval[string](t, ctx, `document.documentElement.lang`))
	assert.Equal(t, "Chiama Maria", eval[string](t, ctx, `document.getElementById('heading').textContent`))
	// The tablet is not connected: the page says so and the Call button waits.
	assert.True(t, eval[bool](t, ctx, `document.getElementById('call').disabled`))
	assert.Contains(t, eval[string](t, ctx, `document.getElementById('notice-text').textContent`), "Il tablet di Maria non è connesso")

	bg := context.Background()
	require.NoError(t, w.st.Discharge(bg, w.demo.PatientID, time.Now()))
	require.NoError(t, w.srv.Refresh(bg, w.demo.BedID))
	waitState(t, ctx, "error")
	assert.Equal(t, "Questo link non funziona più", messageTitle(t, ctx))
	// A family whose patient went home is not sent to the ward for a new link.
	assert.Contains(t, eval[string](t, ctx, `document.getElementById('message-text').textContent`), "quando il paziente torna a casa")
	screenshot(t, ctx, "family-link-revoked-it")
}

// Every control has a name a screen reader can say, the page says its language, and status
// changes are announced.
func TestBrowserPageAccessible(t *testing.T) {
	w := newWard(t)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL), chromedp.WaitVisible(chromedp.CSS(`body[data-conn="open"]`)))

	unnamed := eval[[]string](t, ctx, `[...document.querySelectorAll('button')]
		.filter((b) => !b.closest('[hidden]') && !(b.getAttribute('aria-label') || b.textContent).trim())
		.map((b) => b.id || b.outerHTML.slice(0, 60))`)
	assert.Empty(t, unnamed, "buttons without a name")
	assert.Equal(t, "en", eval[string](t, ctx, `document.documentElement.lang`))
	assert.Equal(t, 1, eval[int](t, ctx, `document.querySelectorAll('h1').length`))
	assert.Equal(t, "polite", eval[string](t, ctx, `document.getElementById('announce').getAttribute('aria-live')`))
	// The tablet is offline: that was announced.
	assert.Contains(t, eval[string](t, ctx, `document.getElementById('announce').textContent`), "Maria’s tablet is offline")
	assert.Equal(t, "Call Maria · Bedside", eval[string](t, ctx, `document.title`))
}

// The visiting hours the ward set are on the page, and follow a change at once.
func TestBrowserVisitingHours(t *testing.T) {
	w := newWard(t)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL), chromedp.WaitVisible(chromedp.CSS(`body[data-conn="open"]`)))
	assert.False(t, eval[bool](t, ctx, `!!document.getElementById('visiting').offsetParent`), "no line while any time is fine")

	bg := context.Background()
	p, err := w.st.Patient(bg, w.demo.PatientID)
	require.NoError(t, err)
	p.VisitingHours = "10:00-12:00, 16:00-19:30"
	require.NoError(t, w.st.UpdatePatient(bg, p))
	require.NoError(t, w.srv.Refresh(bg, w.demo.BedID))
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`#visiting`)))
	assert.Equal(t, "Visiting hours: 10:00-12:00, 16:00-19:30", text(t, ctx, "#visiting"))
}
