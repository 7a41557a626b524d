package e2e

import (
	"context"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"bedside/assets"
	"bedside/server"
	"bedside/server/store"
)

// wait bounds every wait of these tests, so that a broken piece fails a test instead of
// hanging it. It is a guard, never a timing assertion.
const wait = 60 * time.Second

// ward is a running ward server on a real SQLite file and a loopback listener, with the demo
// ward seeded. It can restart on the same address, as a real server does.
type ward struct {
	t    *testing.T
	db   string
	addr string // host:port of the listener
	url  string // http://addr
	cfg  func(*server.Config)
	log  *slog.Logger
	st   *store.SQLite
	srv  *server.Server
	hs   *http.Server
	demo server.DemoInfo
}

// newWard starts a ward server; tweak, when not nil, adjusts its configuration.
func newWard(t *testing.T, tweak func(*server.Config)) *ward {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	w := &ward{t: t, db: filepath.Join(t.TempDir(), "bedside.db"), addr: ln.Addr().String(), cfg: tweak, log: testLogger(t)}
	w.url = "http://" + w.addr
	w.start(ln)
	t.Cleanup(w.stop)
	w.demo, err = server.SeedDemo(context.Background(), w.st, server.DemoOptions{BaseURL: w.url})
	require.NoError(t, err)
	return w
}

func (w *ward) start(ln net.Listener) {
	t := w.t
	st, err := store.Open(context.Background(), w.db, store.Options{})
	require.NoError(t, err)
	web, err := fs.Sub(assets.Web, "web")
	require.NoError(t, err)
	cfg := server.Config{Store: st, Web: web, Logger: w.log}
	if w.cfg != nil {
		w.cfg(&cfg)
	}
	srv, err := server.New(cfg)
	require.NoError(t, err)
	w.st, w.srv = st, srv
	w.hs = &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = w.hs.Serve(ln) }()
}

func (w *ward) stop() {
	if w.srv == nil {
		return
	}
	w.srv.Close()
	require.NoError(w.t, w.hs.Close())
	require.NoError(w.t, w.st.Close())
	w.srv = nil
}

// startAgain starts the stopped server again on the same address and database.
func (w *ward) startAgain() {
	w.t.Helper()
	var ln net.Listener
	eventually(w.t, "the address is free again", func() bool {
		var err error
		ln, err = net.Listen("tcp", w.addr)
		return err == nil
	})
	w.start(ln)
}

func (w *ward) wsURL() string { return "ws://" + w.addr + "/ws" }

// testLogger keeps the server's and engine's logs, and prints them only when the test fails.
func testLogger(t *testing.T) *slog.Logger {
	buf := &lockedLines{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("logs:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type lockedLines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// eventually polls cond until it holds, and fails the test when it still does not after wait.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// browserFlags are the flags every Chromium of the tests runs with.
func browserFlags(dataDir, lang string) []chromedp.ExecAllocatorOption {
	return append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
		chromedp.ExecPath("/usr/bin/chromium"),
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
		chromedp.Flag("accept-lang", lang),
		chromedp.Flag("lang", lang),
		chromedp.UserDataDir(dataDir),
		chromedp.WindowSize(390, 844),
	)
}

// newBrowser starts a headless Chromium with a fresh profile and returns the context of its
// first tab; extra options come after the usual flags. The page's console is printed when the
// test fails.
func newBrowser(t *testing.T, lang string, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	opts := append(browserFlags(t.TempDir(), lang), extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Run starts the browser; it must not carry a timeout (that would end the browser).
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)))
	watchConsole(t, ctx)
	return ctx
}

// newTab opens another tab in the browser of ctx.
func newTab(t *testing.T, ctx context.Context) context.Context {
	t.Helper()
	tab, cancel := chromedp.NewContext(ctx)
	t.Cleanup(cancel)
	require.NoError(t, chromedp.Do(tab, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)))
	watchConsole(t, tab)
	return tab
}

// watchConsole keeps the tab's console, prints it when the test fails (or always, with
// BEDSIDE_E2E_CONSOLE=1), and fails the test when the page threw an uncaught exception.
func watchConsole(t *testing.T, ctx context.Context) {
	console, exceptions := &lockedLines{}, &lockedLines{}
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			console.Write([]byte(m.String() + "\n"))
			if m.IsException() {
				exceptions.Write([]byte(m.String() + "\n"))
			}
		}
	}()
	t.Cleanup(func() {
		if ex := exceptions.String(); ex != "" {
			t.Errorf("the page threw:\n%s", ex)
		}
		if t.Failed() || os.Getenv("BEDSIDE_E2E_CONSOLE") == "1" {
			t.Logf("page console:\n%s", console.String())
		}
	})
}

// do runs actions in the tab with the test's guard deadline.
func do(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, actions...))
}

// eval evaluates a JavaScript expression (awaiting a promise) in the page.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	return v
}

// pageState is the family page's <body data-state>.
func pageState(t *testing.T, ctx context.Context) string {
	return eval[string](t, ctx, `document.body.dataset.state`)
}

// waitState waits until the page shows state.
func waitState(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	do(t, ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-state="`+state+`"]`)))
}

// testID selects the page's control with this data-testid.
func testID(id string) chromedp.CSS { return chromedp.CSS(`[data-testid="` + id + `"]`) }

// screenshot saves the page to $BEDSIDE_E2E_SHOTS/name.png when that variable names a
// directory, for people to look at; the tests never compare pictures.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("BEDSIDE_E2E_SHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	require.NoError(t, err)
	path := filepath.Join(dir, name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}
