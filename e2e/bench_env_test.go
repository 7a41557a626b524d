package e2e

import (
	"context"
	"fmt"
	"image"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/call/media"
	"bedside/provisioning"
)

// benchPages serves testdata/bench (the reference tablet that is Chromium itself) under /bench/.
var benchPages = withPages("GET /bench/", http.StripPrefix("/bench/", http.FileServer(http.Dir(filepath.Join("testdata", "bench")))))

// benchGoTablet is the Go call engine enrolled as a bed's tablet, answering by itself and
// sending the test pattern and tone (640x480, 30 fps).
type benchGoTablet struct {
	phone  *call.Phone
	frames atomic.Int64
}

func newBenchGoTablet(tb testing.TB, w *ward, pairingCode string) *benchGoTablet {
	tb.Helper()
	id, err := provisioning.LoadOrCreateIdentity(filepath.Join(tb.TempDir(), "identity"))
	require.NoError(tb, err)
	_, err = provisioning.Enroll(context.Background(), w.url, pairingCode, id, "go tablet", "bench")
	require.NoError(tb, err)
	ctx, cancel := context.WithCancel(context.Background())
	local, err := media.NewTest(media.TestOptions{})
	require.NoError(tb, err)
	require.NoError(tb, local.Start(ctx))
	t := &benchGoTablet{}
	t.phone, err = call.New(call.Config{ServerURL: w.wsURL(), Signer: id, Media: local, AutoAnswer: true,
		LoopbackOnly: true, RemoteVideo: media.VideoSinkFunc(func(image.Image) { t.frames.Add(1) })})
	require.NoError(tb, err)
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
	poll(tb, "the Go tablet connects", 20*time.Millisecond, t.phone.Connected)
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
