package e2e

import (
	"bedside/internal/testkit"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/call/signal"
)

// The ward server stops in the middle of a call between the family page (Chromium) and the Go
// tablet, and starts again: the page stays in the call (its media is peer to peer), both ends
// reconnect and resume the call with the new server, and when the family hangs up the call
// ends on both ends with one "hangup" row in the log.
func TestBrowserCallSurvivesServerRestart(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w, autoAnswer)
	ctx := newBrowser(t)

	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL))
	do(t, ctx, chromedp.WaitEnabled(testID("call")))
	do(t, ctx, chromedp.Click(testID("call")))
	waitState(t, ctx, "in-call")
	assertMediaBothWays(t, ctx, tab)

	w.stop()
	testkit.Eventually(t, "the tablet notices the server is gone", func() bool { return !tab.phone.Connected() })
	frames := pageInbound(t, ctx).FramesDecoded
	testkit.Eventually(t, "the page still decodes the tablet without a server", func() bool {
		in := pageInbound(t, ctx)
		return in != nil && in.FramesDecoded > frames+30
	})
	assert.Equal(t, "in-call", pageState(t, ctx), "the page stays in the call")

	w.startAgain()
	testkit.Eventually(t, "the tablet reconnects", tab.phone.Connected)
	testkit.Eventually(t, "the page reconnects and resumes its call", func() bool {
		return eval[string](t, ctx, `window.bedside.conn()`) == "open" && eval[int](t, ctx, `window.bedside.resumed()`) > 0
	})
	require.Equal(t, call.InCall, tab.phone.State())
	assert.Equal(t, "in-call", pageState(t, ctx))

	// The resumed call is the server's again: the family's hang-up reaches the tablet.
	do(t, ctx, chromedp.Click(testID("hangup")))
	waitIdle(t, tab)
	assertEnded(t, signal.ReasonHangup, tab)
	rows := callLog(t, w, 1)
	assert.Equal(t, string(signal.ReasonHangup), rows[0].Reason)
}
