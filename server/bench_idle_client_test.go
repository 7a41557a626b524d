package server_test

import (
	"bufio"
	"crypto/rand"
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

	"bedside/call/signal"
)

// perSourceIP is how many connections the client child opens from each loopback address:
// under the server's 500 per address.
const perSourceIP = 400

// holdIdleClients opens n WebSocket connections to addr (kind "bedside": each says hello with
// the family token and reads its welcome; otherwise just the upgrade), prints "connected ...",
// answers the server's pings, prints "open N" at each "count" on stdin, and closes them all
// when stdin ends.
func holdIdleClients(t *testing.T, n int, addr, token, kind string) {
	var lost atomic.Int64
	var failed atomic.Bool
	conns := make([]net.Conn, n)
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
				c, br, err := idleDial(src, addr, token, kind == "bedside")
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

// idleDial opens a WebSocket from src by hand and, with hello, authenticates as a family page.
func idleDial(src *net.TCPAddr, addr, token string, hello bool) (net.Conn, *bufio.Reader, error) {
	d := net.Dialer{LocalAddr: src, Timeout: 30 * time.Second}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, nil, err
	}
	fail := func(err error) (net.Conn, *bufio.Reader, error) {
		c.Close()
		return nil, nil, err
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
	return c, br, nil
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
func answerPings(c net.Conn, br *bufio.Reader, lost *atomic.Int64) {
	for {
		op, data, err := idleFrame(br)
		if err == nil && op == 0x9 {
			err = idleWrite(c, 0xA, data)
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
