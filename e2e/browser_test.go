package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/chromedp"

	"bedside/internal/browsertest"
)

// browserOption changes the browser newBrowser starts.
type browserOption func(*browsertest.Options)

// lang sets the browser's language, e.g. "it-IT,it".
func lang(l string) browserOption { return func(o *browsertest.Options) { o.Lang = l } }

// desk is a desk's screen (1280x900) instead of a phone's.
func desk(o *browsertest.Options) { o.Width, o.Height, o.Mobile = 1280, 900, false }

// denyMedia refuses the page the camera and the microphone.
func denyMedia(o *browsertest.Options) { o.DenyMedia = true }

// fakeVideo makes the fake camera play a Y4M clip.
func fakeVideo(path string) browserOption { return func(o *browsertest.Options) { o.FakeVideo = path } }

// newBrowser starts a headless Chromium with a fresh profile, a fake camera and microphone, as
// a family member's phone (390x844, English) unless opts say otherwise, and returns its first
// tab. The page's console is printed when the test fails (always, with BEDSIDE_E2E_CONSOLE=1),
// and an uncaught exception fails the test.
func newBrowser(tb testing.TB, opts ...browserOption) context.Context {
	tb.Helper()
	o := browsertest.Options{Lang: "en-US", Width: 390, Height: 844, Mobile: true,
		LogConsole: os.Getenv("BEDSIDE_E2E_CONSOLE") == "1"}
	for _, opt := range opts {
		opt(&o)
	}
	return browsertest.Start(tb, o)
}

// newTab opens another tab in the browser of ctx, with the same screen.
func newTab(tb testing.TB, ctx context.Context) context.Context {
	tb.Helper()
	return browsertest.NewTab(tb, ctx)
}

// do runs actions in the tab with the guard deadline.
func do(tb testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	browsertest.Do(tb, ctx, actions...)
}

// eval evaluates a JavaScript expression (awaiting a promise) in the page.
func eval[T any](tb testing.TB, ctx context.Context, expr string) T {
	tb.Helper()
	return browsertest.Eval[T](tb, ctx, expr)
}

// text is the trimmed text of the first element css selects.
func text(tb testing.TB, ctx context.Context, css string) string {
	tb.Helper()
	return browsertest.Text(tb, ctx, css)
}

// testID selects the page's control with this data-testid.
func testID(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// pageState is the family page's <body data-state>.
func pageState(tb testing.TB, ctx context.Context) string {
	tb.Helper()
	return eval[string](tb, ctx, `document.body.dataset.state`)
}

// waitState waits until the family page shows state.
func waitState(tb testing.TB, ctx context.Context, state string) {
	tb.Helper()
	do(tb, ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-state="`+state+`"]`)))
}

// screenshot saves what the tab shows to $BEDSIDE_E2E_SHOTS/name.png when that variable names
// a directory, for people to look at; the tests never compare pictures.
func screenshot(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	saveShot(tb, ctx, name, chromedp.CaptureScreenshot())
}

// pageShot is screenshot of the whole page, beyond the window.
func pageShot(tb testing.TB, ctx context.Context, name string) {
	tb.Helper()
	saveShot(tb, ctx, name, chromedp.FullScreenshot(100))
}

func saveShot(tb testing.TB, ctx context.Context, name string, shot chromedp.Action[[]byte]) {
	tb.Helper()
	dir := os.Getenv("BEDSIDE_E2E_SHOTS")
	if dir == "" {
		return
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, browsertest.Run(tb, ctx, shot), 0o644); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("screenshot: %s", path)
}
