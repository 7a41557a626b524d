package server_test

import (
	"bufio"
	"context"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"bedside/assets"
	"bedside/server"
	"bedside/server/store"
)

// TestIdleBenchChild is BenchmarkIdleConnectionsPerInstance's child processes (the os/exec
// package's helper-process pattern); run as a test, without the variable, it does nothing.
func TestIdleBenchChild(t *testing.T) {
	role := os.Getenv(idleRole)
	if role == "" {
		return
	}
	raiseFileLimit(t)
	if os.Getenv("BEDSIDE_BENCH_IDLE_PROFILE") != "" {
		runtime.MemProfileRate = 1 // every allocation, for a profile that adds up per connection
	}
	n, err := strconv.Atoi(os.Getenv("BEDSIDE_IDLE_N"))
	require.NoError(t, err)
	switch role {
	case "bedside":
		serveBedsideIdle(t, n)
	case "reference-echo":
		serveEchoIdle(t)
	case "client":
		holdIdleClients(t, n, os.Getenv("BEDSIDE_IDLE_ADDR"), os.Getenv("BEDSIDE_IDLE_TOKEN"), os.Getenv("BEDSIDE_IDLE_KIND"))
	default:
		t.Fatalf("unknown role %q", role)
	}
}

// serveBedsideIdle runs the ward server as cmd/bedside-server does, prints its address and a
// family link token, and its memory when asked.
func serveBedsideIdle(t *testing.T, n int) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "bedside.db"), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	web, err := fs.Sub(assets.Web, "web")
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	srv, err := server.New(server.Config{Store: st, Web: web, BaseURL: base})
	require.NoError(t, err)
	demo, err := server.SeedDemo(ctx, st, server.DemoOptions{BaseURL: base})
	require.NoError(t, err)
	// The default cap on connections in all is 16,384; the goal needs more.
	limits := server.HTTPLimits{MaxConns: n + 100}
	hs := server.NewHTTPServer(srv.Handler(), limits)
	go func() { _ = hs.Serve(server.LimitListener(ln, limits)) }()
	serveIdle(t, ln.Addr().String(), demo.FamilyToken)
	srv.Close()
	_ = hs.Close()
}

// serveEchoIdle is the reference: a minimal WebSocket echo server on the same library.
func serveEchoIdle(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	var open atomic.Int64
	hs := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		open.Add(1)
		defer open.Add(-1)
		defer c.CloseNow()
		ctx := r.Context()
		for {
			typ, data, err := c.Read(ctx)
			if err != nil {
				return
			}
			if err := c.Write(ctx, typ, data); err != nil {
				return
			}
		}
	})}
	go func() { _ = hs.Serve(ln) }()
	serveIdle(t, ln.Addr().String(), "-")
	_ = hs.Close()
}

// serveIdle prints "ready ADDR TOKEN" and the memory now, then the memory again at each
// "measure" on stdin, until stdin ends.
func serveIdle(t *testing.T, addr, token string) {
	fmt.Printf("ready %s %s\n", addr, token)
	printMem()
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "measure" {
			printMem()
			writeHeapProfile(t)
		}
	}
}

// writeHeapProfile writes the heap profile to BEDSIDE_BENCH_IDLE_PROFILE.KIND, when set,
// to see where the memory of the connections goes (go tool pprof -sample_index=inuse_space).
func writeHeapProfile(t *testing.T) {
	name := os.Getenv("BEDSIDE_BENCH_IDLE_PROFILE")
	if name == "" {
		return
	}
	f, err := os.Create(name + "." + os.Getenv(idleRole))
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, pprof.WriteHeapProfile(f))
}

// printMem collects garbage, returns what it can to the system, and prints the live heap,
// the goroutine stacks, the resident set and the goroutines. A collection halves the stacks
// that use under a quarter of their size, once: an idle server (Go collects at least every
// two minutes) is measured after a few.
func printMem() {
	for range 4 {
		runtime.GC()
	}
	debug.FreeOSMemory()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	var rss uint64
	if data, err := os.ReadFile("/proc/self/statm"); err == nil {
		if f := strings.Fields(string(data)); len(f) > 1 {
			pages, _ := strconv.ParseUint(f[1], 10, 64)
			rss = pages * uint64(os.Getpagesize())
		}
	}
	fmt.Printf("mem heap=%d stack=%d rss=%d goroutines=%d\n", ms.HeapInuse, ms.StackInuse, rss, runtime.NumGoroutine())
}
