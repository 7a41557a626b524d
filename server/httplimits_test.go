package server_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/server"
)

// slowBody opens a connection from 127.0.0.2 (another address than the test's own clients)
// and posts to path a body announced as 60,000 bytes, sending one byte at a time until the
// server closes the connection (or the test ends). It returns when the connection is over.
func slowBody(t *testing.T, addr, path string, done <-chan struct{}) error {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: wait}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_, err = fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: ward\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{", path)
	if err != nil {
		return nil // closed at once: over the cap
	}
	closed := make(chan struct{})
	go func() {
		defer close(closed)
		_, _ = io.Copy(io.Discard, c) // the answer (413, or nothing), then the server's close
	}()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-closed:
			return nil
		case <-done:
			return fmt.Errorf("the server kept a slow body open until the test gave up")
		case <-tick.C:
			if _, err := c.Write([]byte(" ")); err != nil {
				<-closed
				return nil
			}
		}
	}
}

// serveLimited serves e's handler within limits on a fresh listener and returns its address.
func serveLimited(t *testing.T, e *env, limits server.HTTPLimits) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	hs := server.NewHTTPServer(e.srv.Handler(), limits)
	go hs.Serve(server.LimitListener(ln, limits))
	t.Cleanup(func() { hs.Close() })
	return ln.Addr().String()
}

// healthy checks that /healthz answers n times in a row.
func healthy(t *testing.T, addr string, n int) {
	t.Helper()
	client := &http.Client{Timeout: wait}
	for range n {
		resp, err := client.Get("http://" + addr + "/healthz")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.Equal(t, "ok\n", string(body))
	}
}

// TestSlowBodiesHoldOneAddressShare: connections from one address that announce a 60,000-byte
// body and trickle it (the issue saw 320 of them take the server out of file descriptors)
// hold at most that address's share of the server's connections: /healthz answers other
// addresses while they are all open (the body deadline is long here, so they stay).
func TestSlowBodiesHoldOneAddressShare(t *testing.T) {
	e := newEnv(t, nil)
	addr := serveLimited(t, e, server.HTTPLimits{MaxConns: 12, MaxConnsPerIP: 4, BodyTimeout: time.Hour})
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.2")}, Timeout: wait}
	for range 40 {
		c, err := d.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { c.Close() })
		// Those over the cap are closed by the server; a write may still succeed.
		_, _ = fmt.Fprintf(c, "POST /api/enroll HTTP/1.1\r\nHost: ward\r\nContent-Length: 60000\r\n\r\n{")
	}
	// The 40 connections were made before this one: the server accepts them first.
	healthy(t, addr, 20)
}

// TestSlowBodiesAreCutOff: a trickled body is cut off at the body deadline (a short one here;
// no timing is asserted, the test only waits for it), also when the server refused it
// without reading (too large, or posted to a GET path); /healthz answers all along.
func TestSlowBodiesAreCutOff(t *testing.T) {
	e := newEnv(t, nil)
	addr := serveLimited(t, e, server.HTTPLimits{MaxConnsPerIP: 4, BodyTimeout: 300 * time.Millisecond, MinBodyRate: 1 << 30})
	done := make(chan struct{})
	giveUp := time.AfterFunc(wait, func() { close(done) })
	defer giveUp.Stop()
	var wg sync.WaitGroup
	errs := make(chan error, 12)
	for i := range 12 {
		path := "/api/enroll"
		if i%2 == 1 {
			path = "/healthz"
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- slowBody(t, addr, path, done)
		}()
	}
	healthy(t, addr, 10)
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	healthy(t, addr, 1)
}
