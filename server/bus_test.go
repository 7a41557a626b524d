package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/internal/pgtest"
	"bedside/internal/testkit"
	"bedside/server"
)

// Both buses: messages short and long (past NOTIFY's 8000 bytes) arrive whole and in the
// order sent; a lease is held by one instance until it lapses or is released; a message to an
// instance that is gone is lost without an error; a closed bus says so.
func TestBus(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		testkit.NoLeaks(t)
		net := server.NewMemoryNet(nil)
		testBus(t, net.Join("a"), net.Join("b"))
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.URL(t)
		testkit.NoLeaks(t)
		open := func() server.Bus {
			b, err := server.NewPGBus(context.Background(), url, "")
			require.NoError(t, err)
			return b
		}
		testBus(t, open(), open())
	})
}

// inbox collects what a bus receives.
type inbox struct {
	mu  sync.Mutex
	got []string
}

func (in *inbox) add(data []byte) {
	in.mu.Lock()
	in.got = append(in.got, string(data))
	in.mu.Unlock()
}

func (in *inbox) all() []string {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]string(nil), in.got...)
}

func testBus(t *testing.T, a, b server.Bus) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	require.NotEqual(t, a.ID(), b.ID())
	var in inbox
	done := make(chan error, 1)
	go func() { done <- b.Listen(ctx, in.add) }()

	var want []string
	for i := range 20 {
		m := fmt.Sprintf(`{"n":%d}`, i)
		if i%3 == 1 {
			m = fmt.Sprintf(`{"n":%d,"sdp":"%s"}`, i, strings.Repeat("x", 48<<10))
		}
		want = append(want, m)
		require.NoError(t, a.Publish(ctx, b.ID(), []byte(m)))
	}
	testkit.Eventually(t, "every message arrives", func() bool { return len(in.all()) == len(want) })
	require.Equal(t, want, in.all())
	require.NoError(t, a.Publish(ctx, "gone-instance", []byte(`{}`)), "lost, as the instance is")

	const lease = 400 * time.Millisecond
	owners, err := a.Claim(ctx, []string{"w1", "w2"}, lease)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"w1": a.ID(), "w2": a.ID()}, owners)
	owners, err = b.Claim(ctx, []string{"w1", "w3"}, lease)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"w1": a.ID(), "w3": b.ID()}, owners, "w1 is a's until it lapses")
	testkit.Eventually(t, "a's lease lapses and b takes w1", func() bool {
		owners, err := b.Claim(ctx, []string{"w1"}, time.Minute)
		return err == nil && owners["w1"] == b.ID()
	})
	require.NoError(t, b.Release(ctx))
	owners, err = a.Claim(ctx, []string{"w1", "w3"}, time.Minute)
	require.NoError(t, err)
	require.Equal(t, map[string]string{"w1": a.ID(), "w3": a.ID()}, owners, "released: a takes both at once")

	require.NoError(t, b.Close())
	require.ErrorIs(t, <-done, server.ErrBusClosed)
	require.ErrorIs(t, b.Publish(ctx, a.ID(), []byte(`{}`)), server.ErrBusClosed)
	_, err = b.Claim(ctx, []string{"w1"}, lease)
	require.ErrorIs(t, err, server.ErrBusClosed)
	require.NoError(t, a.Close())
}
