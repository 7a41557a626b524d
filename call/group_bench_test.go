package call

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"bedside/call/calltest"
	"bedside/call/media"
	"bedside/call/signal"
)

// BenchmarkGroupCallTablet measures the tablet's side of a group call with 1, 2 and 4 family
// members: the tablet's engine runs in this process (640x480 test pattern at 30 fps, as the
// kiosk's -media test), each family member is a bedside-peer process of its own (-auto-answer,
// rung in with Add), all on loopback through calltest's hub. Over the same window it reports
// the process's CPU (% of one core: the tablet's engine, the hub is negligible), its resident
// memory, the tablet's upload (all pairs), the frames a second it receives from each member
// (mean), and its encoder's CPU (ms of VP8 encoding a second) and frames encoded a second:
// encoding once, those two must stay flat as members are added, while the upload grows with
// them (encoder-ms/frame is the cost of one frame at the step the link estimates allow, the
// step column; a loaded machine's delays make congestion control step down). Chromium in the
// same mesh, beside the tablet as bedside-peer, is e2e's BenchmarkGroupCallChromium (it needs
// the ward server and the family page).
//
//	go test ./call -run '^$' -bench BenchmarkGroupCallTablet -benchtime 1x
func BenchmarkGroupCallTablet(b *testing.B) {
	peerBin := filepath.Join(b.TempDir(), "bedside-peer")
	if out, err := exec.Command("go", "build", "-o", peerBin, "../cmd/bedside-peer").CombinedOutput(); err != nil {
		b.Fatalf("build bedside-peer: %v\n%s", err, out)
	}
	var rows []string
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("family-%d", n), func(b *testing.B) {
			for b.Loop() {
				rows = append(rows, groupBenchOnce(b, peerBin, n))
			}
		})
	}
	fmt.Println("family  cpu-%  rss-MB  upload-kbit/s  recv-fps  encoder-ms/s  encoder-cpu-ms/s  encoded-fps  ms/frame  step        load1")
	for _, r := range rows {
		fmt.Println(r)
	}
}

func groupBenchOnce(b *testing.B, peerBin string, n int) string {
	const settle, window = 3 * time.Second, 5 * time.Second
	signer := newTestSigner(b, "tablet-1")
	family := map[string]signal.Party{}
	for i := range n {
		id := fmt.Sprintf("f%d", i)
		family[id+"-token"] = signal.Party{ID: id, Name: id}
	}
	hub, err := calltest.NewHub(calltest.HubConfig{Device: "tablet-1",
		DeviceKey: signer.key.Public().(ed25519.PublicKey), Family: family, GroupCalls: true})
	if err != nil {
		b.Fatal(err)
	}
	defer hub.Close()
	local, err := media.NewTest(media.TestOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if err := local.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer local.Close()
	sinks := newPeerSinks()
	dev, err := New(Config{ServerURL: hub.URL(), Signer: signer, Media: local, RemoteFor: sinks.For,
		LoopbackOnly: true, MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ran := make(chan struct{})
	go func() { defer close(ran); _ = dev.Run(ctx) }()
	defer func() { cancel(); <-ran }()

	server := "http://" + strings.TrimSuffix(strings.TrimPrefix(hub.URL(), "ws://"), signal.Path)
	for i := range n {
		cmd := exec.CommandContext(ctx, peerBin, "-server", server, "-family-token", fmt.Sprintf("f%d-token", i),
			"-auto-answer", "-loopback", "-stats-every", "0")
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		defer func() { cancel(); _ = cmd.Wait() }()
		ready := make(chan struct{})
		go func() {
			sc := bufio.NewScanner(out)
			for sc.Scan() {
				if strings.HasPrefix(sc.Text(), "ready") {
					close(ready)
				}
			}
		}()
		select {
		case <-ready:
		case <-time.After(60 * time.Second):
			b.Fatal("bedside-peer not ready")
		}
	}
	waitUntil := func(what string, cond func() bool) {
		for deadline := time.Now().Add(90 * time.Second); !cond(); time.Sleep(50 * time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatalf("timed out waiting for %s", what)
			}
		}
	}
	waitUntil("connected", func() bool { return dev.Connected() })
	if _, err := dev.Dial(ctx, "f0"); err != nil {
		b.Fatal(err)
	}
	waitUntil("in call with f0", func() bool { return dev.State() == InCall })
	for i := 1; i < n; i++ {
		if err := dev.Add(ctx, fmt.Sprintf("f%d", i)); err != nil {
			b.Fatal(err)
		}
	}
	waitUntil("everyone in call", func() bool {
		s := dev.Snapshot()
		if len(s.Call.Participants) != n {
			return false
		}
		for _, p := range s.Call.Participants {
			if p.State != PartInCall {
				return false
			}
		}
		return true
	})
	time.Sleep(settle)
	st0 := local.Stats()
	before := cpuTime()
	start := time.Now()
	time.Sleep(window)
	secs := time.Since(start).Seconds()
	cpu := float64((cpuTime() - before).Milliseconds()) / secs / 10 // % of one core
	st1 := local.Stats()
	stats, err := dev.PeerStats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	var upload, fps float64
	for _, s := range stats {
		upload += s.OutboundBitrate
		fps += s.FPS
	}
	fps /= float64(len(stats))
	encMS := float64((st1.EncodeTime - st0.EncodeTime).Milliseconds()) / secs
	encFPS := float64(st1.VideoFrames-st0.VideoFrames) / secs
	// The encoder's own thread CPU time: unlike the wall-clock encoder-ms/s, it does not grow
	// when the family's processes share the cores with the tablet.
	encCPU := float64((st1.EncodeCPU - st0.EncodeCPU).Milliseconds()) / secs
	rss := rssMB()
	b.ReportMetric(cpu, "cpu-%")
	b.ReportMetric(rss, "rss-MB")
	b.ReportMetric(upload/1000, "upload-kbit/s")
	b.ReportMetric(fps, "recv-fps")
	b.ReportMetric(encMS, "encoder-ms/s")
	b.ReportMetric(encCPU, "encoder-cpu-ms/s")
	b.ReportMetric(encFPS, "encoded-fps")
	perFrame := 0.0
	if encFPS > 0 {
		perFrame = encMS / encFPS
	}
	b.ReportMetric(perFrame, "encoder-ms/frame")
	step := fmt.Sprintf("%dx%d@%d", st1.Width, st1.Height, st1.Step.FPS)
	if st1.Step.Paused {
		step = "paused"
	}
	return fmt.Sprintf("%6d  %5.0f  %6.0f  %13.0f  %8.1f  %12.1f  %16.1f  %11.1f  %8.2f  %-10s  %5s",
		n, cpu, rss, upload/1000, fps, encMS, encCPU, encFPS, perFrame, step, loadAvg())
}

// loadAvg is the machine's one-minute load average (the machine may be shared).
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}

// rssMB is this process's resident memory, in MB.
func rssMB() float64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
}
