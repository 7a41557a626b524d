package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"image"
	"image/color"
	"image/jpeg"
	"io/fs"
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
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/assets"
	"bedside/server"
	"bedside/server/console"
	"bedside/server/store"
)

// consoleWait bounds every wait of the console tests: a guard, never a timing assertion.
const consoleWait = 60 * time.Second

// consoleWard is a whole ward server with the nurse console, as cmd/bedside-server mounts
// them: the console under /console/ and the server for everything else, on one listener.
type consoleWard struct {
	url   string
	st    *store.SQLite
	srv   *server.Server
	admin string // the admin's password
}

func newConsoleWard(t *testing.T) *consoleWard {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "bedside.db"), store.Options{})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	w := &consoleWard{url: "http://" + ln.Addr().String(), st: st}
	web, err := fs.Sub(assets.Web, "web")
	require.NoError(t, err)
	w.srv, err = server.New(server.Config{Store: st, Web: web, BaseURL: w.url})
	require.NoError(t, err)
	files, err := fs.Sub(assets.Console, "console")
	require.NoError(t, err)
	con, err := console.New(console.Config{Store: st, Files: files, Hub: w.srv, BaseURL: w.url})
	require.NoError(t, err)
	mux := http.NewServeMux()
	mux.Handle("/console/", con.Handler())
	mux.Handle("/", w.srv.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() {
		w.srv.Close()
		_ = hs.Close()
		_ = st.Close()
	})
	w.admin, err = console.AddUser(ctx, st, "head.nurse", store.RoleAdmin, nil, rand.Reader)
	require.NoError(t, err)
	return w
}

// consoleBrowser starts a headless Chromium with a fresh profile and returns its first tab.
func consoleBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := append(slices.Clone(chromedp.DefaultExecAllocatorOptions[:]),
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
		chromedp.Flag("accept-lang", "en-US"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Do starts the browser and must not carry a timeout.
	require.NoError(t, chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)))
	var lines []string
	var mu sync.Mutex
	go func() {
		for m, err := range chromedp.Console(ctx) {
			if err != nil {
				return
			}
			mu.Lock()
			lines = append(lines, m.String())
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		if t.Failed() {
			mu.Lock()
			t.Logf("page console:\n%s", strings.Join(lines, "\n"))
			mu.Unlock()
		}
	})
	return ctx
}

func consoleDo(t *testing.T, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, consoleWait)
	defer cancel()
	require.NoError(t, chromedp.Do(ctx, actions...))
}

func consoleEval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, consoleWait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	require.NoError(t, err)
	return v
}

func consoleText(t *testing.T, ctx context.Context, css string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(ctx, consoleWait)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(css)))
	require.NoError(t, err)
	return strings.TrimSpace(s)
}

// consoleShot saves a full-page screenshot to $BEDSIDE_E2E_SHOTS/name.png when that variable
// names a directory, for people to look at; nothing compares pictures.
func consoleShot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("BEDSIDE_E2E_SHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, consoleWait)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	path := filepath.Join(dir, name+".png")
	require.NoError(t, os.WriteFile(path, png, 0o644))
	t.Logf("screenshot: %s", path)
}

// consolePhoto writes a JPEG family photo to a file and returns its path.
func consolePhoto(t *testing.T) string {
	img := image.NewRGBA(image.Rect(0, 0, 900, 700))
	for y := 0; y < 700; y++ {
		for x := 0; x < 900; x++ {
			img.Set(x, y, color.RGBA{uint8(80 + x/8), uint8(120 + y/10), 170, 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, nil))
	path := filepath.Join(t.TempDir(), "anna.jpg")
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o600))
	return path
}

// consoleFamilyState waits until the family page in ctx shows state.
func consoleFamilyState(t *testing.T, ctx context.Context, state string) {
	t.Helper()
	consoleDo(t, ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-state="`+state+`"]`)))
}

// A nurse does a patient's whole stay in the console, and the family page follows: the link
// works, stops when revoked, and a fresh link stops at discharge.
func TestConsoleWholeStay(t *testing.T) {
	w := newConsoleWard(t)
	ctx := consoleBrowser(t)
	css := func(s string) chromedp.CSS { return chromedp.CSS(s) }

	// Logged out: the login page.
	consoleDo(t, ctx, chromedp.Navigate(w.url+"/console/"), chromedp.WaitVisible(css("#login-form")))
	consoleShot(t, ctx, "console-login")
	consoleDo(t, ctx,
		chromedp.SendKeys(css("#name"), "head.nurse"),
		chromedp.SendKeys(css("#password"), w.admin),
		chromedp.Click(css("#login")),
		chromedp.WaitVisible(css("#new-ward")))

	// A ward and a bed.
	consoleDo(t, ctx,
		chromedp.SendKeys(css("#ward-name"), "Cardiology"),
		chromedp.Click(css("#create-ward")),
		chromedp.WaitVisible(css("#new-bed")),
		chromedp.SendKeys(css("#bed-name"), "12"),
		chromedp.Click(css("#create-bed")),
		chromedp.WaitVisible(css(`a[data-bed="12"]`)))
	assert.Equal(t, "Bed added.", consoleText(t, ctx, "#ok"))
	consoleShot(t, ctx, "console-ward")

	// Admit a patient.
	consoleDo(t, ctx,
		chromedp.Click(css(`a[data-bed="12"]`)),
		chromedp.WaitVisible(css("#admit-form")))
	consoleShot(t, ctx, "console-bed-free")
	consoleDo(t, ctx,
		chromedp.SendKeys(css("#first-name"), "Maria"),
		chromedp.Click(css("#admit")),
		chromedp.WaitVisible(css("#patient-name")))
	assert.Equal(t, "Maria", consoleText(t, ctx, "#patient-name"))

	// A contact with a photo.
	consoleDo(t, ctx,
		chromedp.Click(css("details.addform summary")),
		chromedp.WaitVisible(css("#contact-name")),
		chromedp.SendKeys(css("#contact-name"), "Anna"),
		chromedp.SendKeys(css("#contact-relation"), "daughter"),
		chromedp.SetUploadFiles(css("#contact-photo"), []string{consolePhoto(t)}),
		chromedp.Click(css("#add-contact")),
		chromedp.WaitVisible(css("#contact-title")),
		chromedp.WaitVisible(css("#contact-photo-img")))
	assert.Equal(t, "Anna", consoleText(t, ctx, "#contact-title"))
	assert.Equal(t, 512, consoleEval[int](t, ctx, `new Promise(r => { const i = document.getElementById('contact-photo-img'); i.complete ? r(i.naturalWidth) : i.onload = () => r(i.naturalWidth); })`))

	// Its family link, in a second browser context: the family page opens.
	consoleDo(t, ctx, chromedp.Click(css("#new-link-button")), chromedp.WaitVisible(css("#link-url")))
	link := consoleEval[string](t, ctx, `document.getElementById('link-url').value`)
	require.True(t, strings.HasPrefix(link, w.url+"/j/"), link)
	assert.Contains(t, consoleEval[string](t, ctx, `document.getElementById('link-message').value`), "Hello Anna")
	consoleShot(t, ctx, "console-contact-link")
	fam := consoleBrowser(t) // a browser of its own: nothing shared with the nurse's
	consoleDo(t, fam, chromedp.Navigate(link), chromedp.WaitVisible(css(`body[data-conn="open"]`)))
	consoleFamilyState(t, fam, "idle")

	// Revoke it: the open page is told at once, and the link refuses a fresh visit.
	consoleEval[bool](t, ctx, `(window.confirm = () => true, true)`)
	consoleDo(t, ctx, chromedp.Click(css("[data-revoke-link]")), chromedp.WaitVisible(css("#ok")))
	assert.Equal(t, "Link stopped.", consoleText(t, ctx, "#ok"))
	assert.Equal(t, "revoked", consoleEval[string](t, ctx, `document.querySelector('[data-link-state]').dataset.linkState`))
	consoleFamilyState(t, fam, "error")
	consoleDo(t, fam, chromedp.Navigate(link))
	consoleFamilyState(t, fam, "error")

	// A fresh link works again...
	consoleDo(t, ctx, chromedp.Click(css("#new-link-button")), chromedp.WaitVisible(css("#link-url")))
	link2 := consoleEval[string](t, ctx, `document.getElementById('link-url').value`)
	require.NotEqual(t, link, link2)
	consoleDo(t, fam, chromedp.Navigate(link2), chromedp.WaitVisible(css(`body[data-conn="open"]`)))
	consoleFamilyState(t, fam, "idle")

	// ...until the discharge, confirmed on a page that names the patient and the bed.
	consoleDo(t, ctx,
		chromedp.Click(css(".crumbs a:last-of-type")),
		chromedp.WaitVisible(css("#discharge")),
		chromedp.Click(css("#discharge")),
		chromedp.WaitVisible(css("#confirm-discharge")))
	assert.Equal(t, "Discharge Maria from Cardiology, bed 12?", consoleText(t, ctx, "#discharge-question"))
	consoleShot(t, ctx, "console-discharge-confirm")
	consoleDo(t, ctx, chromedp.Click(css("#confirm-discharge")), chromedp.WaitVisible(css("#admit-form")))
	assert.Contains(t, consoleText(t, ctx, "#ok"), "Patient discharged")
	consoleFamilyState(t, fam, "error")
	consoleDo(t, fam, chromedp.Navigate(link2))
	consoleFamilyState(t, fam, "error")

	// The audit log has it all.
	consoleDo(t, ctx, chromedp.Navigate(w.url+"/console/audit"), chromedp.WaitVisible(css("#audit")))
	audit := consoleText(t, ctx, "#audit")
	for _, s := range []string{"logged in", "created a ward", "added a bed", "admitted a patient", "added a family contact",
		"made a family link", "revoked a family link", "discharged a patient"} {
		assert.Contains(t, audit, s)
	}
	consoleShot(t, ctx, "console-audit")

	// An account for a nurse of the ward, with a one-time password.
	consoleDo(t, ctx, chromedp.Navigate(w.url+"/console/staff"), chromedp.WaitVisible(css("#add-staff")),
		chromedp.SendKeys(css(`#add-staff input[name="name"]`), "giulia"),
		chromedp.Click(css(`#add-staff input[name="ward"]`)),
		chromedp.Click(css(`#add-staff button`)),
		chromedp.WaitVisible(css("#one-time-password")))
	assert.Len(t, consoleText(t, ctx, "#one-time-password"), 19)
	consoleShot(t, ctx, "console-staff")
}
