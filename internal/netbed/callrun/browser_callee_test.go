package callrun

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/internal/browsertest"
	"bedside/internal/netbed"
	"bedside/internal/testkit"
)

// TestFamilyPageAsksTheTabletToRestart: the tablet calls the family and the page answers (the
// tablet offers, so only the tablet restarts ICE). The page's phone then moves to another
// network: the page sees its media stop and asks the tablet for a restart; the tablet restarts
// ICE, and media flows both ways again in the same call, without ringing again, and the ward
// logs one call.
func TestFamilyPageAsksTheTabletToRestart(t *testing.T) {
	for _, browser := range []string{"chromium", "firefox"} {
		t.Run(browser, func(t *testing.T) {
			w := NewWard(t, bins)
			page := familyBrowser(t, w, browser, browsertest.Options{})
			page.Navigate(w.FamilyURL())
			testkit.Eventually(t, "the page on the server", func() bool {
				return browsertest.EvalAs[string](t, page, `window.bedside.conn()`) == "open"
			})
			w.TabletCalls(t)
			testkit.Eventually(t, "the page rings", func() bool { return pageState(t, page) == "ringing" })
			page.Click("#answer")
			testkit.Eventually(t, "in the call", func() bool { return pageState(t, page) == "in-call" })
			call := browsertest.EvalAs[string](t, page, `window.bedside.call()`)
			mediaFlows(t, w, page, "before the move", 30)

			w.Bed.Move(netbed.Family)
			testkit.Eventually(t, "the page asking the tablet for a restart", func() bool {
				return browsertest.EvalAs[int](t, page, `window.bedside.restartsSent()`) > 0
			})
			mediaFlows(t, w, page, "after the move", 30)
			require.Equal(t, "in-call", pageState(t, page))
			assert.Equal(t, call, browsertest.EvalAs[string](t, page, `window.bedside.call()`), "the same call goes on")

			page.Click("#hangup")
			testkit.Eventually(t, "the call ended", func() bool { return pageState(t, page) == "ended" })
			var ids []string
			for _, l := range w.tablet.output() {
				if id, ok := field(l.text, "call"); ok && strings.HasPrefix(l.text, "call ") && !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			assert.Equal(t, []string{call}, ids, "the tablet placed one call")
			oneCallLogged(t, w)
		})
	}
}
