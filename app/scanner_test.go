package app

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/provisioning"
)

// stepClock is a clock whose timers fire only when step is called.
type stepClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []func()
}

func (c *stepClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *stepClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.timers = append(c.timers, f)
	return stopless{}
}

// step fires every pending timer.
func (c *stepClock) step() {
	c.mu.Lock()
	ts := c.timers
	c.timers = nil
	c.mu.Unlock()
	for _, f := range ts {
		f()
	}
}

type stopless struct{}

func (stopless) Stop() bool { return false }

func waitTrue(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		require.Truef(t, time.Now().Before(deadline), "timed out waiting for %s", what)
		time.Sleep(2 * time.Millisecond)
	}
}

func TestScannerTakesTheLatestFrameAndNeverQueues(t *testing.T) {
	img, err := provisioning.RenderQR("BSD1:hello", 200)
	require.NoError(t, err)
	clock := &stepClock{}
	var found atomic.Int32
	s := newQRScanner(clock, func(text string) {
		assert.Equal(t, "BSD1:hello", text)
		found.Add(1)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.run(ctx) }()

	waitTrue(t, "the scanner to want a frame", s.want.Load)
	for range 50 { // a camera at full speed: one frame is taken, the rest dropped
		s.Frame(img)
	}
	waitTrue(t, "one scan", func() bool { return found.Load() == 1 })
	for range 50 {
		s.Frame(img) // while the scanner rests, frames are dropped at once
	}
	assert.Equal(t, uint64(1), s.scanned.Load(), "no frame is queued while the scanner rests")

	clock.step() // the rest is over: the next frame is scanned
	waitTrue(t, "the scanner to want a frame again", s.want.Load)
	s.Frame(img)
	waitTrue(t, "a second scan", func() bool { return found.Load() == 2 })

	cancel()
	clock.step()
	<-done
	assert.False(t, s.want.Load(), "a stopped scanner takes no frames")
}
