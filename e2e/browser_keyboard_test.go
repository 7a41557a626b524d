package e2e

import (
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/stretchr/testify/assert"

	"bedside/internal/browsertest"
)

// focused is the id of the element that has the keyboard.
func focused(t *testing.T, ctx context.Context) string {
	t.Helper()
	return eval[string](t, ctx, `document.activeElement ? document.activeElement.id : ''`)
}

// reachableOutside lists the controls outside the layer css that the keyboard or a screen
// reader can still reach.
func reachableOutside(t *testing.T, ctx context.Context, css string) []string {
	t.Helper()
	return eval[[]string](t, ctx, `(() => {
  const layer = document.querySelector('`+css+`');
  return [...document.querySelectorAll('button, a[href], input, [tabindex]')]
    .filter((el) => !layer.contains(el) && !el.closest('[inert]') && el.getClientRects().length)
    .map((el) => el.id || el.tagName);
})()`)
}

// The keyboard follows the call: Call gives it to Cancel, Cancel back to Call; an overlay
// (calling, in a call, ringing, ended) keeps it inside, with nothing behind it reachable; what
// changes is said in the live region.
func TestBrowserKeyboardAndFocus(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w)
	ctx := newBrowser(t)
	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL), chromedp.WaitEnabled(testID("call")))
	tab.waitOnline(t, w.demo.ContactID)
	assert.Empty(t, reachableOutside(t, ctx, "#home"))

	do(t, ctx, chromedp.Focus(testID("call")), chromedp.KeyEvent(kb.Enter))
	waitState(t, ctx, "calling")
	assert.Equal(t, "hangup", focused(t, ctx), "Call hands the keyboard to Cancel")
	assert.Equal(t, "Calling Maria…", text(t, ctx, "#announce"))
	assert.Empty(t, reachableOutside(t, ctx, "#stage"), "nothing behind the call's screen")
	for range 6 {
		do(t, ctx, chromedp.KeyEvent(kb.Tab))
		assert.Contains(t, []string{"mute", "camera", "hangup", ""}, focused(t, ctx), "Tab stays on the call's screen")
	}
	tab.ringingCall(t)
	do(t, ctx, chromedp.Focus(testID("hangup")), chromedp.KeyEvent(kb.Enter))
	waitState(t, ctx, "idle")
	assert.Equal(t, "call", focused(t, ctx), "Cancel gives the keyboard back to Call")

	// Rung: the ring's screen has the keyboard, Answer first.
	waitIdle(t, tab)
	tab.dial(t, w.demo.ContactID)
	waitState(t, ctx, "ringing")
	assert.Equal(t, "answer", focused(t, ctx))
	assert.Empty(t, reachableOutside(t, ctx, "#ring"), "nothing behind the ring's screen")
	do(t, ctx, chromedp.KeyEvent(kb.Enter))
	waitState(t, ctx, "in-call")
	assert.Equal(t, "In a call with Maria", text(t, ctx, "#announce"))
	assert.Empty(t, reachableOutside(t, ctx, "#stage"))
	do(t, ctx, chromedp.Focus(testID("hangup")), chromedp.KeyEvent(kb.Enter))
	waitState(t, ctx, "ended")
	assert.Equal(t, "message-action", focused(t, ctx))
	assert.Empty(t, reachableOutside(t, ctx, "#message"), "nothing behind the ended screen")
	do(t, ctx, chromedp.KeyEvent(kb.Enter))
	waitState(t, ctx, "idle")
	assert.Equal(t, "call", focused(t, ctx))
}

// Both pages follow the text size the person chose in the browser's settings (not only its
// zoom): at 24 px instead of 16, their text is half as large again.
func TestBrowserFontSizeSetting(t *testing.T) {
	w := newWard(t, withConsole)
	ctx := newBrowser(t, func(o *browsertest.Options) { o.FontSize = 24 })
	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL), chromedp.WaitVisible(testID("call")))
	assert.Equal(t, "30px", eval[string](t, ctx, `getComputedStyle(document.documentElement).fontSize`), "the family page: 125% of 24 px")
	assert.Equal(t, "37.5px", eval[string](t, ctx, `getComputedStyle(document.getElementById('call')).fontSize`))
	do(t, ctx, chromedp.Navigate(w.url+"/console/login"))
	assert.Equal(t, "24px", eval[string](t, ctx, `getComputedStyle(document.body).fontSize`), "the console")
}
