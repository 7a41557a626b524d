package e2e

import (
	"context"
	"fmt"
	"image"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"bedside/assets"
	"bedside/call"
	"bedside/call/media"
	"bedside/provisioning"
	"bedside/server"
	"bedside/server/store"
)

// The benchmarks' own helpers take a testing.TB (the tests' helpers take a *testing.T).

// benchWard is a ward server for benchmarks on a real SQLite file and a loopback listener, with
// the demo ward seeded and the test-only device page of testdata/bench served from the same
// origin under /bench/ (the WebSocket endpoint checks the Origin).
type benchWard struct {
	url  string
	st   *store.SQLite
	demo server.DemoInfo
}

func newBenchWard(tb testing.TB) *benchWard {
	tb.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(tb.TempDir(), "bedside.db"), store.Options{})
	benchMust(tb, err)
	web, err := fs.Sub(assets.Web, "web")
	benchMust(tb, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	benchMust(tb, err)
	w := &benchWard{url: "http://" + ln.Addr().String(), st: st}
	srv, err := server.New(server.Config{Store: st, Web: web, BaseURL: w.url,
		LinkLookups: server.RateLimit{PerMinute: -1}, Enrollments: server.RateLimit{PerMinute: -1}})
	benchMust(tb, err)
	mux := http.NewServeMux()
	mux.Handle("GET /bench/", http.StripPrefix("/bench/", http.FileServer(http.Dir(filepath.Join("testdata", "bench")))))
	mux.Handle("/", srv.Handler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	tb.Cleanup(func() {
		srv.Close()
		_ = hs.Close()
		_ = st.Close()
	})
	w.demo, err = server.SeedDemo(ctx, st, server.DemoOptions{BaseURL: w.url})
	benchMust(tb, err)
	return w
}

// benchBed is a second bed of the demo ward with its own patient, contact, family link and
// pairing code, so that two tablets can be called side by side.
type benchBed struct {
	familyURL, pairingCode string
}

func (w *benchWard) addBed(tb testing.TB, name string) benchBed {
	tb.Helper()
	ctx := context.Background()
	bed, err := w.st.CreateBed(ctx, store.Bed{WardID: w.demo.WardID, Name: name})
	benchMust(tb, err)
	p, err := w.st.Admit(ctx, store.Patient{BedID: bed.ID, FirstName: "Bench", Language: "en", Admitted: time.Now()})
	benchMust(tb, err)
	k, err := w.st.CreateContact(ctx, store.Contact{PatientID: p.ID, Name: "Family", Relation: "son", Language: "en"})
	benchMust(tb, err)
	token, err := server.NewFamilyLink(ctx, w.st, k.ID, time.Hour, server.LinkOptions{})
	benchMust(tb, err)
	_, code, err := server.NewEnrollment(ctx, w.st, w.demo.WardID, bed.ID, time.Hour, server.EnrollmentOptions{})
	benchMust(tb, err)
	return benchBed{familyURL: server.FamilyURL(w.url, token), pairingCode: provisioning.FormatCode(code)}
}

func (w *benchWard) wsURL() string { return "ws" + strings.TrimPrefix(w.url, "http") + "/ws" }

func benchMust(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// benchWait polls cond every step until it holds; it fails the benchmark after wait.
func benchWait(tb testing.TB, what string, step time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(step)
	}
}

// benchBrowser starts a headless Chromium with the tests' flags and a fresh profile, and
// returns the context of its first tab.
func benchBrowser(tb testing.TB, extra ...chromedp.ExecAllocatorOption) context.Context {
	tb.Helper()
	opts := append(browserFlags(tb.TempDir(), "en-US"), extra...)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	tb.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// The first Run starts the browser; it must not carry a timeout (that would end it).
	benchMust(tb, chromedp.Do(ctx, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile)))
	return ctx
}

// benchEval evaluates a JavaScript expression (awaiting a promise) in the tab.
func benchEval[T any](tb testing.TB, ctx context.Context, expr string) T {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.Fatalf("evaluating %.60q: %v", expr, err)
	}
	return v
}

func benchDo(tb testing.TB, ctx context.Context, actions ...chromedp.Action[chromedp.Void]) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	benchMust(tb, chromedp.Do(ctx, actions...))
}

// benchGoTablet is the Go call engine enrolled as a bed's tablet, answering by itself and
// sending the test pattern and tone (640x480, 30 fps).
type benchGoTablet struct {
	phone  *call.Phone
	frames atomic.Int64
}

func newBenchGoTablet(tb testing.TB, w *benchWard, pairingCode string) *benchGoTablet {
	tb.Helper()
	id, err := provisioning.LoadOrCreateIdentity(filepath.Join(tb.TempDir(), "identity"))
	benchMust(tb, err)
	_, err = provisioning.Enroll(context.Background(), w.url, pairingCode, id, "go tablet", "bench")
	benchMust(tb, err)
	ctx, cancel := context.WithCancel(context.Background())
	local, err := media.NewTest(media.TestOptions{})
	benchMust(tb, err)
	benchMust(tb, local.Start(ctx))
	t := &benchGoTablet{}
	t.phone, err = call.New(call.Config{ServerURL: w.wsURL(), Signer: id, Media: local, AutoAnswer: true,
		LoopbackOnly: true, RemoteVideo: media.VideoSinkFunc(func(image.Image) { t.frames.Add(1) })})
	benchMust(tb, err)
	ran := make(chan error, 1)
	go func() { ran <- t.phone.Run(ctx) }()
	go func() {
		for range t.phone.Events() { // the phone answers by itself; nothing to do
		}
	}()
	tb.Cleanup(func() {
		cancel()
		<-ran
		_ = local.Close()
	})
	benchWait(tb, "the Go tablet connects", 20*time.Millisecond, t.phone.Connected)
	return t
}

// benchPercentiles returns the p50 and p95 (nearest rank) of ds, in milliseconds.
func benchPercentiles(ds []time.Duration) (p50, p95 float64) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(p float64) float64 {
		i := int(p*float64(len(s))+0.999999) - 1
		return float64(s[min(max(i, 0), len(s)-1)].Microseconds()) / 1000
	}
	return at(0.50), at(0.95)
}

// benchProc is what /proc says of one process.
type benchProc struct {
	pid, ppid int
	cpu       time.Duration // user + system time so far
	rss, hwm  int64         // resident set now and at its peak, bytes
	pss       int64         // proportional set: shared pages split between their users, bytes
	name      string
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat (100 on Linux).
const clockTicks = 100

// readBenchProc reads /proc/PID/stat and /proc/PID/status.
func readBenchProc(pid int) (benchProc, error) {
	p := benchProc{pid: pid}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, err
	}
	s := string(stat)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return p, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	p.name = s[open+1 : closing]
	f := strings.Fields(s[closing+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return p, fmt.Errorf("short /proc/%d/stat", pid)
	}
	p.ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	p.cpu = time.Duration(ut+st) * time.Second / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			p.rss = kb << 10
		case "VmHWM":
			p.hwm = kb << 10
		}
	}
	if rollup, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
		for _, line := range strings.Split(string(rollup), "\n") {
			if v, ok := strings.CutPrefix(line, "Pss:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				p.pss = kb << 10
			}
		}
	}
	return p, nil
}

// benchTree reads root and every process descended from it.
func benchTree(root int) map[int]benchProc {
	all := map[int]benchProc{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, err := readBenchProc(pid); err == nil {
			all[pid] = p
		}
	}
	out := map[int]benchProc{}
	for pid, p := range all {
		for q, ok := p, true; ok; q, ok = all[q.ppid] {
			if q.pid == root {
				out[pid] = p
				break
			}
			if q.ppid == q.pid || q.ppid == 0 {
				break
			}
		}
	}
	return out
}
