package router

import (
	"context"
	"io"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/internal/testkit"
)

// chanDev is a device made of two channels: what the test writes in is read by the router, and
// what the router writes comes out on out.
type chanDev struct {
	in  chan []byte
	out chan []byte
}

func (d *chanDev) Read(b []byte) (int, error) {
	p, ok := <-d.in
	if !ok {
		return 0, io.EOF
	}
	return copy(b, p), nil
}

func (d *chanDev) Write(b []byte) (int, error) {
	d.out <- append([]byte(nil), b...)
	return len(b), nil
}

// ipv4 makes a 100-byte IPv4 packet from src to dst of protocol proto (17 UDP, 6 TCP).
func ipv4(src, dst string, proto byte) []byte {
	b := make([]byte, 100)
	b[0] = 0x45
	b[9] = proto
	s, d := netip.MustParseAddr(src).As4(), netip.MustParseAddr(dst).As4()
	copy(b[12:], s[:])
	copy(b[16:], d[:])
	return b
}

func startRouter(t *testing.T) (*Router, *chanDev) {
	t.Helper()
	testkit.NoLeaks(t)
	dev := &chanDev{in: make(chan []byte), out: make(chan []byte, 10000)}
	r, err := New(dev, []Link{
		{Name: "server", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.77.1.0/24")}},
		{Name: "tablet", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.77.2.0/24"), netip.MustParsePrefix("10.77.3.0/24")}},
		{Name: "family", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.77.4.0/24")}},
	})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		close(dev.in)
		require.NoError(t, <-done)
	})
	return r, dev
}

// send pushes n packets from the tablet through and waits until its link took them all in.
func send(t *testing.T, r *Router, dev *chanDev, n int, p []byte) {
	t.Helper()
	before := in(t, r, "tablet/up")
	for range n {
		dev.in <- p
	}
	testkit.Eventually(t, "the router counts the packets in", func() bool { return in(t, r, "tablet/up") >= before+uint64(n) })
}

// in is how many packets stage took in so far.
func in(t *testing.T, r *Router, stage string) uint64 {
	st, err := r.Stats(context.Background())
	require.NoError(t, err)
	return st[stage].In
}

func TestRouterForwardsThroughBothLinks(t *testing.T) {
	r, dev := startRouter(t)
	send(t, r, dev, 10, ipv4("10.77.3.2", "10.77.1.2", 17))
	for range 10 {
		<-dev.out
	}
	st, err := r.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, Counters{In: 10, Out: 10, OutBytes: 1000}, st["tablet/up"])
	assert.Equal(t, Counters{In: 10, Out: 10, OutBytes: 1000}, st["server/down"])
	assert.Equal(t, Counters{}, st["tablet/down"])
}

func TestRouterImpairs(t *testing.T) {
	ctx := context.Background()
	r, dev := startRouter(t)
	up := ipv4("10.77.2.2", "10.77.1.2", 17)

	require.NoError(t, r.Set(ctx, "tablet", Up, Impairment{Cut: true}))
	send(t, r, dev, 50, up)
	st, _ := r.Stats(ctx)
	assert.Equal(t, uint64(50), st["tablet/up"].DropCut)

	require.NoError(t, r.Set(ctx, "tablet", Up, Impairment{BlockUDP: true}))
	send(t, r, dev, 20, up)
	send(t, r, dev, 5, ipv4("10.77.2.2", "10.77.1.2", 6))
	st, _ = r.Stats(ctx)
	assert.Equal(t, uint64(20), st["tablet/up"].DropUDP)
	assert.Equal(t, uint64(5), st["tablet/up"].Out, "TCP passes")

	// UDP blocked with the family only: to the family it drops, to the server (the relay) it passes.
	require.NoError(t, r.Set(ctx, "tablet", Up, Impairment{BlockUDPWith: "family"}))
	send(t, r, dev, 7, ipv4("10.77.2.2", "10.77.4.2", 17))
	send(t, r, dev, 3, up)
	st, _ = r.Stats(ctx)
	assert.Equal(t, uint64(27), st["tablet/up"].DropUDP)
	assert.Equal(t, uint64(8), st["tablet/up"].Out)

	require.NoError(t, r.Set(ctx, "tablet", Up, Impairment{LossPct: 30}))
	send(t, r, dev, 1000, up)
	st, _ = r.Stats(ctx)
	assert.InDelta(t, 300, float64(st["tablet/up"].DropLoss), 120)

	// 8 kbit/s with a 1000-byte queue: one packet sends, ten fit in the queue, the rest drop.
	require.NoError(t, r.Set(ctx, "tablet", Up, Impairment{RateKbps: 8, QueueBytes: 1000}))
	send(t, r, dev, 30, up)
	st, _ = r.Stats(ctx)
	assert.GreaterOrEqual(t, st["tablet/up"].DropQueue, uint64(15))
	assert.LessOrEqual(t, st["tablet/up"].DropQueue, uint64(20))
}

func TestRouterDelayIsALowerBound(t *testing.T) {
	r, dev := startRouter(t)
	require.NoError(t, r.Set(context.Background(), "server", Down, Impairment{Delay: 80 * time.Millisecond, Jitter: 20 * time.Millisecond}))
	start := time.Now()
	dev.in <- ipv4("10.77.2.2", "10.77.1.2", 17)
	<-dev.out
	assert.GreaterOrEqual(t, time.Since(start), 80*time.Millisecond)
}

func TestServeCommands(t *testing.T) {
	r, _ := startRouter(t)
	in := strings.NewReader("set tablet both loss=3 delay=100ms\nset tablet up cut=true\nset tablet up loss=x\nset nowhere up cut=true\nfly\nclear tablet both\nstats\n")
	var out strings.Builder
	require.NoError(t, Serve(context.Background(), r, in, &out))
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 7)
	assert.Equal(t, []string{"ok", "ok"}, lines[:2])
	assert.Contains(t, lines[2], "error bad impairment setting")
	assert.Contains(t, lines[3], "error unknown link")
	assert.Contains(t, lines[4], "error bad command")
	assert.Equal(t, "ok", lines[5])
	assert.True(t, strings.HasPrefix(lines[6], `stats {"family/down":{"in":0`), lines[6])
}

func TestImpairmentApplyKeepsOthersAndRefusesBadInput(t *testing.T) {
	im, err := Impairment{LossPct: 3}.Apply([]string{"delay=100ms", "jitter=10ms", "rate=300"})
	require.NoError(t, err)
	assert.Equal(t, Impairment{LossPct: 3, Delay: 100 * time.Millisecond, Jitter: 10 * time.Millisecond, RateKbps: 300}, im)
	for _, bad := range []string{"loss=101", "loss=-1", "delay=-1s", "rate=x", "cut=maybe", "what=1", "loss"} {
		got, err := im.Apply([]string{bad})
		require.ErrorIs(t, err, ErrBadSetting, bad)
		assert.Equal(t, im, got, bad)
	}
	back, err := Impairment{}.Apply(strings.Fields(im.String()))
	require.NoError(t, err)
	assert.Equal(t, im, back)
}
