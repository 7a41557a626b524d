package main

import (
	"bedside/internal/testkit"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"bedside/internal/browsertest"
)

// The kiosk's figures for `make bench`: cold start to the home screen, CPU and memory idle on
// the home screen, and in a call with rendering beside Chromium's (the family's end of the same
// call). Each runs the real binary on Xvfb. They print figures; they assert nothing.

const measureFor = 10 * time.Second

// startKiosk runs the kiosk binary on display with args and returns it with its output.
func startKiosk(tb testing.TB, bin, display string, args ...string) (*exec.Cmd, *lockedBuffer) {
	tb.Helper()
	cmd := exec.Command(bin, append(args, "-no-mdns")...)
	cmd.Env = append(os.Environ(), "DISPLAY="+display, "XDG_CONFIG_HOME="+tb.TempDir())
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	})
	return cmd, out
}

func waitLog(tb testing.TB, out *lockedBuffer, what string) {
	tb.Helper()
	testkit.Eventually(tb, what, func() bool { return strings.Contains(out.String(), what) })
}

func BenchmarkKioskColdStart(b *testing.B) {
	bin := buildKiosk(b)
	display := startXvfb(b)
	var total time.Duration
	n := 0
	for b.Loop() {
		t0 := time.Now()
		cmd, out := startKiosk(b, bin, display, "-demo", "home")
		waitLog(b, out, `msg="kiosk started"`)
		total += time.Since(t0)
		n++
		_ = cmd.Process.Kill()
		_, _ = cmd.Process.Wait()
	}
	b.ReportMetric(float64(total.Milliseconds())/float64(n), "ms/start")
}

func BenchmarkKioskIdleHome(b *testing.B) {
	bin := buildKiosk(b)
	display := startXvfb(b)
	b.Run("demo", func(b *testing.B) {
		for b.Loop() {
			cmd, out := startKiosk(b, bin, display, "-demo", "home", "-data", b.TempDir())
			waitLog(b, out, `msg="kiosk started"`)
			time.Sleep(2 * time.Second)
			reportUsage(b, map[string][]int{"kiosk": {cmd.Process.Pid}})
		}
	})
	b.Run("paired-test-media", func(b *testing.B) {
		ward := startWard(b)
		// The reference, measured in the same seconds on a display of its own: a bare Fyne
		// window, built with the kiosk's tags. Its figures are the floor under any Fyne app here.
		floorBin, floorDisplay := goBuild(b, "./internal/fynefloor", "fynefloor"), startXvfb(b)
		for b.Loop() {
			cmd, out := startKiosk(b, bin, display, "-server", ward.url, "-data", b.TempDir(),
				"-media", "test", "-pair", ward.demo.PairingCode)
			floor, floorOut := startKiosk(b, floorBin, floorDisplay)
			waitLog(b, out, `msg="signaling connected"`)
			waitLog(b, floorOut, "fynefloor started")
			time.Sleep(2 * time.Second)
			reportUsage(b, map[string][]int{"kiosk": {cmd.Process.Pid}, "bare-fyne": {floor.Process.Pid}})
		}
	})
}

// sending30 is the family's phone for BenchmarkKioskInCall: its fake camera sends 30 frames a
// second (Chromium's default is 20).
var sending30 = browsertest.Options{Width: 390, Height: 844,
	Flags: []chromedp.ExecAllocatorOption{chromedp.Flag("use-fake-device-for-media-stream", "fps=30")}}

func BenchmarkKioskInCall(b *testing.B) {
	bin := buildKiosk(b)
	display := startXvfb(b)
	ward := startWard(b)
	for b.Loop() {
		cmd, out := startKiosk(b, bin, display, "-server", ward.url, "-data", b.TempDir(),
			"-media", "test", "-auto-answer", "-pair", ward.demo.PairingCode)
		ctx := browsertest.Start(b, sending30)
		browsertest.Do(b, ctx, chromedp.Navigate(ward.demo.FamilyURL))
		browsertest.Do(b, ctx, chromedp.WaitEnabled(`[data-testid="call"]`))
		browsertest.Do(b, ctx, chromedp.Click(`[data-testid="call"]`))
		browsertest.Do(b, ctx, chromedp.WaitVisible(`body[data-state="in-call"]`))
		time.Sleep(3 * time.Second)
		browser := chromedp.FromContext(ctx).Browser.Process().Pid
		// Measure both at once: the same ten seconds of the same call.
		sent0, t0 := sentVideo(b, ctx), time.Now()
		reportUsage(b, map[string][]int{"kiosk": {cmd.Process.Pid}, "chromium": descendants(browser)})
		sent1 := sentVideo(b, ctx)
		b.ReportMetric(float64(sent1.FramesSent-sent0.FramesSent)/time.Since(t0).Seconds(), "chromium-sent-fps")
		b.Logf("chromium sends %dx%d, quality limited by %q", sent1.FrameWidth, sent1.FrameHeight, sent1.Limit)
		browsertest.Do(b, ctx, chromedp.Click(`[data-testid="hangup"]`))
		waitLog(b, out, `msg="call video"`)
		for _, line := range strings.Split(out.String(), "\n") {
			if strings.Contains(line, `msg="remote video ended"`) {
				b.Log(line) // the engine's side: frames decoded, lost, repaired
			}
			if !strings.Contains(line, `msg="call video"`) {
				continue
			}
			b.Log(line)
			secs, rec, fps := logField(line, "seconds"), logField(line, "received"), logField(line, "drawnFPS")
			if fps >= 0 {
				b.ReportMetric(fps, "kiosk-drawn-fps")
			}
			if secs > 0 && rec >= 0 {
				b.ReportMetric(rec/secs, "kiosk-received-fps")
			}
		}
	}
}

// reportUsage measures the CPU used by each named set of pids over the same measureFor (as a
// percentage of one core) and their resident memory at the end, and reports them as
// name-cpu-% and name-rss-MB.
func reportUsage(b *testing.B, pids map[string][]int) {
	t0 := time.Now()
	c0 := map[string]int64{}
	for name, p := range pids {
		c0[name] = cpuTicks(p)
	}
	time.Sleep(measureFor)
	secs := time.Since(t0).Seconds()
	for name, p := range pids {
		b.ReportMetric(100*float64(cpuTicks(p)-c0[name])/100/secs, name+"-cpu-%") // 100 ticks per second (USER_HZ)
		b.ReportMetric(float64(rssKB(p))/1024, name+"-rss-MB")
	}
}

// cpuTicks sums utime and stime of pids from /proc.
func cpuTicks(pids []int) int64 {
	var sum int64
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fields) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(fields[11], 10, 64)
		k, _ := strconv.ParseInt(fields[12], 10, 64)
		sum += u + k
	}
	return sum
}

// rssKB sums VmRSS of pids.
func rssKB(pids []int) int64 {
	var sum int64
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(line, "VmRSS:") {
				kb, _ := strconv.ParseInt(strings.Fields(line)[1], 10, 64)
				sum += kb
			}
		}
	}
	return sum
}

// descendants returns pid and every process below it.
func descendants(pid int) []int {
	children := map[int][]int{}
	entries, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, e := range entries {
		data, err := os.ReadFile(e)
		if err != nil {
			continue
		}
		s := string(data)
		fields := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		if len(fields) < 2 {
			continue
		}
		ppid, _ := strconv.Atoi(fields[1])
		p, _ := strconv.Atoi(filepath.Base(filepath.Dir(e)))
		children[ppid] = append(children[ppid], p)
	}
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		out = append(out, children[out[i]]...)
	}
	return out
}

// logField returns the number logged as key=value in a log line, or -1.
func logField(line, key string) float64 {
	i := strings.Index(line, " "+key+"=")
	if i < 0 {
		return -1
	}
	v, err := strconv.ParseFloat(strings.Fields(line[i+len(key)+2:])[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// outboundVideo is the family page's outbound video, from getStats().
type outboundVideo struct {
	FramesSent  int64  `json:"framesSent"`
	FrameWidth  int64  `json:"frameWidth"`
	FrameHeight int64  `json:"frameHeight"`
	Limit       string `json:"limit"`
}

// sentVideo reads what the family page has sent so far.
func sentVideo(b *testing.B, ctx context.Context) outboundVideo {
	ectx, cancel := context.WithTimeout(ctx, guard)
	defer cancel()
	v, err := chromedp.Run(ectx, chromedp.Evaluate[outboundVideo](`(async () => {
		const pc = window.bedside && window.bedside.pc();
		let out = {framesSent: 0, frameWidth: 0, frameHeight: 0, limit: ''};
		if (!pc) return out;
		(await pc.getStats()).forEach((s) => {
			if (s.type === 'outbound-rtp' && s.kind === 'video') {
				out = {framesSent: s.framesSent || 0, frameWidth: s.frameWidth || 0,
					frameHeight: s.frameHeight || 0, limit: s.qualityLimitationReason || ''};
			}
		});
		return out;
	})()`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.Logf("the page's stats: %v", err)
	}
	return v
}
