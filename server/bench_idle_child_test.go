package server_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io/fs"
	"math/big"
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
	idleTLS(t, hs)
	go func() { _ = serveIdleHTTP(hs, server.LimitListener(ln, limits)) }()
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
	idleTLS(t, hs)
	go func() { _ = serveIdleHTTP(hs, ln) }()
	serveIdle(t, ln.Addr().String(), "-")
	_ = hs.Close()
}

// idleTLS gives hs a certificate, as cmd/bedside-server does with -tls-cert, when
// BEDSIDE_IDLE_TLS names a file, where it writes the certificate for the clients.
func idleTLS(t *testing.T, hs *http.Server) {
	certFile := os.Getenv("BEDSIDE_IDLE_TLS")
	if certFile == "" {
		return
	}
	keyFile := filepath.Join(t.TempDir(), "key.pem")
	writeIdleCert(t, certFile, keyFile)
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	require.NoError(t, err)
	hs.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
}

// serveIdleHTTP serves hs on ln, over TLS when it has a certificate (ServeTLS, as deployed).
func serveIdleHTTP(hs *http.Server, ln net.Listener) error {
	if hs.TLSConfig == nil {
		return hs.Serve(ln)
	}
	return hs.ServeTLS(ln, "", "")
}

// writeIdleCert writes a self-signed ECDSA P-256 certificate for 127.0.0.1, the kind a ward
// server gets from its CA, and its key.
func writeIdleCert(t *testing.T, certFile, keyFile string) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bedside idle bench"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600))
	require.NoError(t, os.WriteFile(certFile+".tmp", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.Rename(certFile+".tmp", certFile)) // whole, for the client child
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
	fds, _ := os.ReadDir("/proc/self/fd")
	fmt.Printf("mem heap=%d stack=%d rss=%d goroutines=%d live=%d fds=%d\n", ms.HeapInuse, ms.StackInuse, rss, runtime.NumGoroutine(), ms.HeapAlloc, len(fds))
}
