package e2e

import (
	"bedside/internal/testkit"
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/internal/browsertest"
)

// consolePhoto writes a JPEG family photo to a file and returns its path.
func consolePhoto(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 900, 700))
	for y := 0; y < 700; y++ {
		for x := 0; x < 900; x++ {
			img.Set(x, y, color.RGBA{uint8(80 + x/8), uint8(120 + y/10), 170, 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, nil))
	path := filepath.Join(t.TempDir(), "anna.jpg")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	return path
}

// logIn fills in the console's login form, shown in the tab, and waits until the page behind
// it shows next (a CSS selector).
func logIn(tb testing.TB, ctx context.Context, name, password, next string) {
	tb.Helper()
	do(tb, ctx,
		chromedp.SendKeys(chromedp.CSS("#name"), name),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS("#login")),
		chromedp.WaitVisible(chromedp.CSS(next)))
}

// A nurse does a patient's whole stay in the console, and the family page follows: the link
// works, stops when revoked, and a fresh link stops at discharge.
func TestConsoleWholeStay(t *testing.T) {
	w := newWard(t, withConsole)
	ctx := newBrowser(t, desk)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// Logged out: the login page.
	do(t, ctx, chromedp.Navigate(w.url+"/console/"), chromedp.WaitVisible(css("#login-form")))
	pageShot(t, ctx, "console-login")
	logIn(t, ctx, "head.nurse", w.admin, "#new-ward")

	// A ward and a bed.
	do(t, ctx,
		chromedp.SendKeys(css("#ward-name"), "Cardiology"),
		chromedp.Click(css("#create-ward")),
		chromedp.WaitVisible(css("#new-bed")),
		chromedp.SendKeys(css("#bed-name"), "12"),
		chromedp.Click(css("#create-bed")),
		chromedp.WaitVisible(css(`a[data-bed="12"]`)))
	assert.Equal(t, "Bed added.", text(t, ctx, "#ok"))
	pageShot(t, ctx, "console-ward")

	// Admit a patient.
	do(t, ctx,
		chromedp.Click(css(`a[data-bed="12"]`)),
		chromedp.WaitVisible(css("#admit-form")))
	pageShot(t, ctx, "console-bed-free")
	do(t, ctx,
		chromedp.SendKeys(css("#first-name"), "Maria"),
		chromedp.Click(css("#admit")),
		chromedp.WaitVisible(css("#patient-name")))
	assert.Equal(t, "Maria", text(t, ctx, "#patient-name"))

	// A contact with a photo.
	do(t, ctx,
		chromedp.Click(css("details.addform summary")),
		chromedp.WaitVisible(css("#contact-name")),
		chromedp.SendKeys(css("#contact-name"), "Anna"),
		chromedp.SendKeys(css("#contact-relation"), "daughter"),
		chromedp.SetUploadFiles(css("#contact-photo"), []string{consolePhoto(t)}),
		chromedp.Click(css("#add-contact")),
		chromedp.WaitVisible(css("#contact-title")),
		chromedp.WaitVisible(css("#contact-photo-img")))
	assert.Equal(t, "Anna", text(t, ctx, "#contact-title"))
	// Added to be called: her family link is on the page already.
	assert.True(t, strings.HasPrefix(eval[string](t, ctx, `document.getElementById('link-url').value`), w.url+"/j/"))
	assert.Equal(t, 512, eval[int](t, ctx, `new Promise(r => { const i = document.getElementById('contact-photo-img'); i.complete ? r(i.naturalWidth) : i.onload = () => r(i.naturalWidth); })`))

	// Its family link, in a second browser context: the family page opens.
	link := eval[string](t, ctx, `document.getElementById('link-url').value`)
	require.True(t, strings.HasPrefix(link, w.url+"/j/"), link)
	assert.Contains(t, eval[string](t, ctx, `document.getElementById('link-message').value`), "Hello Anna")
	pageShot(t, ctx, "console-contact-link")
	// "Copied" shows beside the button that copied, in a status region.
	do(t, ctx, chromedp.Click(css(`[data-copy="link-url"]`)))
	copied := func(id string) string {
		return eval[string](t, ctx, `document.querySelector('[data-copied-for="`+id+`"]').textContent`)
	}
	testkit.Eventually(t, "Copied beside the link's button", func() bool { return copied("link-url") == "Copied" })
	assert.Equal(t, "", copied("link-message"))
	assert.Equal(t, "status", eval[string](t, ctx, `document.querySelector('[data-copied-for="link-url"]').getAttribute('role')`))
	fam := newBrowser(t) // a browser of its own: nothing shared with the nurse's
	do(t, fam, chromedp.Navigate(link), chromedp.WaitVisible(css(`body[data-conn="open"]`)))
	waitState(t, fam, "idle")

	// Revoke it: the open page is told at once, and the link refuses a fresh visit.
	eval[bool](t, ctx, `(window.confirm = () => true, true)`)
	do(t, ctx, chromedp.Click(css("[data-revoke-link]")))
	// The page before had its own #ok ("Contact added."): wait for the next page's.
	testkit.Eventually(t, "Link stopped.", func() bool {
		return eval[string](t, ctx, `(document.getElementById('ok') || {}).textContent || ''`) == "Link stopped."
	})
	assert.Equal(t, "revoked", eval[string](t, ctx, `document.querySelector('[data-link-state]').dataset.linkState`))
	waitState(t, fam, "error")
	do(t, fam, chromedp.Navigate(link))
	waitState(t, fam, "error")

	// A fresh link works again...
	do(t, ctx, chromedp.Click(css("#new-link-button")), chromedp.WaitVisible(css("#link-url")))
	link2 := eval[string](t, ctx, `document.getElementById('link-url').value`)
	require.NotEqual(t, link, link2)
	do(t, fam, chromedp.Navigate(link2), chromedp.WaitVisible(css(`body[data-conn="open"]`)))
	waitState(t, fam, "idle")

	// ...until the discharge, confirmed on a page that names the patient and the bed.
	do(t, ctx,
		chromedp.Click(css(".crumbs a:last-of-type")),
		chromedp.WaitVisible(css("#discharge")),
		chromedp.Click(css("#discharge")),
		chromedp.WaitVisible(css("#confirm-discharge")))
	assert.Equal(t, "Discharge Maria from Cardiology, bed 12?", text(t, ctx, "#discharge-question"))
	pageShot(t, ctx, "console-discharge-confirm")
	do(t, ctx, chromedp.Click(css("#confirm-discharge")), chromedp.WaitVisible(css("#admit-form")))
	assert.Contains(t, text(t, ctx, "#ok"), "Patient discharged")
	waitState(t, fam, "error")
	do(t, fam, chromedp.Navigate(link2))
	waitState(t, fam, "error")

	// The audit log has it all.
	do(t, ctx, chromedp.Navigate(w.url+"/console/audit"), chromedp.WaitVisible(css("#audit")))
	audit := text(t, ctx, "#audit")
	for _, s := range []string{"logged in", "created a ward", "added a bed", "admitted a patient", "added a family contact",
		"made a family link", "revoked a family link", "discharged a patient"} {
		assert.Contains(t, audit, s)
	}
	pageShot(t, ctx, "console-audit")
	// Names, not ids.
	assert.Contains(t, audit, "Anna")
	assert.Contains(t, audit, "Maria")
	assert.NotRegexp(t, `[0-9a-f]{16}`, audit, "a raw id in the audit log")
	for _, v := range browsertest.Axe(t, browsertest.TabOf(t, ctx)) {
		t.Errorf("the audit page: axe: %s", v)
	}

	// An account for a nurse of the ward, with a one-time password.
	do(t, ctx, chromedp.Navigate(w.url+"/console/staff"), chromedp.WaitVisible(css("#add-staff")),
		chromedp.SendKeys(css(`#add-staff input[name="name"]`), "giulia"),
		chromedp.Click(css(`#add-staff input[name="ward"]`)),
		chromedp.Click(css(`#add-staff button`)),
		chromedp.WaitVisible(css("#one-time-password")))
	assert.Len(t, text(t, ctx, "#one-time-password"), 19)
	pageShot(t, ctx, "console-staff")
}
