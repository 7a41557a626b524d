package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"bedside/internal/browsertest"
)

const page = `<!doctype html><html><head><meta name="viewport" content="width=device-width"></head><body><p id="greeting">  Hello  </p>
<script>console.log('page ready'); document.body.dataset.lang = navigator.language;</script></body></html>`

func serve(t *testing.T) string {
	t.Helper()
	return serveHTML(t, page)
}

// serveHTML serves html on 127.0.0.1 until the test ends.
func serveHTML(t *testing.T, html string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(html))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// A phone-sized Italian browser reads the page, its console, and a second tab sees the same
// screen.
func TestStartPhone(t *testing.T) {
	url := serve(t)
	ctx := browsertest.Start(t, browsertest.Options{Lang: "it-IT,it", Width: 390, Height: 844, Mobile: true})
	console := browsertest.Watch(ctx)
	browsertest.Do(t, ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#greeting")))

	if got := browsertest.Text(t, ctx, "#greeting"); got != "Hello" {
		t.Errorf("Text = %q, want Hello", got)
	}
	if got := browsertest.Eval[string](t, ctx, `navigator.language`); got != "it-IT" {
		t.Errorf("navigator.language = %q, want it-IT", got)
	}
	if got := browsertest.Eval[int](t, ctx, `window.innerWidth`); got != 390 {
		t.Errorf("innerWidth = %d, want 390", got)
	}
	if png := browsertest.Run(t, ctx, chromedp.CaptureScreenshot()); len(png) == 0 {
		t.Error("empty screenshot")
	}
	if !slices.ContainsFunc(console.Lines(), func(l string) bool { return strings.Contains(l, "page ready") }) {
		t.Errorf("console %q lacks the page's line", console.Lines())
	}
	if ex := console.Exceptions(); len(ex) > 0 {
		t.Errorf("exceptions: %q", ex)
	}

	tab := browsertest.NewTab(t, ctx)
	browsertest.Do(t, tab, chromedp.Navigate(url))
	if got := browsertest.Eval[int](t, tab, `window.innerWidth`); got != 390 {
		t.Errorf("the new tab's innerWidth = %d, want 390", got)
	}
}

// The fake camera plays without a prompt, and DenyMedia refuses it.
func TestFakeMedia(t *testing.T) {
	url := serve(t)
	const getUserMedia = `navigator.mediaDevices.getUserMedia({video: true, audio: true})
		.then((s) => s.getTracks().length + ' tracks', (e) => e.name)`
	for _, c := range []struct {
		deny bool
		want string
	}{{false, "2 tracks"}, {true, "NotAllowedError"}} {
		ctx := browsertest.Start(t, browsertest.Options{DenyMedia: c.deny})
		browsertest.Do(t, ctx, chromedp.Navigate(url))
		if got := browsertest.Eval[string](t, ctx, getUserMedia); got != c.want {
			t.Errorf("DenyMedia %v: getUserMedia gives %q, want %q", c.deny, got, c.want)
		}
	}
}

func TestFlags(t *testing.T) {
	flags := browsertest.Flags(t.TempDir(), browsertest.Options{})
	if len(flags) < len(chromedp.DefaultExecAllocatorOptions)+10 {
		t.Errorf("only %d flags", len(flags))
	}
}
