// Package browsertest starts Debian's Chromium and Firefox ESR for tests and drives them.
//
// Every browser it starts is headless, with the flags every Bedside test browser needs (no
// sandbox, no GPU, no QUIC, no first-run pages, no background networking, component updates or
// sync), a fresh profile in the test's temporary directory, a fake camera and microphone that
// need no permission prompt, and autoplay allowed. Do, Run and Eval bound each step with the
// guard deadline Wait, so that a broken page fails the test instead of hanging it. The page's
// console is kept: it is printed when the test fails, and an uncaught exception fails the test.
//
//	ctx := browsertest.Start(t, browsertest.Options{Lang: "it-IT,it", Width: 390, Height: 844, Mobile: true})
//	browsertest.Do(t, ctx, chromedp.Navigate(url), chromedp.WaitVisible(chromedp.CSS("#call")))
//	title := browsertest.Eval[string](t, ctx, `document.title`)
//
// StartFirefox starts Debian's Firefox ESR the same way (headless, a fresh profile, a fake
// camera and microphone) and drives it over WebDriver BiDi, which Firefox speaks itself, on a
// WebSocket to the port it picked on 127.0.0.1. Both browsers are a Tab (ChromiumTab wraps a
// Chromium), so one test drives either: navigate, evaluate, preload a script, resize, click
// with the mouse, screenshot, set a permission. Axe runs axe-core (from npm, installed by
// scripts/deps.sh into .cache/npm) on a Tab's page.
//
// It is test support: only _test.go files import it (package e2e, the root package's kiosk
// tests). It knows nothing of Bedside's pages.
package browsertest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Path is the Chromium the tests run: Debian's.
const Path = "/usr/bin/chromium"

// Wait bounds each step of Do, Run and Eval: a guard against a hang, never a timing assertion.
const Wait = 60 * time.Second

// Options say how Start starts a browser. The zero value is a 1280x900 desktop window in
// Chromium's default language, with the fake camera's test pattern.
type Options struct {
	// Lang is the browser's language and Accept-Language, e.g. "it-IT,it"; Chromium's default
	// when empty.
	Lang string
	// Width and Height are the window's and the viewport's size in CSS pixels; 1280x900 when
	// zero.
	Width, Height int
	// Mobile emulates a phone's viewport: the page's <meta name=viewport> is obeyed.
	Mobile bool
	// FakeVideo is a Y4M or MJPEG file that the fake camera plays instead of its test pattern.
	FakeVideo string
	// DenyMedia makes the fake permission prompt refuse the camera and the microphone.
	DenyMedia bool
	// Permissions, when set, replace the fake prompt (which grants or, with DenyMedia, refuses
	// everything) with one setting per permission: e.g. {"camera": "denied", "microphone":
	// "granted"}.
	Permissions map[string]string
	// FontSize is the browser's default font size in CSS pixels, as a person who wants larger
	// text sets it in the browser's settings; Chromium's 16 when zero.
	FontSize int
	// LogConsole prints the page's console also when the test passes.
	LogConsole bool
	// Flags are more command-line flags, applied after the usual ones (the same flag given
	// again wins).
	Flags []chromedp.ExecAllocatorOption
	// NetNS, when set, runs the browser in that network namespace.
	NetNS *NetNS
	// SecureOrigin is an origin ("http://10.77.1.2:8080") that the browser treats as secure,
	// as it does localhost: a page served on a testbed's address needs it for the camera.
	SecureOrigin string
	// HideHostAddresses keeps Firefox's default of hiding its host ICE candidates behind
	// mDNS names ("….local"), as a user's Firefox does (Firefox only: the tests' profile shows
	// the addresses, so that calls on loopback work; Chromium shows them once the page may use
	// the camera, which its fake prompt grants).
	HideHostAddresses bool
}

func (o Options) withDefaults() Options {
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 1280, 900
	}
	return o
}

// Flags returns the command line of a test browser with its profile in dataDir, which should
// be fresh (t.TempDir()).
func Flags(dataDir string, o Options) []chromedp.ExecAllocatorOption {
	o = o.withDefaults()
	f := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath(Path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("use-fake-device-for-media-stream", true),
		chromedp.Flag("use-fake-ui-for-media-stream", true),
		chromedp.Flag("autoplay-policy", "no-user-gesture-required"),
		chromedp.UserDataDir(dataDir),
		chromedp.WindowSize(o.Width, o.Height),
	)
	if o.DenyMedia {
		f = append(f, chromedp.Flag("use-fake-ui-for-media-stream", "deny"))
	}
	if len(o.Permissions) > 0 {
		f = append(f, chromedp.Flag("use-fake-ui-for-media-stream", false))
	}
	if o.Lang != "" {
		f = append(f, chromedp.Flag("accept-lang", o.Lang), chromedp.Flag("lang", o.Lang))
	}
	if o.FakeVideo != "" {
		f = append(f, chromedp.Flag("use-file-for-fake-video-capture", o.FakeVideo))
	}
	if o.SecureOrigin != "" {
		f = append(f, chromedp.Flag("unsafely-treat-insecure-origin-as-secure", o.SecureOrigin))
	}
	if o.NetNS != nil {
		f = append(f, chromedp.ModifyCmdFunc(o.NetNS.chromiumCmd))
	}
	return append(f, o.Flags...)
}

// optionsKey keeps a browser's Options in its contexts, for NewTab.
type optionsKey struct{}

// Start starts a browser with a fresh profile in tb.TempDir() and returns the context of its
// first tab, its console watched. The browser ends with the test.
func Start(tb testing.TB, o Options) context.Context {
	tb.Helper()
	o = o.withDefaults()
	dir := tb.TempDir()
	if o.FontSize > 0 {
		writeFontSize(tb, dir, o.FontSize)
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), Flags(dir, o)...)
	ctx, cancel := chromedp.NewContext(actx)
	tb.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	ctx = context.WithValue(ctx, optionsKey{}, o)
	// The first step starts the browser: it must carry no deadline, which would end the browser.
	if err := chromedp.Do(ctx, emulate(o)); err != nil {
		tb.Fatalf("browsertest: starting %s: %v", Path, err)
	}
	for name, setting := range o.Permissions {
		SetPermission(tb, ctx, name, setting)
	}
	watchUntilCleanup(tb, ctx, o)
	return ctx
}

// writeFontSize sets the default font size in the profile in dir, where Chromium's settings
// page keeps it.
func writeFontSize(tb testing.TB, dir string, px int) {
	tb.Helper()
	prefs := fmt.Sprintf(`{"webkit": {"webprefs": {"default_font_size": %d}}}`, px)
	if err := os.MkdirAll(filepath.Join(dir, "Default"), 0o755); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Default", "Preferences"), []byte(prefs), 0o644); err != nil {
		tb.Fatalf("browsertest: %v", err)
	}
}

// NewTab opens another tab in the browser of ctx, with the same screen, its console watched.
func NewTab(tb testing.TB, ctx context.Context) context.Context {
	tb.Helper()
	o, _ := ctx.Value(optionsKey{}).(Options)
	o = o.withDefaults()
	tab, cancel := chromedp.NewContext(ctx)
	tb.Cleanup(cancel)
	// Like the browser's, the tab's first step opens it and must carry no deadline.
	if err := chromedp.Do(tab, emulate(o)); err != nil {
		tb.Fatalf("browsertest: opening a tab: %v", err)
	}
	watchUntilCleanup(tb, tab, o)
	return tab
}

func emulate(o Options) chromedp.Action[chromedp.Void] {
	if o.Mobile {
		return chromedp.EmulateViewport(int64(o.Width), int64(o.Height), chromedp.EmulateMobile)
	}
	return chromedp.EmulateViewport(int64(o.Width), int64(o.Height))
}
