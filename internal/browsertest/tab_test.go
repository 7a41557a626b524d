package browsertest_test

import (
	"strings"
	"testing"

	"bedside/internal/browsertest"
)

const tabPage = `<!doctype html><html><head><meta name="viewport" content="width=device-width"></head><body>
<button id="b" style="position:absolute;left:40px;top:30px;width:100px;height:40px">press</button>
<script>document.getElementById('b').onclick = () => { document.body.dataset.clicked = 'yes'; };</script></body></html>`

// Both browsers load a page, run a preload script before it, evaluate, resize, click with the
// mouse, take a screenshot, and get a fake camera.
func TestTabs(t *testing.T) {
	url := serveHTML(t, tabPage)
	for _, start := range []func() browsertest.Tab{
		func() browsertest.Tab { return browsertest.ChromiumTab(t, browsertest.Options{Lang: "it-IT,it"}) },
		func() browsertest.Tab { return browsertest.StartFirefox(t, browsertest.Options{Lang: "it-IT,it"}) },
	} {
		tab := start()
		t.Run(tab.Name(), func(t *testing.T) {
			tab.Preload(`window.__early = document.readyState;`)
			tab.Navigate(url)
			if got := browsertest.EvalAs[string](t, tab, `window.__early`); got != "loading" {
				t.Errorf("preload ran at %q, want loading", got)
			}
			if got := browsertest.EvalAs[string](t, tab, `navigator.language`); !strings.HasPrefix(got, "it") {
				t.Errorf("navigator.language = %q", got)
			}
			tab.Resize(320, 640)
			if got := browsertest.EvalAs[[]int](t, tab, `[innerWidth, innerHeight]`); got[0] != 320 || got[1] != 640 {
				t.Errorf("viewport %v, want 320x640", got)
			}
			tab.Click("#b")
			if got := browsertest.EvalAs[string](t, tab, `document.body.dataset.clicked || ''`); got != "yes" {
				t.Error("the click did not reach the button")
			}
			if png := tab.Screenshot(); len(png) < 100 || string(png[1:4]) != "PNG" {
				t.Errorf("screenshot of %d bytes", len(png))
			}
			got := browsertest.EvalAs[string](t, tab, `navigator.mediaDevices.getUserMedia({video: true, audio: true})
				.then((s) => s.getTracks().map((t) => t.kind).sort().join(','), (e) => e.name)`)
			if got != "audio,video" {
				t.Errorf("getUserMedia: %s", got)
			}
		})
	}
}

// axe-core finds what is wrong with a page in both browsers.
func TestAxe(t *testing.T) {
	url := serveHTML(t, `<!doctype html><html lang="en"><head><title>t</title></head><body><main><img src="x.png"></main></body></html>`)
	for _, tab := range []browsertest.Tab{
		browsertest.ChromiumTab(t, browsertest.Options{}),
		browsertest.StartFirefox(t, browsertest.Options{}),
	} {
		tab.Navigate(url)
		v := browsertest.Axe(t, tab)
		if len(v) == 0 || v[0].ID != "image-alt" {
			t.Errorf("%s: axe found %v, want image-alt", tab.Name(), v)
		}
	}
}
