package main

import (
	"bedside/internal/testkit"
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/internal/browsertest"
	"bedside/server"
	"bedside/server/store"
	"bedside/server/wardtest"
)

// guard bounds every wait of the kiosk test, so that a broken piece fails instead of hanging.
// It is never a timing assertion.
const guard = 90 * time.Second

// kioskRig is the real kiosk binary on a virtual display, paired to a real ward server, and a
// headless Chromium with a fake camera for the family.
type kioskRig struct {
	display string
	ward    testWard
	page    context.Context
	log     *lockedBuffer
}

// requireKioskTools fails the test when the tools of a real kiosk run are missing: a test that
// cannot run fails, it does not skip.
func requireKioskTools(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"Xvfb", "import", "xdotool", "/usr/bin/chromium"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("%s is not installed (make deps-test installs it)", tool)
		}
	}
}

// startKioskRig starts Xvfb, a ward, the kiosk (-media test, with -auto-answer when asked) and
// Chromium on the family link, and waits until the page can call the kiosk.
func startKioskRig(t *testing.T, autoAnswer bool) *kioskRig {
	requireKioskTools(t)
	bin := buildKiosk(t)
	r := &kioskRig{ward: startWard(t), display: startXvfb(t)}
	ctx, cancelBrowser := context.WithCancel(browsertest.Start(t, familyPhone))
	t.Cleanup(cancelBrowser)
	r.page = ctx

	args := []string{"-server", r.ward.url, "-data", t.TempDir(), "-media", "test", "-pair", r.ward.demo.PairingCode}
	if autoAnswer {
		args = append(args, "-auto-answer")
	}
	r.log, _ = launchKiosk(t, bin, r.display, args, cancelBrowser)
	browsertest.Do(t, ctx, chromedp.Navigate(r.ward.demo.FamilyURL))
	// The call button is enabled once the kiosk is paired and online.
	browsertest.Do(t, ctx, chromedp.WaitEnabled(`[data-testid="call"]`))
	return r
}

// launchKiosk runs the kiosk binary on display with args until the test ends or stop is called
// (SIGTERM), and returns its log. A kiosk that dies by itself fails the test, with its log, and
// calls onDeath.
func launchKiosk(t *testing.T, bin, display string, args []string, onDeath func()) (log *lockedBuffer, stop func()) {
	t.Helper()
	log = &lockedBuffer{}
	// BEDSIDE_KIOSK_FLAGS adds flags for diagnostics, e.g. "-cpuprofile /tmp/kiosk.prof".
	args = append(args, strings.Fields(os.Getenv("BEDSIDE_KIOSK_FLAGS"))...)
	args = append(args, "-no-mdns") // nothing multicast on the machine's network
	kiosk := exec.Command(bin, args...)
	kiosk.Env = append(os.Environ(), "DISPLAY="+display, "XDG_CONFIG_HOME="+t.TempDir(), "LANG=en_US.UTF-8")
	kiosk.Stdout, kiosk.Stderr = log, log
	require.NoError(t, kiosk.Start())
	exited := make(chan error, 1)
	go func() { exited <- kiosk.Wait() }()
	stopping := make(chan struct{})
	var stopOnce sync.Once
	stop = func() {
		stopOnce.Do(func() {
			close(stopping)
			_ = kiosk.Process.Signal(syscall.SIGTERM) // the kiosk quits cleanly on SIGTERM
			select {
			case <-exited:
			case <-time.After(10 * time.Second):
				_ = kiosk.Process.Kill()
				<-exited
			}
		})
	}
	t.Cleanup(func() {
		stop()
		if t.Failed() {
			t.Logf("kiosk log:\n%s", log.String())
		}
	})
	go func() { // a kiosk that dies fails the test at once, with its log
		select {
		case err := <-exited:
			exited <- err
			select {
			case <-stopping:
			default:
				t.Errorf("the kiosk exited: %v", err)
				if onDeath != nil {
					onDeath()
				}
			}
		case <-stopping:
		}
	}()
	return log, stop
}

// pageDecodesKiosk waits until the family page has decoded the kiosk's test picture.
func (r *kioskRig) pageDecodesKiosk(t *testing.T) {
	t.Helper()
	var in *videoStats
	testkit.Eventually(t, "the page decodes the kiosk's video", func() bool {
		ectx, cancel := context.WithTimeout(r.page, guard)
		defer cancel()
		v, err := chromedp.Run(ectx, chromedp.Evaluate[*videoStats](`(async () => {
			const pc = window.bedside && window.bedside.pc();
			if (!pc) return null;
			let out = {framesDecoded: 0, frameWidth: 0};
			(await pc.getStats()).forEach((s) => {
				if (s.type === 'inbound-rtp' && s.kind === 'video') {
					out = {framesDecoded: s.framesDecoded || 0, frameWidth: s.frameWidth || 0};
				}
			});
			return out;
		})()`, chromedp.EvalAwaitPromise))
		in = v
		return err == nil && v != nil && v.FramesDecoded > 30
	})
	assert.Equal(t, int64(640), in.FrameWidth, "the kiosk sends its 640-wide test picture")
}

// kioskVideoMoves waits until the middle of the kiosk's screen (the family's video, away from
// the duration and the self-view) changes from one second to the next.
func (r *kioskRig) kioskVideoMoves(t *testing.T) {
	t.Helper()
	var moved float64
	testkit.Eventually(t, "the kiosk's remote video moves", func() bool {
		a := grab(t, r.display)
		time.Sleep(time.Second)
		b := grab(t, r.display)
		moved = changedFraction(a, b)
		return moved > 0.01
	})
	t.Logf("%.1f%% of the video region changed in one second", 100*moved)
}

// logVideoFigures waits for the kiosk's per-call video figures and prints them (no assertion).
func (r *kioskRig) logVideoFigures(t *testing.T) {
	t.Helper()
	testkit.Eventually(t, "the kiosk logs the call's video figures", func() bool {
		return strings.Contains(r.log.String(), `msg="call video"`)
	})
	for _, line := range strings.Split(r.log.String(), "\n") {
		if strings.Contains(line, `msg="call video"`) {
			t.Log(line)
		}
	}
}

// TestKioskUnderXvfb runs the real kiosk binary on a virtual display, paired to a real ward
// server with -media test -auto-answer; Chromium calls it from the family page. The browser must
// decode the kiosk's video, and two screenshots of the kiosk a second apart must show the
// family's (fake camera) video moving.
func TestKioskUnderXvfb(t *testing.T) {
	r := startKioskRig(t, true)
	browsertest.Do(t, r.page, chromedp.Click(`[data-testid="call"]`))
	// The kiosk rings, counts down five seconds and answers by itself.
	browsertest.Do(t, r.page, chromedp.WaitVisible(`body[data-state="in-call"]`))
	r.pageDecodesKiosk(t)
	r.kioskVideoMoves(t)
	if dir := os.Getenv("BEDSIDE_E2E_SHOTS"); dir != "" {
		require.NoError(t, exec.Command("import", "-display", r.display, "-window", "root",
			filepath.Join(dir, "kiosk-in-call.png")).Run())
	}
	browsertest.Do(t, r.page, chromedp.Click(`[data-testid="hangup"]`))
	browsertest.Do(t, r.page, chromedp.WaitVisible(`body[data-state="ended"]`))
	r.logVideoFigures(t)
}

// TestKioskCallsBrowserUnderXvfb taps the family tile on the real kiosk (with xdotool), the
// family answers in the page, both see each other, and the kiosk's Hang up ends the call.
func TestKioskCallsBrowserUnderXvfb(t *testing.T) {
	r := startKioskRig(t, false)
	tap := func(x, y int) {
		out, err := exec.Command("xdotool", "mousemove", "--sync", strconv.Itoa(x), strconv.Itoa(y), "click", "1").CombinedOutput()
		require.NoError(t, err, "xdotool: %s", out)
	}
	t.Setenv("DISPLAY", r.display)
	// One contact: her tile is in the middle of the 1280×800 home screen. The kiosk learns that
	// the page is online a moment after the page does, so tap until the page rings.
	testkit.Eventually(t, "the page rings after a tap on the tile", func() bool {
		tap(640, 420)
		ctx, cancel := context.WithTimeout(r.page, 3*time.Second)
		defer cancel()
		return chromedp.Do(ctx, chromedp.WaitVisible(`body[data-state="ringing"]`)) == nil
	})
	browsertest.Do(t, r.page, chromedp.Click(`[data-testid="answer"]`))
	browsertest.Do(t, r.page, chromedp.WaitVisible(`body[data-state="in-call"]`))
	r.pageDecodesKiosk(t)
	r.kioskVideoMoves(t)
	tap(1064, 731) // Hang up, bottom right
	browsertest.Do(t, r.page, chromedp.WaitVisible(`body[data-state="ended"]`))
	r.logVideoFigures(t)
}

// lockedBuffer collects a process's output for reading while it runs.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// videoStats is the family page's inbound video, from getStats().
type videoStats struct {
	FramesDecoded int64 `json:"framesDecoded"`
	FrameWidth    int64 `json:"frameWidth"`
}

// kioskTags are the build tags of the shipped kiosk: the Makefile's KIOSK_TAGS.
const kioskTags = "no_emoji"

// buildKiosk builds this package's binary, as shipped, into a temp dir.
func buildKiosk(t testing.TB) string {
	t.Helper()
	return goBuild(t, ".", "bedside")
}

// goBuild builds the command in pkg with the kiosk's tags into a temp dir.
func goBuild(t testing.TB, pkg, name string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), name)
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	out, err := exec.Command(gobin, "build", "-tags", kioskTags, "-o", bin, pkg).CombinedOutput()
	require.NoError(t, err, "go build %s: %s", pkg, out)
	return bin
}

type testWard struct {
	url  string
	demo server.DemoInfo
	st   store.Store
	srv  *server.Server
}

// startWard runs a ward server (wardtest: a real SQLite file, a loopback listener, the demo
// ward seeded).
func startWard(t testing.TB) testWard {
	t.Helper()
	w := wardtest.Start(t, wardtest.Options{})
	return testWard{url: w.URL, demo: w.Demo, st: w.Store, srv: w.Srv}
}

// startXvfb starts a 1280×800 virtual display and returns its DISPLAY once a client can draw
// on it. It picks a random free display number above 100 (low numbers are often taken, or
// half-taken, by other sessions on shared machines) and tries another when one does not answer.
func startXvfb(t testing.TB) string {
	t.Helper()
	for attempt := 0; attempt < 5; attempt++ {
		n := 100 + rand.IntN(800)
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		x := exec.Command("Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
		require.NoError(t, x.Start())
		stop := func() {
			_ = x.Process.Kill()
			_ = x.Wait()
		}
		deadline := time.Now().Add(15 * time.Second)
		var out []byte
		var err error
		for time.Now().Before(deadline) {
			if out, err = exec.Command("import", "-display", display, "-window", "root", "null:").CombinedOutput(); err == nil {
				t.Cleanup(stop)
				return display
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Logf("display %s does not answer (%v: %s); trying another", display, err, out)
		stop()
	}
	t.Fatal("cannot start a usable Xvfb")
	return ""
}

// familyPhone is the family's browser in the kiosk tests: a phone-sized window (browsertest
// starts it with the usual flags, a fresh profile and the fake camera).
var familyPhone = browsertest.Options{Width: 390, Height: 844}

// grab takes a screenshot of the whole virtual display.
func grab(t testing.TB, display string) image.Image {
	t.Helper()
	out, err := exec.Command("import", "-display", display, "-window", "root", "png:-").Output()
	require.NoError(t, err)
	img, err := png.Decode(bytes.NewReader(out))
	require.NoError(t, err)
	return img
}

// changedFraction is the fraction of pixels of the middle of the screen (the remote video,
// away from the top strip, the self-view and the buttons) that differ clearly between a and b.
func changedFraction(a, b image.Image) float64 {
	r := a.Bounds()
	w, h := r.Dx(), r.Dy()
	region := image.Rect(w/6, h/4, w*2/3, h*3/4)
	changed, total := 0, 0
	for y := region.Min.Y; y < region.Max.Y; y += 2 {
		for x := region.Min.X; x < region.Max.X; x += 2 {
			total++
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			if diff(r1, r2)+diff(g1, g2)+diff(b1, b2) > 3*0x1000 {
				changed++
			}
		}
	}
	return float64(changed) / float64(total)
}

func diff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}
