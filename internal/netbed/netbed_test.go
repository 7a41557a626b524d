package netbed

import (
	"fmt"
	"net"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/internal/testkit"
)

// rootLinks lists the interface names of the namespace the test runs in.
func rootLinks(t *testing.T) []string {
	out, err := exec.Command("ip", "-o", "link", "show").Output()
	require.NoError(t, err)
	var names []string
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if f := strings.Fields(l); len(f) > 1 {
			names = append(names, strings.TrimSuffix(f[1], ":"))
		}
	}
	return names
}

func netnsList(t *testing.T) string {
	out, err := exec.Command("ip", "netns", "list").Output()
	require.NoError(t, err)
	return string(out)
}

func TestBedComesUpAndLeavesNothingBehind(t *testing.T) {
	testkit.NoLeaks(t)
	linksBefore := rootLinks(t)
	b := New(t)
	nsDuring := netnsList(t)
	for _, h := range []string{Server, Tablet, Family, Router} {
		assert.Contains(t, nsDuring, b.NS(h))
	}
	assert.Equal(t, linksBefore, rootLinks(t), "nothing is added to the test's own namespace")
	assert.Equal(t, "10.77.1.2", b.Addr(Server).String())
	assert.False(t, b.Addr(Router).IsValid(), "the router has no host address")

	rx := listenUDP(t, b, Server)
	sent := sendUDP(t, b, Tablet, rx.addr, 20, 200)
	rx.waitCount(t, sent)

	require.NoError(t, b.Close())
	assert.NotContains(t, netnsList(t), b.prefix)
	assert.Equal(t, linksBefore, rootLinks(t))
	require.NoError(t, b.Close(), "closing twice is harmless")
}

func TestRouterImpairsBetweenNamespaces(t *testing.T) {
	testkit.NoLeaks(t)
	b := New(t)
	rx := listenUDP(t, b, Server)

	// Clean: everything the tablet sends reaches the server, through both of the router's stages.
	rx.waitCount(t, sendUDP(t, b, Tablet, rx.addr, 100, 200))
	st := b.Stats()
	assert.Equal(t, uint64(100), st["tablet/up"].Out)
	assert.Equal(t, uint64(100), st["server/down"].Out)
	assert.Zero(t, st["tablet/up"].Dropped()+st["server/down"].Dropped())

	// 20 % loss on the tablet's way up: the router drops some, the server gets the rest.
	b.Set(Tablet, Up, Impairment{LossPct: 20})
	rx.reset()
	sendUDP(t, b, Tablet, rx.addr, 500, 200)
	st = waitIn(t, b, "tablet/up", 600)
	assert.Greater(t, st["tablet/up"].DropLoss, uint64(0))
	rx.waitCount(t, 500-int(st["tablet/up"].DropLoss))

	// 64 kbit/s with a 4 KB queue: a burst of 100 KB overflows the queue.
	b.Set(Tablet, Up, Impairment{RateKbps: 64, QueueBytes: 4000})
	sendUDP(t, b, Tablet, rx.addr, 100, 1000)
	st = waitIn(t, b, "tablet/up", 700)
	assert.Greater(t, st["tablet/up"].DropQueue, uint64(50))
	waitSettled(t, b, "tablet/up")

	// A cut drops everything, both ways; lifted, packets pass again.
	b.Set(Tablet, Up, Impairment{})
	b.Cut(Tablet, true)
	before := b.Stats()["tablet/up"].DropCut
	rx.reset()
	sendUDP(t, b, Tablet, rx.addr, 30, 200)
	st = waitIn(t, b, "tablet/up", 730)
	assert.Equal(t, before+30, st["tablet/up"].DropCut)
	b.Cut(Tablet, false)
	rx.waitCount(t, sendUDP(t, b, Tablet, rx.addr, 10, 200))
	assert.Equal(t, int64(10), rx.count.Load(), "nothing of the cut arrives late")

	// UDP blocked: UDP is dropped, TCP still connects.
	b.Set(Tablet, Both, Impairment{BlockUDP: true})
	sendUDP(t, b, Tablet, rx.addr, 10, 200)
	st = waitIn(t, b, "tablet/up", 750)
	assert.Equal(t, uint64(10), st["tablet/up"].DropUDP)
	ln := listenTCP(t, b, Server)
	require.NoError(t, b.Do(Tablet, func() error {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 10*time.Second)
		if err == nil {
			_ = c.Close()
		}
		return err
	}))
	b.Clear()
}

func TestMoveChangesTheSourceAddress(t *testing.T) {
	testkit.NoLeaks(t)
	b := New(t)
	rx := listenUDP(t, b, Server)
	for _, h := range []struct{ host, before, after string }{
		{Tablet, "10.77.2.2", "10.77.3.2"},
		{Family, "10.77.4.2", "10.77.5.2"},
	} {
		rx.reset()
		rx.waitCount(t, sendUDP(t, b, h.host, rx.addr, 1, 100))
		assert.Equal(t, h.before, rx.lastFrom())
		if h.host == Tablet {
			b.MoveTablet()
		} else {
			b.Move(h.host)
		}
		assert.Equal(t, h.after, b.Addr(h.host).String())
		rx.reset()
		rx.waitCount(t, sendUDP(t, b, h.host, rx.addr, 1, 100))
		assert.Equal(t, h.after, rx.lastFrom())
		st := b.Stats()
		assert.Equal(t, uint64(2), st[h.host+"/up"].Out, "the new network is the %s's link too", h.host)
	}
}

// waitIn waits until the router has counted n packets into stage and returns the stats.
func waitIn(t *testing.T, b *Bed, stage string, n uint64) map[string]Counters {
	t.Helper()
	var st map[string]Counters
	testkit.Eventually(t, "the router counts the packets in", func() bool {
		st = b.Stats()
		return st[stage].In >= n
	})
	return st
}

// waitSettled waits until a stage has nothing queued: every packet in is out or dropped.
func waitSettled(t *testing.T, b *Bed, stage string) {
	t.Helper()
	testkit.Eventually(t, "the router's queue drains", func() bool {
		c := b.Stats()[stage]
		return c.In == c.Out+c.Dropped()
	})
}

// udpReceiver counts the datagrams a host receives.
type udpReceiver struct {
	addr  string
	count atomic.Int64
	from  atomic.Value
}

func (r *udpReceiver) reset() { r.count.Store(0) }

func (r *udpReceiver) lastFrom() string { s, _ := r.from.Load().(string); return s }

func (r *udpReceiver) waitCount(t *testing.T, n int) {
	t.Helper()
	testkit.Eventually(t, fmt.Sprintf("%d datagrams arrive", n), func() bool { return r.count.Load() >= int64(n) })
}

func listenUDP(t *testing.T, b *Bed, host string) *udpReceiver {
	t.Helper()
	var c *net.UDPConn
	require.NoError(t, b.Do(host, func() (err error) {
		c, err = net.ListenUDP("udp4", &net.UDPAddr{IP: net.IP(b.Addr(host).AsSlice())})
		return err
	}))
	r := &udpReceiver{addr: c.LocalAddr().String()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2000)
		for {
			_, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			r.from.Store(from.IP.String())
			r.count.Add(1)
		}
	}()
	t.Cleanup(func() { _ = c.Close(); <-done })
	return r
}

// sendUDP sends n datagrams of size bytes from host to addr and returns n. It sends in
// batches, each once the router has taken in the one before: a burst larger than the TUN's
// queue would be dropped by the kernel before the router sees it, on a busy machine.
func sendUDP(t *testing.T, b *Bed, host, addr string, n, size int) int {
	t.Helper()
	var c net.Conn
	require.NoError(t, b.Do(host, func() (err error) {
		c, err = net.Dial("udp4", addr)
		return err
	}))
	defer c.Close()
	buf := make([]byte, size)
	for sent := 0; sent < n; {
		k := min(50, n-sent)
		before := b.Stats()[host+"/up"].In
		for range k {
			_, err := c.Write(buf)
			require.NoError(t, err)
		}
		sent += k
		waitIn(t, b, host+"/up", before+uint64(k))
	}
	return n
}

func listenTCP(t *testing.T, b *Bed, host string) net.Listener {
	t.Helper()
	var ln net.Listener
	require.NoError(t, b.Do(host, func() (err error) {
		ln, err = net.Listen("tcp4", b.Addr(host).String()+":0")
		return err
	}))
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}
