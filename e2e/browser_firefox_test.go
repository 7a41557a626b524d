package e2e

import (
	"bedside/internal/testkit"
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/internal/browsertest"
)

// Firefox ESR calls the tablet and is called by it; from its first frames it sends the
// camera's whole 640x480 picture (it used to start smaller, for seconds, while it found the
// link's bit rate).
func TestFirefoxCallsBothWaysFullPicture(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w)
	page := browsertest.StartFirefox(t, browsertest.Options{Width: 390, Height: 844})
	state := func() string { return browsertest.EvalAs[string](t, page, `document.body.dataset.state`) }
	firstFrames := func(what string) {
		t.Helper()
		testkit.Eventually(t, "the tablet decodes "+what, func() bool { return tab.phone.Stats().FramesDecoded > 0 })
		st := tab.phone.Stats()
		assert.Equal(t, [2]int{640, 480}, [2]int{st.Width, st.Height}, "the first frames of %s (frame %d)", what, st.FramesDecoded)
	}

	page.Navigate(w.demo.FamilyURL)
	testkit.Eventually(t, "Call enabled", func() bool { return browsertest.EvalAs[bool](t, page, `!document.getElementById('call').disabled`) })
	tab.waitOnline(t, w.demo.ContactID)
	page.Click("#call")
	guard, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, tab.phone.Answer(guard, tab.ringingCall(t)))
	testkit.Eventually(t, "in the call", func() bool { return state() == "in-call" })
	firstFrames("Firefox's call")
	page.Click("#hangup")
	waitIdle(t, tab)
	testkit.Eventually(t, "the call ended", func() bool { return state() == "ended" })
	page.Click("#message-action")

	tab.dial(t, w.demo.ContactID)
	testkit.Eventually(t, "Firefox rings", func() bool { return state() == "ringing" })
	page.Click("#answer")
	testkit.Eventually(t, "in the call", func() bool { return state() == "in-call" && tab.phone.State() == call.InCall })
	firstFrames("the call Firefox answered")
	testkit.Eventually(t, "Firefox decodes the tablet", func() bool {
		return browsertest.EvalAs[int](t, page, `document.getElementById('remote').videoWidth`) == 640
	})
}
