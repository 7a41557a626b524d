package callrun

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/internal/browsertest"
	"bedside/internal/netbed"
	"bedside/internal/testkit"
)

// TestFamilyPageThroughLossAndACut: the family page, in Chromium and in Firefox, calls the
// tablet through the testbed's router; its own link then loses 3 % of the packets with 50 ms
// more delay each way, and media still flows both ways; then its link is cut until the page
// says it is reconnecting, and once the link is back media flows both ways again in the same
// call. The router's counters show what the network did.
func TestFamilyPageThroughLossAndACut(t *testing.T) {
	for _, browser := range []string{"chromium", "firefox"} {
		t.Run(browser, func(t *testing.T) {
			w := NewWard(t, bins)
			page := familyBrowser(t, w, browser, browsertest.Options{})
			callThePatient(t, w, page)
			call := browsertest.EvalAs[string](t, page, `window.bedside.call()`)
			mediaFlows(t, w, page, "clean", 30)

			before := w.Bed.Stats()
			w.Bed.Set(netbed.Family, netbed.Both, netbed.Impairment{LossPct: 3, Delay: 50 * time.Millisecond})
			mediaFlows(t, w, page, "3 % loss and 100 ms more round trip", 60)
			lossy := w.Bed.Stats()
			for _, stage := range []string{"family/up", "family/down"} {
				assert.Greater(t, lossy[stage].DropLoss, before[stage].DropLoss, "loss on %s", stage)
			}

			w.Bed.Clear()
			w.Bed.Cut(netbed.Family, true)
			testkit.Poll(t, "the page says it is reconnecting", 200*time.Millisecond, func() bool {
				return browsertest.EvalAs[bool](t, page, `!document.getElementById('stage-note').hidden`)
			})
			w.Bed.Cut(netbed.Family, false)
			cut := w.Bed.Stats()
			assert.Greater(t, cut["family/up"].DropCut, lossy["family/up"].DropCut, "the cut")
			mediaFlows(t, w, page, "after the cut", 30)
			require.Equal(t, "in-call", pageState(t, page))
			assert.Equal(t, call, browsertest.EvalAs[string](t, page, `window.bedside.call()`), "the same call goes on")
			testkit.Eventually(t, "the note goes", func() bool {
				return browsertest.EvalAs[bool](t, page, `document.getElementById('stage-note').hidden`)
			})
			t.Logf("%s: frames decoded by the page %d, by the tablet %d", browser, pageFrames(t, page), w.TabletFrames())
		})
	}
}

// TestFamilyPageRestartsWhenTheTabletMoves: the family page calls the tablet (the page offers,
// so it restarts ICE); the tablet moves to another network and asks the page for a restart;
// the page honours it, and media flows both ways again in the same call.
func TestFamilyPageRestartsWhenTheTabletMoves(t *testing.T) {
	w, page, call := chromiumCallsThePatient(t)

	w.Bed.MoveTablet()
	testkit.Eventually(t, "the tablet asking the page for a restart", func() bool {
		return browsertest.EvalAs[int](t, page, `window.bedside.restartsAsked()`) > 0
	})
	mediaFlows(t, w, page, "after the move", 30)
	require.Equal(t, "in-call", pageState(t, page))
	assert.Equal(t, call, browsertest.EvalAs[string](t, page, `window.bedside.call()`), "the same call goes on")
}

// TestFamilyPageMovesAfterCalling: the family page calls the tablet (the page offers), then
// the page's phone moves to another network. The browser keeps the page's WebSocket "open" on
// the address that went, so the page checks it when its media stops (a ping the server answers)
// and opens a new one, over which its restart offer goes: media flows both ways again in the
// same call, and the ward logs one call.
func TestFamilyPageMovesAfterCalling(t *testing.T) {
	w, page, call := chromiumCallsThePatient(t)

	w.Bed.Move(netbed.Family)
	mediaFlows(t, w, page, "after the move", 30)
	require.Equal(t, "in-call", pageState(t, page))
	assert.Equal(t, call, browsertest.EvalAs[string](t, page, `window.bedside.call()`), "the same call goes on")
	page.Click("#hangup")
	testkit.Eventually(t, "the call ended", func() bool { return pageState(t, page) == "ended" })
	oneCallLogged(t, w)
}

// chromiumCallsThePatient starts a ward, and the family page in Chromium calling the tablet,
// with media flowing both ways; it returns the ward, the page and the call's id.
func chromiumCallsThePatient(t *testing.T) (*Ward, browsertest.Tab, string) {
	w := NewWard(t, bins)
	page := familyBrowser(t, w, "chromium", browsertest.Options{})
	callThePatient(t, w, page)
	call := browsertest.EvalAs[string](t, page, `window.bedside.call()`)
	mediaFlows(t, w, page, "before the move", 30)
	return w, page, call
}
