package e2e

import (
	"bedside/internal/testkit"
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"bedside/call/media"
)

// benchPeerProc is bedside-peer running as a separate process, its stdout kept.
type benchPeerProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	out  []string
	done chan struct{}
}

// startBenchPeer builds cmd/bedside-peer into dir and starts it with args.
func startBenchPeer(tb testing.TB, dir string, args ...string) *benchPeerProc {
	tb.Helper()
	return runBenchPeer(tb, buildBenchPeer(tb, dir), args...)
}

// buildBenchPeer builds cmd/bedside-peer into dir and returns the binary's path.
func buildBenchPeer(tb testing.TB, dir string) string {
	tb.Helper()
	bin := filepath.Join(dir, "bedside-peer")
	build := exec.Command("go", "build", "-o", bin, "bedside/cmd/bedside-peer")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("go build bedside-peer: %v\n%s", err, out)
	}
	return bin
}

// runBenchPeer starts the bedside-peer binary bin with args; it stops with the test.
func runBenchPeer(tb testing.TB, bin string, args ...string) *benchPeerProc {
	tb.Helper()
	p := &benchPeerProc{cmd: exec.Command(bin, args...), done: make(chan struct{})}
	stdout, err := p.cmd.StdoutPipe()
	require.NoError(tb, err)
	p.cmd.Stderr = os.Stderr
	require.NoError(tb, p.cmd.Start())
	go func() {
		defer close(p.done)
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			p.mu.Lock()
			p.out = append(p.out, s.Text())
			p.mu.Unlock()
		}
	}()
	tb.Cleanup(func() { p.stop(tb) })
	return p
}

// stop asks the peer to end (SIGINT, so that it writes its profile) and waits for it.
func (p *benchPeerProc) stop(tb testing.TB) {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
	}
	if err := p.cmd.Wait(); err != nil {
		tb.Logf("bedside-peer: %v", err)
	}
}

// last returns the newest output line that starts with prefix.
func (p *benchPeerProc) last(prefix string) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := len(p.out) - 1; i >= 0; i-- {
		if strings.HasPrefix(p.out[i], prefix) {
			return p.out[i]
		}
	}
	return ""
}

// statIn reads key=N from one of bedside-peer's stats lines; -1 when absent.
func statIn(line, key string) int64 {
	m := regexp.MustCompile(` ` + regexp.QuoteMeta(key) + `=(\d+)\b`).FindStringSubmatch(line)
	if m == nil {
		return -1
	}
	n, _ := strconv.ParseInt(m[1], 10, 64)
	return n
}

// benchPageVideo is what the family page's call has received and sent so far.
type benchPageVideo struct {
	FramesDecoded int64 `json:"framesDecoded"`
	FramesEncoded int64 `json:"framesEncoded"`
	Width         int64 `json:"width"`
	Height        int64 `json:"height"`
	SentWidth     int64 `json:"sentWidth"`
	SentHeight    int64 `json:"sentHeight"`
	// What each end asked of the other: keyframes (PLI) and re-sends (NACK), and the packets
	// the page lost of the peer's video.
	PLIsFromPeer  int64 `json:"plisFromPeer"`
	NACKsFromPeer int64 `json:"nacksFromPeer"`
	PLIsToPeer    int64 `json:"plisToPeer"`
	NACKsToPeer   int64 `json:"nacksToPeer"`
	LostFromPeer  int64 `json:"lostFromPeer"`
}

const benchPageVideoJS = `(async () => {
  const pc = window.bedside && window.bedside.pc();
  const out = { framesDecoded: 0, framesEncoded: 0, width: 0, height: 0, sentWidth: 0, sentHeight: 0,
    plisFromPeer: 0, nacksFromPeer: 0, plisToPeer: 0, nacksToPeer: 0, lostFromPeer: 0 };
  if (!pc) return out;
  (await pc.getStats()).forEach((s) => {
    if (s.kind !== 'video') return;
    if (s.type === 'inbound-rtp') {
      out.framesDecoded = s.framesDecoded || 0;
      out.width = s.frameWidth || 0;
      out.height = s.frameHeight || 0;
      out.plisToPeer = s.pliCount || 0;
      out.nacksToPeer = s.nackCount || 0;
      out.lostFromPeer = s.packetsLost || 0;
    }
    if (s.type === 'outbound-rtp') {
      out.framesEncoded = s.framesEncoded || 0;
      out.sentWidth = s.frameWidth || 0;
      out.sentHeight = s.frameHeight || 0;
      out.plisFromPeer = s.pliCount || 0;
      out.nacksFromPeer = s.nackCount || 0;
    }
  });
  return out;
})()`

// BenchmarkCallCPU measures what a 30 s two-way 640x480 30 fps call costs: the CPU (% of one
// core, from /proc/PID/stat) and resident memory of bedside-peer, run as its own process and
// sending the Y4M clip that WriteY4M makes of the test pattern, beside the CPU and memory of
// every process of the headless Chromium at the other end, whose fake camera plays the same
// clip (--use-file-for-fake-video-capture). The peer writes a CPU profile; the benchmark
// prints its top entries, to say where the Go side's time goes.
func BenchmarkCallCPU(b *testing.B) {
	const (
		window = 30 * time.Second
		idle   = 5 * time.Second
	)
	dir := b.TempDir()
	clip := filepath.Join(dir, "clip.y4m")
	f, err := os.Create(clip)
	require.NoError(b, err)
	require.NoError(b, media.WriteY4M(f, 90, 640, 480, 30))
	require.NoError(b, f.Close())
	profile := filepath.Join(dir, "peer.pprof")

	w := newWard(b, withConfig(unlimited))
	peer := startBenchPeer(b, dir, "-server", w.url, "-pair", w.demo.PairingCode, "-data", filepath.Join(dir, "peer"),
		"-media", "file:"+clip, "-auto-answer", "-loopback", "-stats-every", "1s", "-cpuprofile", profile)
	testkit.Poll(b, "bedside-peer signs in", 50*time.Millisecond, func() bool { return peer.last("ready") != "" })
	pid := peer.cmd.Process.Pid

	fam := newBrowser(b, fakeVideo(clip))
	do(b, fam, chromedp.Navigate(w.demo.FamilyURL), chromedp.WaitEnabled(testID("call")))
	chromePID := chromedp.FromContext(fam).Browser.Process().Pid

	// Before the call: the peer already encodes its picture (its Local runs from the start).
	var idleUse, chromeIdle benchUsage
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); idleUse = benchMeasure(idle, []int{pid}, nil) }()
	go func() { defer wg.Done(); chromeIdle = benchMeasure(idle, nil, []int{chromePID}) }()
	wg.Wait()

	b.ResetTimer()
	eval[bool](b, fam, `(document.getElementById('call').click(), true)`)
	do(b, fam, chromedp.WaitVisible(chromedp.CSS(`body[data-state="in-call"]`)))
	testkit.Poll(b, "both ends decode video", 100*time.Millisecond, func() bool {
		v := eval[benchPageVideo](b, fam, benchPageVideoJS)
		return v.FramesDecoded > 30 && statIn(peer.last("stats "), "frames") > 30
	})
	time.Sleep(2 * time.Second) // past the start-up of both encoders' rate control

	pageBefore := eval[benchPageVideo](b, fam, benchPageVideoJS)
	peerBefore := peer.last("stats ")
	var peerUse, chromeUse benchUsage
	wg.Add(2)
	go func() { defer wg.Done(); peerUse = benchMeasure(window, []int{pid}, nil) }()
	go func() { defer wg.Done(); chromeUse = benchMeasure(window, nil, []int{chromePID}) }()
	wg.Wait()
	pageAfter := eval[benchPageVideo](b, fam, benchPageVideoJS)
	peerAfter := peer.last("stats ")
	b.StopTimer()

	eval[bool](b, fam, `(document.getElementById('hangup').click(), true)`)
	do(b, fam, chromedp.WaitVisible(chromedp.CSS(`body[data-state="ended"]`)))
	peer.stop(b)

	secs := peerUse.elapsed.Seconds()
	rate := func(before, after int64) float64 { return float64(after-before) / secs }
	pageFPS := rate(pageBefore.FramesDecoded, pageAfter.FramesDecoded)
	pageSentFPS := rate(pageBefore.FramesEncoded, pageAfter.FramesEncoded)
	peerFPS := rate(statIn(peerBefore, "frames"), statIn(peerAfter, "frames"))
	peerSentFPS := rate(statIn(peerBefore, "sent_frames"), statIn(peerAfter, "sent_frames"))
	const mib = 1 << 20
	b.ReportMetric(peerUse.cpuPct, "go-cpu-%")
	b.ReportMetric(float64(peerUse.rssMax)/mib, "go-rss-MiB")
	b.ReportMetric(float64(peerUse.hwm)/mib, "go-hwm-MiB")
	b.ReportMetric(chromeUse.cpuPct, "chromium-cpu-%")
	b.ReportMetric(float64(chromeUse.pssMax)/mib, "chromium-pss-MiB")
	b.ReportMetric(peerFPS, "go-recv-fps")
	b.ReportMetric(pageFPS, "chromium-recv-fps")

	var sb strings.Builder
	fmt.Fprintf(&sb, "BenchmarkCallCPU: a %.0f s two-way call, 640x480 at 30 fps, the same Y4M clip on both sides (loopback, 2 cores):\n", secs)
	fmt.Fprintf(&sb, "  %-38s %7s %8s %8s %8s %8s %8s\n", "", "CPU %", "RSS MiB", "PSS MiB", "peak MiB", "recv fps", "sent fps")
	row := func(name string, u benchUsage, peak string, recv, sent float64) {
		fmt.Fprintf(&sb, "  %-38s %7.1f %8.1f %8.1f %8s %8.1f %8.1f\n", name, u.cpuPct,
			float64(u.rssMax)/mib, float64(u.pssMax)/mib, peak, recv, sent)
	}
	row("bedside-peer (Go engine), in the call", peerUse, fmt.Sprintf("%.1f", float64(peerUse.hwm)/mib), peerFPS, peerSentFPS)
	row(fmt.Sprintf("Chromium (%d processes), in the call", chromeUse.procsEnd), chromeUse, "-", pageFPS, pageSentFPS)
	idleRow := func(name string, u benchUsage) {
		fmt.Fprintf(&sb, "  %-38s %7.1f %8.1f %8.1f\n", name, u.cpuPct, float64(u.rssMax)/mib, float64(u.pssMax)/mib)
	}
	idleRow("bedside-peer before the call", idleUse)
	idleRow("Chromium before the call", chromeIdle)
	fmt.Fprintf(&sb, "  Chromium CPU %% in the call by process:")
	kinds := make([]string, 0, len(chromeUse.byKind))
	for k := range chromeUse.byKind {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, k := range kinds {
		fmt.Fprintf(&sb, " %s %.1f;", k, chromeUse.byKind[k])
	}
	fmt.Fprintf(&sb, "\n  Chromium sends %dx%d at the start of the window, %dx%d at its end; it receives %dx%d\n",
		pageBefore.SentWidth, pageBefore.SentHeight, pageAfter.SentWidth, pageAfter.SentHeight, pageAfter.Width, pageAfter.Height)
	d := func(f func(v benchPageVideo) int64) int64 { return f(pageAfter) - f(pageBefore) }
	fmt.Fprintf(&sb, "  in the window, Chromium got %d PLIs and %d NACKs from the peer, sent it %d PLIs and %d NACKs, lost %d of its packets\n",
		d(func(v benchPageVideo) int64 { return v.PLIsFromPeer }), d(func(v benchPageVideo) int64 { return v.NACKsFromPeer }),
		d(func(v benchPageVideo) int64 { return v.PLIsToPeer }), d(func(v benchPageVideo) int64 { return v.NACKsToPeer }),
		d(func(v benchPageVideo) int64 { return v.LostFromPeer }))
	fmt.Fprintf(&sb, "  peer at the start: %s\n  peer at the end:   %s\n", peerBefore, peerAfter)
	fmt.Print(sb.String())

	for _, mode := range [][]string{{"-top", "-nodecount=18"}, {"-top", "-cum", "-nodecount=30"}} {
		args := append([]string{"tool", "pprof"}, mode...)
		out, err := exec.Command("go", append(args, filepath.Join(dir, "bedside-peer"), profile)...).CombinedOutput()
		if err != nil {
			b.Logf("go tool pprof: %v\n%s", err, out)
			continue
		}
		fmt.Printf("bedside-peer CPU profile of the whole run (go tool pprof %s):\n%s", strings.Join(mode, " "), out)
	}
}
