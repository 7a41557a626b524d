package browsertest

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Do runs actions in the tab of ctx within Wait, and fails the test when one fails.
func Do(tb testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
}

// Run runs an action that returns a value (a screenshot, a node's text...) within Wait, and
// fails the test when it fails.
func Run[T any](tb testing.TB, ctx context.Context, action chromedp.Action[T]) T {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	return v
}

// Eval evaluates a JavaScript expression in the page, awaiting it when it is a promise, and
// decodes its value (JSON) into a T.
func Eval[T any](tb testing.TB, ctx context.Context, expr string) T {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("browsertest: evaluating %.60q: %v", expr, err)
	}
	return v
}

// Text returns the text of the first element that css selects, without its outer spaces; it
// waits for that element.
func Text(tb testing.TB, ctx context.Context, css string) string {
	tb.Helper()
	return strings.TrimSpace(Run(tb, ctx, chromedp.TextContent(chromedp.CSS(css))))
}

// Preload runs script in every page the tab of ctx opens from now on, before the page's own
// scripts (to watch what the page does, e.g. wrap getUserMedia).
func Preload(tb testing.TB, ctx context.Context, script string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: script}); err != nil {
		tb.Fatalf("browsertest: preload: %v", err)
	}
}

// SetPermission grants or denies name ("camera", "microphone", ...) to every origin in the
// browser of ctx; setting is "granted", "denied" or "prompt".
func SetPermission(tb testing.TB, ctx context.Context, name, setting string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, Wait)
	defer cancel()
	_, err := chromedp.CallBrowser(ctx, browser.SetPermission, browser.SetPermissionParams{
		Permission: &browser.PermissionDescriptor{Name: name}, Setting: browser.PermissionSetting(setting)})
	if err != nil {
		tb.Fatalf("browsertest: permission %s %s: %v", name, setting, err)
	}
}
