package server_test

import (
	"bufio"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server"
)

// BenchmarkIdleConnections holds N authenticated, idle family connections (5000, or
// BEDSIDE_BENCH_CONNS) and reports the process's heap and RSS growth per connection. The
// clients are bare sockets (no goroutines, no buffers) so the figures are mostly the
// server's; both ends live in this process.
func BenchmarkIdleConnections(b *testing.B) {
	n := 5000
	if s := os.Getenv("BEDSIDE_BENCH_CONNS"); s != "" {
		var err error
		n, err = strconv.Atoi(s)
		require.NoError(b, err)
	}
	e := newEnv(b, func(c *server.Config) {
		c.LinkLookups = server.RateLimit{PerMinute: -1}
		c.PingInterval = time.Hour
		c.MaxConnsPerIP = n + 10
	})
	addr := strings.TrimPrefix(e.url, "http://")
	for b.Loop() {
		runtime.GC()
		heap0, rss0 := memory()
		g0 := runtime.NumGoroutine()
		start := time.Now()
		conns := make([]net.Conn, 0, n)
		for range n {
			conns = append(conns, rawFamily(b, addr, e.demo.FamilyToken))
		}
		took := time.Since(start)
		runtime.GC()
		heap1, rss1 := memory()
		g1 := runtime.NumGoroutine()
		b.ReportMetric(float64(int64(heap1)-int64(heap0))/(1<<20), "heap-MB")
		b.ReportMetric(float64(int64(rss1)-int64(rss0))/(1<<20), "rss-MB")
		b.ReportMetric(float64(int64(heap1)-int64(heap0))/float64(n)/1024, "heap-KB/conn")
		b.ReportMetric(float64(int64(rss1)-int64(rss0))/float64(n)/1024, "rss-KB/conn")
		b.ReportMetric(float64(g1-g0)/float64(n), "goroutines/conn")
		b.ReportMetric(float64(n)/took.Seconds(), "hellos/s")
		for _, c := range conns {
			c.Close()
		}
	}
}

// memory returns the live heap and the resident set size, in bytes.
func memory() (heap, rss uint64) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	data, err := os.ReadFile("/proc/self/statm")
	if err == nil {
		f := strings.Fields(string(data))
		if len(f) > 1 {
			pages, _ := strconv.ParseUint(f[1], 10, 64)
			rss = pages * uint64(os.Getpagesize())
		}
	}
	return ms.HeapInuse, rss
}

// rawFamily opens a WebSocket by hand, says hello with token and reads welcome, leaving only
// a socket behind.
func rawFamily(tb testing.TB, addr, token string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	require.NoError(tb, err)
	c.SetDeadline(time.Now().Add(wait))
	key := make([]byte, 16)
	rand.Read(key)
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		addr, base64.StdEncoding.EncodeToString(key))
	br := bufio.NewReaderSize(c, 1024)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(tb, err)
	require.Equal(tb, http.StatusSwitchingProtocols, resp.StatusCode)
	require.Equal(tb, signal.TypeChallenge, readFrame(tb, br).Type)
	hello, err := json.Marshal(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: token})
	require.NoError(tb, err)
	writeFrame(tb, c, hello)
	require.Equal(tb, signal.TypeWelcome, readFrame(tb, br).Type)
	require.Zero(tb, br.Buffered())
	c.SetDeadline(time.Time{})
	return c
}

func readFrame(tb testing.TB, r io.Reader) signal.Message {
	tb.Helper()
	var h [2]byte
	_, err := io.ReadFull(r, h[:])
	require.NoError(tb, err)
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var x [2]byte
		_, err = io.ReadFull(r, x[:])
		n = uint64(binary.BigEndian.Uint16(x[:]))
	case 127:
		var x [8]byte
		_, err = io.ReadFull(r, x[:])
		n = binary.BigEndian.Uint64(x[:])
	}
	require.NoError(tb, err)
	data := make([]byte, n)
	_, err = io.ReadFull(r, data)
	require.NoError(tb, err)
	m, err := signal.Decode(data)
	require.NoError(tb, err)
	return m
}

func writeFrame(tb testing.TB, w io.Writer, data []byte) {
	tb.Helper()
	require.Less(tb, len(data), 126)
	frame := []byte{0x81, 0x80 | byte(len(data)), 0, 0, 0, 0} // zero mask: payload as is
	_, err := w.Write(append(frame, data...))
	require.NoError(tb, err)
}

// BenchmarkCallSetup measures whole call cycles between a connected tablet and family page:
// invite → ring → accept → accepted → hangup → ended on both ends, call-log row included.
func BenchmarkCallSetup(b *testing.B) {
	e := newEnv(b, func(c *server.Config) { c.Invites = server.RateLimit{PerMinute: -1} })
	dev := e.device(e.enroll(e.demo.PairingCode))
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	start := time.Now()
	calls := 0
	for b.Loop() {
		fam.send(signal.Message{Type: signal.TypeInvite})
		id := dev.expect(signal.TypeRing).Call
		dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
		fam.expect(signal.TypeRinging)
		fam.expect(signal.TypeAccepted)
		fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
		fam.expect(signal.TypeEnded)
		dev.expect(signal.TypeEnded)
		calls++
	}
	b.ReportMetric(float64(calls)/time.Since(start).Seconds(), "calls/s")
}
