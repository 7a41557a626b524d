package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// Tab is one tab of a test browser, Chromium or Firefox, driven the same way, so that one
// test runs in both. Each method fails the test that started the browser when it fails.
type Tab interface {
	// Name is "chromium" or "firefox".
	Name() string
	// Navigate loads url and waits for it to load.
	Navigate(url string)
	// EvalJSON evaluates a JavaScript expression in the page, awaiting a promise, and returns
	// its value as JSON.
	EvalJSON(expr string) []byte
	// Exec runs a script (statements, not an expression) in the page, e.g. a library.
	Exec(script string)
	// Preload runs a script in every page loaded from now on, before the page's own scripts.
	Preload(script string)
	// Resize sets the viewport to w x h CSS pixels.
	Resize(w, h int)
	// Screenshot is a PNG of the viewport.
	Screenshot() []byte
	// Click clicks the middle of the first element css selects with the mouse.
	Click(css string)
	// SetPermission sets a permission ("camera", "microphone") of origin to "granted",
	// "denied" or "prompt".
	SetPermission(name, state, origin string)
}

// EvalAs evaluates expr in tab's page and decodes its value into a T.
func EvalAs[T any](tb testing.TB, tab Tab, expr string) T {
	tb.Helper()
	var v T
	b := tab.EvalJSON(expr)
	if err := json.Unmarshal(b, &v); err != nil {
		tb.Fatalf("browsertest: %s: decoding %.80q of %.60q: %v", tab.Name(), b, expr, err)
	}
	return v
}

// center is the middle of the first element css selects, in CSS pixels of the viewport,
// scrolled into view first.
func center(tb testing.TB, tab Tab, css string) (int, int) {
	tb.Helper()
	q, _ := json.Marshal(css)
	p := EvalAs[*struct{ X, Y float64 }](tb, tab, fmt.Sprintf(`(() => {
  const el = document.querySelector(%s);
  if (!el) return null;
  el.scrollIntoView({block: 'nearest', inline: 'nearest'});
  const r = el.getBoundingClientRect();
  return {X: r.left + r.width / 2, Y: r.top + r.height / 2};
})()`, q))
	if p == nil {
		tb.Fatalf("browsertest: %s: no element %s to click", tab.Name(), css)
	}
	return int(math.Round(p.X)), int(math.Round(p.Y))
}

// Chromium is a Tab of a browser that Start started.
type Chromium struct {
	tb     testing.TB
	ctx    context.Context
	mobile bool
}

// ChromiumTab starts Chromium as Start does and returns its first tab as a Tab.
func ChromiumTab(tb testing.TB, o Options) *Chromium {
	tb.Helper()
	return &Chromium{tb: tb, ctx: Start(tb, o), mobile: o.Mobile}
}

// TabOf is the Tab of a tab that Start or NewTab opened.
func TabOf(tb testing.TB, ctx context.Context) *Chromium {
	o, _ := ctx.Value(optionsKey{}).(Options)
	return &Chromium{tb: tb, ctx: ctx, mobile: o.Mobile}
}

// Context is the chromedp context of the tab, for what Tab does not offer.
func (c *Chromium) Context() context.Context { return c.ctx }

// Name is "chromium".
func (c *Chromium) Name() string { return "chromium" }

// Navigate loads url and waits for it to load.
func (c *Chromium) Navigate(url string) {
	c.tb.Helper()
	Do(c.tb, c.ctx, chromedp.Navigate(url))
}

// EvalJSON evaluates expr, awaiting a promise, and returns its value as JSON.
func (c *Chromium) EvalJSON(expr string) []byte {
	c.tb.Helper()
	return Eval[json.RawMessage](c.tb, c.ctx, expr)
}

// Exec runs a script in the page.
func (c *Chromium) Exec(script string) {
	c.tb.Helper()
	Eval[json.RawMessage](c.tb, c.ctx, script+"\n;null")
}

// Preload runs script in every page loaded from now on.
func (c *Chromium) Preload(script string) {
	c.tb.Helper()
	Preload(c.tb, c.ctx, script)
}

// Resize sets the viewport to w x h CSS pixels (a phone's when the browser is Mobile).
func (c *Chromium) Resize(w, h int) {
	c.tb.Helper()
	if c.mobile {
		Do(c.tb, c.ctx, chromedp.EmulateViewport(int64(w), int64(h), chromedp.EmulateMobile))
	} else {
		Do(c.tb, c.ctx, chromedp.EmulateViewport(int64(w), int64(h)))
	}
}

// Screenshot is a PNG of the viewport.
func (c *Chromium) Screenshot() []byte {
	c.tb.Helper()
	return Run(c.tb, c.ctx, chromedp.CaptureScreenshot())
}

// Click clicks the middle of the first element css selects with the mouse.
func (c *Chromium) Click(css string) {
	c.tb.Helper()
	x, y := center(c.tb, c, css)
	ctx, cancel := context.WithTimeout(c.ctx, Wait)
	defer cancel()
	for _, t := range []input.DispatchMouseEventType{input.DispatchMouseEventTypeMousePressed, input.DispatchMouseEventTypeMouseReleased} {
		_, err := chromedp.Call(ctx, input.DispatchMouseEvent, input.DispatchMouseEventParams{
			Type: t, X: float64(x), Y: float64(y), Button: input.MouseButtonLeft, ClickCount: 1})
		if err != nil {
			c.tb.Fatalf("browsertest: click %s: %v", css, err)
		}
	}
}

// SetPermission sets a permission of every origin (Chromium's fake prompt is off once a
// permission is set: start the browser with Options.Permissions for that).
func (c *Chromium) SetPermission(name, state, _ string) {
	c.tb.Helper()
	SetPermission(c.tb, c.ctx, name, state)
}
