package server_test

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
)

// perSourceIP is how many connections the client child opens from each loopback address:
// under the server's 500 per address.
const perSourceIP = 400

// tabletPing is how often one client in tabletEvery pings the server, as call.Client does.
const (
	tabletPing  = 20 * time.Second
	tabletEvery = 4
)

// holdIdleClients opens n WebSocket connections to addr (over TLS when BEDSIDE_IDLE_TLS names
// the server's certificate; kind "bedside": each says hello with the family token and reads
// its welcome; otherwise just the upgrade), prints "connected ...", answers the server's
// pings, pings it from one connection in tabletEvery, prints "open N" at each "count" on
// stdin, and closes them all when stdin ends.
func holdIdleClients(t *testing.T, n int, addr, token, kind string) {
	tlsConf := idleClientTLS(t)
	var lost atomic.Int64
	var failed atomic.Bool
	conns := make([]*idleConn, n)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	next := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				if failed.Load() {
					continue // one failure fails the run: do not wait for the others
				}
				k := i / perSourceIP
				src := &net.TCPAddr{IP: net.IPv4(127, 0, byte(k/250), byte(2+k%250))}
				c, br, err := idleDial(src, addr, token, kind == "bedside", tlsConf)
				if err != nil {
					failed.Store(true)
					select {
					case errs <- fmt.Errorf("connection %d from %s: %w", i, src.IP, err):
					default:
					}
					continue
				}
				conns[i] = c
				go answerPings(c, br, &lost)
				if i%tabletEvery == 0 {
					c.pingEvery(tabletPing, i)
				}
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
	fmt.Printf("connected %d in %.1f s from %d addresses\n", n, time.Since(start).Seconds(), (n+perSourceIP-1)/perSourceIP)
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		if in.Text() == "count" {
			fmt.Printf("open %d\n", int64(n)-lost.Load())
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

// idleClientTLS is the client's TLS configuration, trusting the certificate that the server
// child wrote to BEDSIDE_IDLE_TLS; nil without TLS.
func idleClientTLS(t *testing.T) *tls.Config {
	certFile := os.Getenv("BEDSIDE_IDLE_TLS")
	if certFile == "" {
		return nil
	}
	data, err := os.ReadFile(certFile)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	require.True(t, pool.AppendCertsFromPEM(data), "the server's certificate")
	return &tls.Config{RootCAs: pool, ServerName: "127.0.0.1", NextProtos: []string{"http/1.1"}}
}

// idleConn is one client connection; its writes (pongs, pings) take turns.
type idleConn struct {
	net.Conn
	mu   sync.Mutex
	ping *time.Timer
}

func (c *idleConn) write(op byte, data []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return idleWrite(c.Conn, op, data)
}

// pingEvery pings the server every d, the first time at a point of the interval that i picks.
func (c *idleConn) pingEvery(d time.Duration, i int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ping = time.AfterFunc(d*time.Duration(i%97+1)/97, func() {
		if c.write(0x9, []byte("tablet")) == nil {
			c.ping.Reset(d)
		}
	})
}

func (c *idleConn) Close() error {
	c.mu.Lock()
	if c.ping != nil {
		c.ping.Stop()
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

// idleDial opens a WebSocket from src by hand and, with hello, authenticates as a family page.
func idleDial(src *net.TCPAddr, addr, token string, hello bool, tlsConf *tls.Config) (*idleConn, *bufio.Reader, error) {
	d := net.Dialer{LocalAddr: src, Timeout: 30 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (*idleConn, *bufio.Reader, error) {
		c.Close()
		return nil, nil, err
	}
	if tlsConf != nil {
		tc := tls.Client(c, tlsConf)
		_ = tc.SetDeadline(time.Now().Add(60 * time.Second))
		if err := tc.Handshake(); err != nil {
			return fail(fmt.Errorf("TLS: %w", err))
		}
		c = tc
	}
	_ = c.SetDeadline(time.Now().Add(60 * time.Second))
	key := make([]byte, 16)
	_, _ = rand.Read(key)
	_, err = fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n",
		addr, base64.StdEncoding.EncodeToString(key))
	if err != nil {
		return fail(err)
	}
	br := bufio.NewReaderSize(c, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fail(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols {
		return fail(fmt.Errorf("upgrade: %s", resp.Status))
	}
	if hello {
		if m, err := idleRead(br, c); err != nil || m.Type != signal.TypeChallenge {
			return fail(fmt.Errorf("challenge: %+v %v", m, err))
		}
		data, _ := json.Marshal(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: token})
		if err := idleWrite(c, 0x1, data); err != nil {
			return fail(err)
		}
		if m, err := idleRead(br, c); err != nil || m.Type != signal.TypeWelcome {
			return fail(fmt.Errorf("welcome: %+v %v", m, err))
		}
	}
	_ = c.SetDeadline(time.Time{})
	return &idleConn{Conn: c}, br, nil
}

// idleRead reads text frames until one is a message, answering pings on the way.
func idleRead(br *bufio.Reader, c net.Conn) (signal.Message, error) {
	for {
		op, data, err := idleFrame(br)
		if err != nil {
			return signal.Message{}, err
		}
		switch op {
		case 0x9:
			if err := idleWrite(c, 0xA, data); err != nil {
				return signal.Message{}, err
			}
		case 0x1:
			return signal.Decode(data)
		}
	}
}

// answerPings reads what the server sends an idle client, pongs its pings, and counts the
// connection as lost when it ends.
func answerPings(c *idleConn, br *bufio.Reader, lost *atomic.Int64) {
	for {
		op, data, err := idleFrame(br)
		if err == nil && op == 0x9 {
			err = c.write(0xA, data)
		}
		if err == nil && op == 0x8 {
			err = errors.New("closed by the server")
		}
		if err != nil {
			lost.Add(1)
			return
		}
	}
}

// idleFrame reads one unmasked server frame: its opcode and payload.
func idleFrame(r io.Reader) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var x [2]byte
		if _, err := io.ReadFull(r, x[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(x[:]))
	case 127:
		var x [8]byte
		if _, err := io.ReadFull(r, x[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(x[:])
	}
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	data := make([]byte, n)
	_, err := io.ReadFull(r, data)
	return h[0] & 0x0f, data, err
}

// idleWrite writes one final client frame, masked with a zero key (so the payload goes as is).
func idleWrite(w io.Writer, op byte, data []byte) error {
	if len(data) > 125 {
		return fmt.Errorf("frame of %d bytes", len(data))
	}
	frame := append([]byte{0x80 | op, 0x80 | byte(len(data)), 0, 0, 0, 0}, data...)
	_, err := w.Write(frame)
	return err
}
