package e2e

import (
	"bedside/internal/testkit"
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/internal/browsertest"
)

// watchMediaJS wraps getUserMedia before the page runs, so that a test sees every track the
// page ever opened, whatever the page itself keeps: window.__media() is {asked, live: [kinds]}.
const watchMediaJS = `(() => {
  const md = navigator.mediaDevices;
  if (!md || !md.getUserMedia) return;
  const tracks = [];
  let asked = 0;
  const orig = md.getUserMedia.bind(md);
  md.getUserMedia = async (c) => {
    asked++;
    // A test that cannot make this browser refuse (Firefox's WebDriver BiDi sets no camera
    // permission) says so here, and the page gets what a refusing browser gives.
    if (sessionStorage.getItem('__deny')) throw new DOMException('Permission denied', 'NotAllowedError');
    const s = await orig(c);
    tracks.push(...s.getTracks());
    return s;
  };
  window.__media = () => ({asked, live: tracks.filter((t) => t.readyState === 'live').map((t) => t.kind).sort()});
})()`

// mediaUse is what window.__media() reports.
type mediaUse struct {
	Asked int      `json:"asked"`
	Live  []string `json:"live"`
}

func pageMedia(tb testing.TB, ctx context.Context) mediaUse {
	tb.Helper()
	return eval[mediaUse](tb, ctx, `window.__media()`)
}

// The camera and microphone are on only when the family member asks for a preview or calls:
// not while the page waits, and not after a call.
func TestBrowserCameraOnlyWhenAsked(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w, autoAnswer)
	ctx := newBrowser(t)
	browsertest.Preload(t, ctx, watchMediaJS)

	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL), chromedp.WaitEnabled(testID("call")))
	tab.waitOnline(t, w.demo.ContactID)
	assert.Equal(t, mediaUse{Asked: 0, Live: []string{}}, pageMedia(t, ctx), "nothing opened while the page waits")
	assert.Equal(t, "Your camera is off. It turns on when you call.", text(t, ctx, "#no-camera-text"))

	// A preview when asked, and off again when asked.
	assert.Equal(t, "Check my camera", text(t, ctx, "#preview"))
	do(t, ctx, chromedp.Click(testID("preview")))
	testkit.Eventually(t, "the preview shows", func() bool { return len(pageMedia(t, ctx).Live) == 2 })
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS("#self")))
	assert.Equal(t, "Turn my camera off", text(t, ctx, "#preview"))
	do(t, ctx, chromedp.Click(testID("preview")))
	assert.Empty(t, pageMedia(t, ctx).Live, "the preview is off")

	// A call opens both, and its end closes both.
	do(t, ctx, chromedp.Click(testID("call")))
	waitState(t, ctx, "in-call")
	assert.Equal(t, []string{"audio", "video"}, pageMedia(t, ctx).Live)
	do(t, ctx, chromedp.Click(testID("hangup")))
	waitState(t, ctx, "ended")
	assert.Empty(t, pageMedia(t, ctx).Live, "nothing live once the call ended")
	do(t, ctx, chromedp.Click(chromedp.CSS("#message-action")))
	waitState(t, ctx, "idle")
	assert.Empty(t, pageMedia(t, ctx).Live, "nothing live at home")
	assert.Equal(t, "call", eval[string](t, ctx, `document.activeElement.id`), "focus back on Call")
}

// With the camera and microphone blocked, Call still does something: a screen that says
// what is blocked, how to allow it in this browser, and a way to call all the same (the
// family then sees and hears the patient, and is told the patient cannot see or hear them).
func TestBrowserCameraDenied(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w, autoAnswer)
	ctx := newBrowser(t, denyMedia)
	browsertest.Preload(t, ctx, watchMediaJS)

	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL), chromedp.WaitEnabled(testID("call")))
	tab.waitOnline(t, w.demo.ContactID)
	do(t, ctx, chromedp.Click(testID("call")))
	waitState(t, ctx, "blocked")
	assert.Equal(t, "Your camera and microphone are blocked", text(t, ctx, "#blocked-title"))
	assert.Equal(t, "blocked-title", eval[string](t, ctx, `document.activeElement.id`), "focus on the screen's title")
	assert.Contains(t, text(t, ctx, "#blocked-steps"), "in Chrome")
	assert.Equal(t, "Try again", text(t, ctx, "#blocked-retry"))
	assert.Equal(t, "Call without camera or microphone", text(t, ctx, "#blocked-anyway"))
	screenshot(t, ctx, "family-camera-denied")

	// Trying again asks again, and lands on the same screen.
	asked := pageMedia(t, ctx).Asked
	do(t, ctx, chromedp.Click(testID("blocked-retry")))
	waitState(t, ctx, "blocked")
	testkit.Eventually(t, "the browser is asked again", func() bool { return pageMedia(t, ctx).Asked > asked })

	do(t, ctx, chromedp.Click(testID("blocked-anyway")))
	waitState(t, ctx, "in-call")
	assert.Equal(t, "Maria can’t see or hear you", text(t, ctx, "#stage-note"))
	testkit.Eventually(t, "the page decodes the tablet's video", func() bool {
		in := pageInbound(t, ctx)
		return in != nil && in.FramesDecoded > 10
	})
	do(t, ctx, chromedp.Click(testID("hangup")))
	waitState(t, ctx, "ended")

	// Back at home the Call button works again, and leads to the same screen.
	do(t, ctx, chromedp.Click(chromedp.CSS("#message-action")), chromedp.WaitEnabled(testID("call")))
	do(t, ctx, chromedp.Click(testID("call")))
	waitState(t, ctx, "blocked")
	do(t, ctx, chromedp.Click(testID("blocked-back")))
	waitState(t, ctx, "idle")
}

// With only the camera blocked, the family can call with sound: the patient hears them.
func TestBrowserCameraDeniedMicAllowed(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w, autoAnswer)
	ctx := newBrowser(t, func(o *browsertest.Options) {
		o.Permissions = map[string]string{"camera": "denied", "microphone": "granted"}
	})
	browsertest.Preload(t, ctx, watchMediaJS)

	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL), chromedp.WaitEnabled(testID("call")))
	tab.waitOnline(t, w.demo.ContactID)
	do(t, ctx, chromedp.Click(testID("call")))
	waitState(t, ctx, "blocked")
	assert.Equal(t, "Your camera is blocked", text(t, ctx, "#blocked-title"))
	assert.Empty(t, pageMedia(t, ctx).Live, "the microphone is not left on behind the screen")
	require.Equal(t, "Call with sound only", text(t, ctx, "#blocked-anyway"))
	do(t, ctx, chromedp.Click(testID("blocked-anyway")))
	waitState(t, ctx, "in-call")
	assert.Equal(t, []string{"audio"}, pageMedia(t, ctx).Live)
	assert.Equal(t, "Maria can hear you but can’t see you", text(t, ctx, "#stage-note"))
	testkit.Eventually(t, "the tablet hears the page", func() bool { return tab.audio.Load() > 0 })
	do(t, ctx, chromedp.Click(testID("hangup")))
	waitState(t, ctx, "ended")
	assert.Empty(t, pageMedia(t, ctx).Live)
}
