package server_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Issue 14's goal: one instance holds 20,000 idle connections (authenticated family pages,
// WebSocket) in under 500 MB. The server runs alone in a child process, wired as
// cmd/bedside-server wires it (HTTPLimits, LimitListener, SQLite in a temp dir, TLS from a
// certificate as deployed, or plain WebSocket), and measures itself; the clients run in
// another child process and connect from many loopback addresses (127.0.0.2, 127.0.0.3, ...:
// at most 400 from each, under the 500 a single address may hold). They answer the server's
// pings (every 25 s, the default), and one in four also pings the server every 20 s as a
// tablet's signaling client does. The connections are held for idleHold after the last one
// connected (so every one has been pinged at the real interval) before the server measures.
// Beside it, in the same run, the same number of bare WebSocket connections held by a
// minimal Go echo server on the same WebSocket library, over TLS and not.
//
// The number is BEDSIDE_BENCH_IDLE (20,000 by default), lowered to fit RLIMIT_NOFILE: each
// child raises its soft limit to the hard one, and the server needs a few descriptors of its
// own (idleReserve); a machine whose hard limit is 20,000 holds 19,968. BEDSIDE_BENCH_IDLE_KINDS
// (a comma-separated subset of idleKinds) and BEDSIDE_BENCH_IDLE_HOLD shorten a run by hand.
//
// Measured on 2 shared cores, 19,968 connections (the file limit), held 30 s: bedside over
// TLS 325 MB in all, 15.5 KB of RSS each (heap 10.2, one 4 KB goroutine stack); plain
// WebSocket 179 MB, 8.0 KB each; the echo server 826 MB over TLS (41.4 KB each), 483 MB plain
// (23.8 KB). Before the server framed the WebSocket itself (one goroutine parked without a
// buffer, not two, one blocked deep in the library's and TLS's reads): TLS 802 MB, 40.0 KB
// each; plain 612 MB, 30.2 KB. Before the upgrade handler returned and the loop took over the
// writer (plain, 2,000 connections): 48.7 KB each.
const idleGoal = 20000

// idleKinds are the servers measured: ours over TLS (as deployed) and over plain WebSocket,
// and the echo reference both ways.
var idleKinds = []string{"bedside-tls", "reference-echo-tls", "bedside", "reference-echo"}

// idleReserve is how many file descriptors a server child keeps beside its connections:
// standard streams, the poller, the listener, the SQLite files, and a margin.
const idleReserve = 32

// idleHold is how long the connections stay idle before the server measures: more than the
// server's ping interval (25 s).
const idleHold = 30 * time.Second

// idleRole is the environment variable that makes the test binary one of the benchmark's
// children instead of running tests.
const idleRole = "BEDSIDE_IDLE_ROLE"

func BenchmarkIdleConnectionsPerInstance(b *testing.B) {
	n := idleGoal
	if s := os.Getenv("BEDSIDE_BENCH_IDLE"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(b, err)
	}
	hold := idleHold
	if s := os.Getenv("BEDSIDE_BENCH_IDLE_HOLD"); s != "" {
		var err error
		hold, err = time.ParseDuration(s)
		require.NoError(b, err)
	}
	kinds := idleKinds
	if s := os.Getenv("BEDSIDE_BENCH_IDLE_KINDS"); s != "" {
		kinds = strings.Split(s, ",")
	}
	hard := raiseFileLimit(b)
	if most := int(hard) - idleReserve; n > most {
		b.Logf("holding %d connections, not %d: RLIMIT_NOFILE's hard limit is %d, and raising it needs CAP_SYS_RESOURCE", most, n, hard)
		n = most
	}
	for _, kind := range kinds {
		b.Run(kind, func(b *testing.B) {
			for b.Loop() {
				m := runIdle(b, kind, n, hold)
				per := func(v int64) float64 { return float64(v) / float64(n) / 1024 }
				b.ReportMetric(float64(m.held), "conns-held")
				b.ReportMetric(per(m.heap), "heap-KB/conn")
				b.ReportMetric(per(m.stack), "stack-KB/conn")
				b.ReportMetric(per(m.rss), "rss-KB/conn")
				b.ReportMetric(float64(m.rssTotal)/(1<<20), "rss-MB-total")
				b.ReportMetric(float64(m.goroutines)/float64(n), "goroutines/conn")
				b.Logf("%s: %d connections held (server fds %d): RSS %.1f MB in all, +%.1f MB (%.1f KB each); heap +%.1f MB (%.1f KB each), stacks +%.1f MB, %d goroutines (%.2f each); live heap %.1f MB",
					kind, m.held, m.fds, mb(m.rssTotal), mb(m.rss), per(m.rss), mb(m.heap), per(m.heap), mb(m.stack), m.goroutines, float64(m.goroutines)/float64(n), mb(m.live))
			}
		})
	}
}

func mb(v int64) float64 { return float64(v) / (1 << 20) }

// idleMemory is what a server child grew by while its clients connected.
type idleMemory struct {
	heap, stack, rss, rssTotal, live int64
	goroutines, fds, held            int
}

// runIdle starts a server child of kind and a client child that opens n connections to it,
// holds them for hold, and returns the server's growth.
func runIdle(tb testing.TB, kind string, n int, hold time.Duration) idleMemory {
	tb.Helper()
	role, tls := strings.CutSuffix(kind, "-tls")
	env := []string{"BEDSIDE_IDLE_TLS="}
	if tls {
		env = []string{"BEDSIDE_IDLE_TLS=" + filepath.Join(tb.TempDir(), "cert.pem")}
	}
	srv := startChild(tb, role, n, env...)
	ready := srv.line(tb, "ready")
	base := parseMem(tb, srv.line(tb, "mem"))
	f := strings.Fields(ready)
	require.Len(tb, f, 3, ready)
	cl := startChild(tb, "client", n, append(env, "BEDSIDE_IDLE_ADDR="+f[1], "BEDSIDE_IDLE_TOKEN="+f[2], "BEDSIDE_IDLE_KIND="+role)...)
	done := cl.line(tb, "connected")
	tb.Logf("%s: %s; holding them %s", kind, done, hold)
	time.Sleep(hold)
	srv.say(tb, "measure")
	after := parseMem(tb, srv.line(tb, "mem"))
	cl.say(tb, "count")
	open := cl.line(tb, "open")
	require.Equal(tb, "open "+strconv.Itoa(n), open, "every connection stayed open")
	cl.stop(tb)
	srv.stop(tb)
	return idleMemory{heap: after.heap - base.heap, stack: after.stack - base.stack, rss: after.rss - base.rss,
		rssTotal: after.rss, live: after.live, goroutines: after.goroutines - base.goroutines, fds: after.fds, held: n}
}

// child is the test binary run as one of the benchmark's processes; it talks in lines.
type child struct {
	cmd    *exec.Cmd
	in     *os.File
	out    *bufio.Scanner
	stderr *strings.Builder
}

func startChild(tb testing.TB, role string, n int, env ...string) *child {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleBenchChild$", "-test.v=false")
	cmd.Env = append(os.Environ(), append(env, idleRole+"="+role, "BEDSIDE_IDLE_N="+strconv.Itoa(n))...)
	stdin, err := cmd.StdinPipe()
	require.NoError(tb, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(tb, err)
	c := &child{cmd: cmd, out: bufio.NewScanner(stdout), stderr: &strings.Builder{}}
	cmd.Stderr = c.stderr
	require.NoError(tb, cmd.Start())
	c.in = stdin.(*os.File)
	tb.Cleanup(func() {
		_ = c.in.Close()
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
		if tb.Failed() {
			tb.Logf("%s child stderr:\n%s", role, c.stderr.String())
		}
	})
	return c
}

// line reads lines until one starts with prefix (children print what they are asked for,
// and the test framework's own lines).
func (c *child) line(tb testing.TB, prefix string) string {
	tb.Helper()
	for c.out.Scan() {
		if l := c.out.Text(); strings.HasPrefix(l, prefix) {
			return l
		}
	}
	tb.Fatalf("child ended without %q: %v\n%s", prefix, c.out.Err(), c.stderr.String())
	return ""
}

func (c *child) say(tb testing.TB, s string) {
	tb.Helper()
	_, err := fmt.Fprintln(c.in, s)
	require.NoError(tb, err)
}

// stop closes the child's stdin, which ends it, and waits.
func (c *child) stop(tb testing.TB) {
	tb.Helper()
	require.NoError(tb, c.in.Close())
	require.NoError(tb, c.cmd.Wait(), c.stderr.String())
}

func parseMem(tb testing.TB, l string) idleMemory {
	tb.Helper()
	var m idleMemory
	_, err := fmt.Sscanf(l, "mem heap=%d stack=%d rss=%d goroutines=%d live=%d fds=%d", &m.heap, &m.stack, &m.rss, &m.goroutines, &m.live, &m.fds)
	require.NoError(tb, err, l)
	return m
}

// raiseFileLimit raises RLIMIT_NOFILE's soft limit to its hard one and returns that.
func raiseFileLimit(tb testing.TB) uint64 {
	tb.Helper()
	var rl syscall.Rlimit
	require.NoError(tb, syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl))
	rl.Cur = rl.Max
	require.NoError(tb, syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl))
	return rl.Max
}
