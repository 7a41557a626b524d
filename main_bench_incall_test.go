package main

import (
	"bedside/internal/testkit"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"bedside/internal/browsertest"
)

// BenchmarkInCallKioskVsChromium is issue 9's full-screen comparison: the tablet's two ways of
// being in a call on a 1280×800 screen, each talking to bedside-peer, one after the other so
// that they never share the two cores:
//
//   - kiosk: the kiosk binary, fullscreen on its own Xvfb, paired to a ward, in a call placed
//     by a bedside-peer holding the family link (640×480 test pattern at 30 fps each way);
//   - chromium: Chromium in kiosk mode (--kiosk, 1280×800, headless like every test browser)
//     showing the family page of a ward, in a call with a bedside-peer enrolled as the tablet
//     (its fake camera at 30 fps, the peer's test pattern at 30 fps);
//   - fyne-video: internal/fynevideo on its own Xvfb, a bare Fyne window painting a moving
//     640×480 picture 30 times a second: the floor under any Fyne app painting that video.
//
// Each sub-benchmark reports the CPU (% of one core) and resident memory of the measured
// process(es) (Chromium: all its processes) over the same measureFor window, the frames it
// received and drew a second, the CPU of the bedside-peer at the other end, and the one-minute
// load average at the end of the window (the machine may be shared). The parent prints the
// three side by side. It asserts nothing about speed.
//
//	go test -tags no_emoji -run '^$' -bench BenchmarkInCallKioskVsChromium -benchtime 1x .
func BenchmarkInCallKioskVsChromium(b *testing.B) {
	kiosk := buildKiosk(b)
	peer := goBuild(b, "./cmd/bedside-peer", "bedside-peer")
	floor := goBuild(b, "./internal/fynevideo", "fynevideo")
	var rows []inCallRow
	b.Run("kiosk", func(b *testing.B) {
		for b.Loop() {
			rows = append(rows, reportRow(b, kioskInCall(b, kiosk, peer)))
		}
	})
	b.Run("chromium", func(b *testing.B) {
		for b.Loop() {
			rows = append(rows, reportRow(b, chromiumInCall(b, peer)))
		}
	})
	b.Run("fyne-video", func(b *testing.B) {
		for b.Loop() {
			rows = append(rows, reportRow(b, fyneVideoFloor(b, floor)))
		}
	})
	printInCallTable(rows)
}

// settle is how long a call runs before its measuring window, past the start-up of the
// encoders' rate control and of the first redraws.
const settle = 3 * time.Second

// inCallRow is one line of BenchmarkInCallKioskVsChromium's table. A rate that cannot be told
// is -1.
type inCallRow struct {
	name     string
	cpu      float64 // % of one core over the window
	rssMB    float64 // at the end of the window, summed over the processes
	pssMB    float64 // the same, shared pages split between the processes that map them
	procs    int
	recvFPS  float64            // frames received (decoded) a second
	drawnFPS float64            // frames painted a second
	drawnBy  string             // where drawnFPS comes from
	sentFPS  float64            // frames sent a second
	peerCPU  float64            // the bedside-peer at the other end, % of one core (-1: none)
	load1    float64            // one-minute load average at the end of the window
	machine  float64            // the whole machine's busy CPU over the window, % of one core (2 cores: 200)
	threads  map[string]float64 // the subject's CPU by thread name, % of one core
}

// cpuPerFrame is the CPU time spent per frame drawn, in milliseconds: the CPU figure made
// comparable between ends that drew more or fewer frames on a loaded machine.
func (r inCallRow) cpuPerFrame() float64 {
	if r.drawnFPS <= 0 {
		return -1
	}
	return 10 * r.cpu / r.drawnFPS // r.cpu % of a second is 10·r.cpu ms
}

func reportRow(b *testing.B, r inCallRow) inCallRow {
	b.ReportMetric(r.cpu, "cpu-%")
	b.ReportMetric(r.rssMB, "rss-MB")
	b.ReportMetric(r.pssMB, "pss-MB")
	if r.drawnFPS > 0 {
		b.ReportMetric(r.cpuPerFrame(), "cpu-ms/drawn-frame")
	}
	b.ReportMetric(r.drawnFPS, "drawn-fps")
	b.ReportMetric(r.recvFPS, "recv-fps")
	b.ReportMetric(r.sentFPS, "sent-fps")
	if r.peerCPU >= 0 {
		b.ReportMetric(r.peerCPU, "peer-cpu-%")
	}
	b.ReportMetric(r.load1, "load1")
	b.ReportMetric(r.machine, "machine-cpu-%")
	return r
}

// window measures the CPU and memory of the subject and of the peer (nil: none) over the same
// measureFor, with read called just before and just after it; it returns the window's length.
func window(subject, peer []int, read func()) (row inCallRow, secs float64) {
	read()
	t0, c0, p0, m0, th0 := time.Now(), cpuTicks(subject), cpuTicks(peer), machineBusyTicks(), threadTicks(subject)
	time.Sleep(measureFor)
	c1, p1, m1, th1 := cpuTicks(subject), cpuTicks(peer), machineBusyTicks(), threadTicks(subject)
	secs = time.Since(t0).Seconds()
	read()
	row = inCallRow{cpu: float64(c1-c0) / secs, rssMB: float64(rssKB(subject)) / 1024,
		pssMB: float64(pssKB(subject)) / 1024, procs: len(subject),
		peerCPU: -1, load1: loadAverage(), machine: float64(m1-m0) / secs, threads: map[string]float64{}}
	for name, t := range th1 {
		row.threads[name] = float64(t-th0[name]) / secs
	}
	if peer != nil {
		row.peerCPU = float64(p1-p0) / secs // ticks are hundredths of a second: already a percentage
	}
	return row, secs
}

func kioskInCall(b *testing.B, kiosk, peerBin string) inCallRow {
	display, ward := startXvfb(b), startWard(b)
	cmd, out := startKiosk(b, kiosk, display, "-server", ward.url, "-data", b.TempDir(),
		"-media", "test", "-auto-answer", "-pair", ward.demo.PairingCode)
	waitLog(b, out, `msg="signaling connected"`)
	// The family's end places the call and hangs up after the window (the kiosk logs its video
	// figures when the call ends). The kiosk answers after its 5-second countdown.
	hangupAfter := settle + measureFor + 5*time.Second
	peer, peerOut := startKiosk(b, peerBin, display, "-server", ward.url, "-family-token", ward.demo.FamilyToken,
		"-dial", "patient", "-duration", hangupAfter.String(), "-stats-every", "1s")
	waitPeerVideo(b, peerOut)
	time.Sleep(settle)
	var sent [2]float64
	i := 0
	row, secs := window([]int{cmd.Process.Pid}, []int{peer.Process.Pid}, func() {
		line := lastLine(peerOut, "stats ")
		b.Logf("family's bedside-peer: %s", line)
		sent[i] = logField(line, "frames") // what the peer decoded of the kiosk's video
		i++
	})
	if strings.Contains(peerOut.String(), "call state=ended") {
		b.Fatalf("the call ended before the measuring window did:\n%s", peerOut)
	}
	row.name, row.sentFPS, row.drawnBy = "kiosk (fullscreen Fyne)", (sent[1]-sent[0])/secs, "whole call, kiosk log"
	waitLog(b, out, `msg="call video"`)
	var line string
	for _, l := range strings.Split(out.String(), "\n") {
		if strings.Contains(l, `msg="remote video ended"`) {
			b.Log(l) // the engine's side: frames decoded, lost, repaired
		}
		if strings.Contains(l, `msg="call video"`) {
			line = l
		}
	}
	b.Log(line)
	row.drawnFPS, row.recvFPS = logField(line, "drawnFPS"), -1
	if s, rec := logField(line, "seconds"), logField(line, "received"); s > 0 && rec >= 0 {
		row.recvFPS = rec / s
	}
	return row
}

// kioskScreen is Chromium as a kiosk on the tablet's 1280×800 screen; its fake camera sends 30
// frames a second, as the kiosk's test pattern does.
var kioskScreen = browsertest.Options{Width: 1280, Height: 800,
	Flags: append([]chromedp.ExecAllocatorOption{chromedp.Flag("kiosk", true)}, sending30.Flags...)}

func chromiumInCall(b *testing.B, peerBin string) inCallRow {
	ward := startWard(b)
	// Headless, Chromium needs no display; neither does bedside-peer.
	peer, peerOut := startKiosk(b, peerBin, "", "-server", ward.url, "-pair", ward.demo.PairingCode,
		"-data", b.TempDir(), "-auto-answer", "-stats-every", "1s")
	waitLog(b, peerOut, "ready device=")
	ctx := browsertest.Start(b, kioskScreen)
	browsertest.Do(b, ctx, chromedp.Navigate(ward.demo.FamilyURL))
	browsertest.Do(b, ctx, chromedp.WaitEnabled(`[data-testid="call"]`))
	browsertest.Do(b, ctx, chromedp.Click(`[data-testid="call"]`))
	browsertest.Do(b, ctx, chromedp.WaitVisible(`body[data-state="in-call"]`))
	waitPeerVideo(b, peerOut)
	testkit.Eventually(b, "the page decodes the peer's video", func() bool { return pageVideo(b, ctx).Decoded > 30 })
	time.Sleep(settle)
	browser := descendants(chromedp.FromContext(ctx).Browser.Process().Pid)
	var got [2]pageFrames
	var sent [2]int64
	i := 0
	row, secs := window(browser, []int{peer.Process.Pid}, func() {
		got[i], sent[i] = pageVideo(b, ctx), sentVideo(b, ctx).FramesSent
		b.Logf("tablet's bedside-peer: %s", lastLine(peerOut, "stats "))
		i++
	})
	row.name, row.drawnBy = fmt.Sprintf("Chromium --kiosk (%d processes)", len(browser)), "in the window, requestVideoFrameCallback"
	row.recvFPS = float64(got[1].Decoded-got[0].Decoded) / secs
	row.drawnFPS = -1
	if got[0].Presented >= 0 && got[1].Presented >= 0 {
		row.drawnFPS = float64(got[1].Presented-got[0].Presented) / secs
	}
	row.sentFPS = float64(sent[1]-sent[0]) / secs
	browsertest.Do(b, ctx, chromedp.Click(`[data-testid="hangup"]`))
	browsertest.Do(b, ctx, chromedp.WaitVisible(`body[data-state="ended"]`))
	return row
}

func fyneVideoFloor(b *testing.B, bin string) inCallRow {
	cmd, out := startKiosk(b, bin, startXvfb(b))
	waitLog(b, out, "fynevideo started")
	time.Sleep(settle)
	var ticks, drawn [2]float64
	i := 0
	row, secs := window([]int{cmd.Process.Pid}, nil, func() {
		line := lastLine(out, "fynevideo t=")
		ticks[i], drawn[i] = logField(line, "ticks"), logField(line, "drawn")
		i++
	})
	row.name, row.drawnBy = "bare Fyne window (fynevideo)", "in the window, its own count"
	row.recvFPS = (ticks[1] - ticks[0]) / secs // the frames it was offered
	row.drawnFPS = (drawn[1] - drawn[0]) / secs
	row.sentFPS = 0
	return row
}

// waitPeerVideo waits until bedside-peer's stats say it decodes the other end's video.
func waitPeerVideo(b *testing.B, peerOut *lockedBuffer) {
	b.Helper()
	testkit.Eventually(b, "bedside-peer decodes video", func() bool {
		return logField(lastLine(peerOut, "stats "), "frames") > 30
	})
}

// lastLine returns the newest complete line of out that starts with prefix, or "".
func lastLine(out *lockedBuffer, prefix string) string {
	lines := strings.Split(out.String(), "\n")
	for i := len(lines) - 2; i >= 0; i-- { // the last element is an unfinished line, or ""
		if strings.HasPrefix(lines[i], prefix) {
			return lines[i]
		}
	}
	return ""
}

// pssKB sums the proportional set sizes of pids (/proc/PID/smaps_rollup): pages shared between
// them (Chromium's processes share most of theirs) are counted once in all.
func pssKB(pids []int) int64 {
	var sum int64
	for _, pid := range pids {
		data, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(data), "\n") {
			if v, ok := strings.CutPrefix(line, "Pss:"); ok {
				kb, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
				sum += kb
			}
		}
	}
	return sum
}

// threadTicks sums the CPU time of the threads of pids by thread name (/proc/PID/task/TID), a
// trailing number made "N" so that pools add up: the kiosk's Go threads carry the binary's name,
// Mesa's software rasterizer threads are llvmpipe-N, Chromium's are named for their job. A
// thread that ends within the window takes its time with it.
func threadTicks(pids []int) map[string]int64 {
	sum := map[string]int64{}
	for _, pid := range pids {
		stats, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/[0-9]*/stat", pid))
		for _, path := range stats {
			data, err := os.ReadFile(path)
			if err != nil {
				continue
			}
			s := string(data)
			open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
			if open < 0 || closing < open {
				continue
			}
			fields := strings.Fields(s[closing+1:])
			if len(fields) < 13 {
				continue
			}
			name := strings.TrimRight(s[open+1:closing], "0123456789")
			if name != s[open+1:closing] {
				name += "N"
			}
			u, _ := strconv.ParseInt(fields[11], 10, 64)
			k, _ := strconv.ParseInt(fields[12], 10, 64)
			sum[name] += u + k
		}
	}
	return sum
}

// machineBusyTicks is the CPU time every core of the machine spent busy so far (/proc/stat:
// user, nice, system, irq and softirq; not idle, iowait or steal), in USER_HZ ticks.
func machineBusyTicks() int64 {
	data, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(data), "\n")
	f := strings.Fields(line) // cpu user nice system idle iowait irq softirq steal ...
	var busy int64
	for _, i := range []int{1, 2, 3, 6, 7} {
		if i < len(f) {
			v, _ := strconv.ParseInt(f[i], 10, 64)
			busy += v
		}
	}
	return busy
}

// loadAverage returns the one-minute load average, or -1.
func loadAverage() float64 {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return -1
	}
	f := strings.Fields(string(data))
	if len(f) == 0 {
		return -1
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return -1
	}
	return v
}

// pageFrames is what the family page has received of the peer's video: frames decoded
// (getStats) and frames its <video> presented for composition (requestVideoFrameCallback's
// presentedFrames; -1 when no frame came within a second).
type pageFrames struct {
	Decoded   int64 `json:"decoded"`
	Presented int64 `json:"presented"`
}

func pageVideo(b *testing.B, ctx context.Context) pageFrames {
	return browsertest.Eval[pageFrames](b, ctx, `(async () => {
		const out = {decoded: 0, presented: -1};
		const pc = window.bedside && window.bedside.pc();
		if (pc) (await pc.getStats()).forEach((s) => {
			if (s.type === 'inbound-rtp' && s.kind === 'video') out.decoded = s.framesDecoded || 0;
		});
		const v = document.getElementById('remote');
		if (v && v.requestVideoFrameCallback) {
			out.presented = await new Promise((resolve) => {
				const t = setTimeout(() => resolve(-1), 1000);
				v.requestVideoFrameCallback((now, m) => { clearTimeout(t); resolve(m.presentedFrames); });
			});
		}
		return out;
	})()`)
}

// topThreads lists the n busiest thread names of threads with their CPU.
func topThreads(threads map[string]float64, n int) string {
	names := make([]string, 0, len(threads))
	for name := range threads {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool { return threads[names[i]] > threads[names[j]] })
	var sb strings.Builder
	for i, name := range names {
		if i == n || threads[name] < 0.5 {
			break
		}
		fmt.Fprintf(&sb, " %s %.1f;", name, threads[name])
	}
	return sb.String()
}

func printInCallTable(rows []inCallRow) {
	var sb strings.Builder
	fmt.Fprintf(&sb, "BenchmarkInCallKioskVsChromium: in a call on a 1280x800 screen, each measured alone over %v (2 shared cores):\n", measureFor)
	fmt.Fprintf(&sb, "  %-34s %6s %7s %7s %8s %9s %8s %9s %8s %11s  %s\n", "", "CPU %", "RSS MB", "PSS MB",
		"recv fps", "drawn fps", "sent fps", "ms/drawn", "peer CPU", "machine CPU", "load1")
	na := func(v float64) string {
		if v < 0 {
			return "-"
		}
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	for _, r := range rows {
		fmt.Fprintf(&sb, "  %-34s %6.1f %7.1f %7.1f %8s %9s %8s %9s %8s %11.1f  %.2f\n", r.name, r.cpu, r.rssMB, r.pssMB,
			na(r.recvFPS), na(r.drawnFPS), na(r.sentFPS), na(r.cpuPerFrame()), na(r.peerCPU), r.machine, r.load1)
	}
	for _, r := range rows {
		fmt.Fprintf(&sb, "  drawn fps of %s: %s\n", r.name, r.drawnBy)
	}
	for _, r := range rows {
		fmt.Fprintf(&sb, "  CPU %% by thread of %s:%s\n", r.name, topThreads(r.threads, 8))
	}
	sb.WriteString("  ms/drawn is CPU time per frame drawn; peer CPU is the bedside-peer at the other end; machine CPU\n" +
		"  is every process's over the window (of 200 on 2 cores); load1 is the one-minute load average at its end.\n" +
		"  With the machine near 200 the figures are squeezed: fewer frames, less CPU. Chromium runs headless\n" +
		"  (every test browser does): it composites each frame but does not put it on an X display, which the\n" +
		"  kiosk does; on Xvfb the Fyne windows' GL is Mesa's software renderer (llvmpipe threads).\n")
	fmt.Print(sb.String())
}
