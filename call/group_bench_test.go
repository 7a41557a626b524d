package call

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"bedside/call/calltest"
	"bedside/call/media"
	"bedside/call/media/mediatest"
	"bedside/call/signal"
	"bedside/internal/testkit"
)

// BenchmarkGroupCallTablet measures the tablet's side of a group call with 1, 2 and 4 family
// members: the tablet's engine runs in this process (640x480 test pattern at 30 fps, as the
// kiosk's -media test), each family member is a bedside-peer process of its own (-auto-answer,
// rung in with Add), all on loopback through calltest's hub. Over the same window it reports
// the process's CPU (% of one core: the tablet's engine, the hub is negligible), its resident
// memory, the tablet's upload (all pairs), the frames a second it receives from each member
// (mean), and what its one VP8 encoder did: frames encoded a second, keyframe requests from
// all peers and keyframes made, bit-rate changes and resets, its thread's CPU (ms a second
// and a frame) and the step the link estimates allow (a loaded machine's delays make
// congestion control step down). Encoding once, the encoder's work must not grow with the
// number of members, while the upload does.
//
// CPU time is not a measure of work on a shared machine: the family's processes share the
// cores, caches and SMT siblings, and slow every instruction down. So the encoder's inputs are
// recorded (media.Local.SetEncodeObserver) and replayed by bedside-vp8replay under valgrind's
// callgrind, which counts the instructions spent in vpx_codec_encode during the window
// (Minstr/frame, Minstr/s): the same figure whatever the load. N=1 is the reference measured
// in the same run. With BEDSIDE_BENCH_PIN=1 the tablet runs on CPU 0 and the family on the
// others. Chromium in the same mesh, beside the tablet as bedside-peer, is e2e's
// BenchmarkGroupCallChromium (it needs the ward server and the family page).
//
//	go test ./call -run '^$' -bench BenchmarkGroupCallTablet -benchtime 1x
func BenchmarkGroupCallTablet(b *testing.B) {
	testkit.Need(b, "valgrind")
	peerBin := filepath.Join(b.TempDir(), "bedside-peer")
	if out, err := exec.Command("go", "build", "-o", peerBin, "../cmd/bedside-peer").CombinedOutput(); err != nil {
		b.Fatalf("build bedside-peer: %v\n%s", err, out)
	}
	replayBin := mediatest.BuildReplay(b, "..")
	pin := os.Getenv("BEDSIDE_BENCH_PIN") == "1"
	if pin {
		restore := pinTablet(b)
		defer restore()
	}
	var runs []groupRun
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("family-%d", n), func(b *testing.B) {
			for b.Loop() {
				runs = append(runs, groupBenchOnce(b, peerBin, n, pin))
			}
		})
	}
	fmt.Printf("pinned: %v (tablet on CPU 0, family on the others)\n", pin)
	fmt.Println("family  cpu-%  rss-MB  upload-kbit/s  recv-fps  enc-fps  key-req  keyframes  call-key-req/kf  rate-chg  resets  enc-cpu-ms/s  enc-cpu-ms/frame  enc-wall-ms/s  Minstr/frame  Minstr/s  target-kbit/s  bytes/frame  sizes encoded      step        load1")
	for _, r := range runs {
		instr := mediatest.WindowInstructions(b, replayBin, r.recs, r.windowFrom, r.windowTo)
		kbps, bytes := windowRate(r.recs[r.windowFrom:r.windowTo])
		fmt.Printf("%6d  %5.0f  %6.0f  %13.0f  %8.1f  %7.1f  %7d  %9d  %15s  %8d  %6d  %12.1f  %16.2f  %13.1f  %12.2f  %8.0f  %13.0f  %11.0f  %-17s  %-10s  %5s\n",
			r.n, r.cpu, r.rss, r.upload/1000, r.recvFPS, r.encFPS, r.keyReqs, r.keyFrames, fmt.Sprintf("%d/%d", r.callKeyReqs, r.callKeyFrames), r.rateChanges, r.resets,
			r.encCPU, r.encCPU/max(r.encFPS, 1e-9), r.encWall, instr/1e6/float64(max(r.frames, 1)),
			instr/1e6/r.secs, kbps, bytes, windowSizes(r.recs[r.windowFrom:r.windowTo]), r.step, r.load)
	}
}

// windowRate is the mean CBR target (kbit/s) and frame size (bytes) of the records: the
// encoder's work a frame grows with the bits it is asked to make.
func windowRate(recs []media.EncodeRecord) (kbps, bytes float64) {
	for _, r := range recs {
		kbps += float64(r.BitRate) / 1000
		bytes += float64(r.Bytes)
	}
	n := float64(max(len(recs), 1))
	return kbps / n, bytes / n
}

// windowSizes lists the picture sizes the records encoded, the step's downscale included.
func windowSizes(recs []media.EncodeRecord) string {
	var sizes []string
	for _, r := range recs {
		if sz := fmt.Sprintf("%dx%d", r.Width, r.Height); !slices.Contains(sizes, sz) {
			sizes = append(sizes, sz)
		}
	}
	if len(sizes) == 0 {
		return "-"
	}
	return strings.Join(sizes, ",")
}

// groupRun is what one group call of the benchmark measured, and its encoder's records.
type groupRun struct {
	n                             int
	cpu, rss, upload, recvFPS     float64
	encFPS, encCPU, encWall, secs float64
	frames, keyReqs, keyFrames    uint64
	rateChanges, resets           uint64
	callKeyReqs, callKeyFrames    uint64 // the whole call's, joins included
	step, load                    string
	recs                          []media.EncodeRecord
	windowFrom, windowTo          int // the records of the measured window
}

func groupBenchOnce(b *testing.B, peerBin string, n int, pin bool) groupRun {
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
	var recMu sync.Mutex
	var recs []media.EncodeRecord
	local.SetEncodeObserver(func(r media.EncodeRecord) {
		recMu.Lock()
		recs = append(recs, r)
		recMu.Unlock()
	})
	nrecs := func() int { recMu.Lock(); defer recMu.Unlock(); return len(recs) }
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
		name, args := peerBin, []string{}
		if pin {
			name, args = "taskset", []string{"-c", fmt.Sprintf("1-%d", runtime.NumCPU()-1), peerBin}
		}
		cmd := exec.CommandContext(ctx, name, append(args, "-server", server, "-family-token", fmt.Sprintf("f%d-token", i),
			"-auto-answer", "-loopback", "-stats-every", "0")...)
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
	st0, from := local.Stats(), nrecs()
	before := cpuTime()
	start := time.Now()
	time.Sleep(window)
	secs := time.Since(start).Seconds()
	cpu := float64((cpuTime() - before).Milliseconds()) / secs / 10 // % of one core
	st1, to := local.Stats(), nrecs()
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
	b.ReportMetric(encCPU/max(encFPS, 1e-9), "encoder-cpu-ms/frame")
	step := fmt.Sprintf("%dx%d@%d", st1.Width, st1.Height, st1.Step.FPS)
	if st1.Step.Paused {
		step = "paused"
	}
	cancel()
	<-ran
	local.SetEncodeObserver(nil)
	recMu.Lock()
	defer recMu.Unlock()
	return groupRun{n: n, cpu: cpu, rss: rss, upload: upload, recvFPS: fps,
		encFPS: encFPS, encCPU: encCPU, encWall: encMS, secs: secs,
		frames: st1.VideoFrames - st0.VideoFrames, keyReqs: st1.KeyRequests - st0.KeyRequests,
		keyFrames: st1.KeyFrames - st0.KeyFrames, rateChanges: st1.BitRateChanges - st0.BitRateChanges,
		resets: st1.EncoderResets - st0.EncoderResets, callKeyReqs: st1.KeyRequests, callKeyFrames: st1.KeyFrames, step: step, load: loadAvg(),
		recs: slices.Clone(recs), windowFrom: from, windowTo: to}
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
