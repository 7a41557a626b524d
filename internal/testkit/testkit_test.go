package testkit

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recorder is a testing.TB that records failures instead of stopping the test.
type recorder struct {
	testing.TB
	failed atomic.Bool
	msg    atomic.Value
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed.Store(true)
	r.msg.Store(format)
	panic(r) // Fatalf does not return
}
func (r *recorder) Errorf(format string, args ...any) {
	r.failed.Store(true)
	r.msg.Store(format)
}

func failsWith(t *testing.T, f func(tb testing.TB)) *recorder {
	t.Helper()
	r := &recorder{TB: t}
	func() {
		defer func() {
			if v := recover(); v != nil && v != any(r) {
				panic(v)
			}
		}()
		f(r)
	}()
	return r
}

func TestEventually(t *testing.T) {
	var n atomic.Int32
	Eventually(t, "the third look", func() bool { return n.Add(1) >= 3 })
	require.EqualValues(t, 3, n.Load())
}

func TestNeedFailsOnAMissingTool(t *testing.T) {
	r := failsWith(t, func(tb testing.TB) { Need(tb, "sh", "no-such-tool-bedside") })
	require.True(t, r.failed.Load(), "a missing tool fails the test")
	require.True(t, strings.Contains(r.msg.Load().(string), "not installed"))
	require.False(t, failsWith(t, func(tb testing.TB) { Need(tb, "sh") }).failed.Load())
}

func TestNoLeaksNamesALeak(t *testing.T) {
	stop := make(chan struct{})
	defer close(stop)
	defer func(d time.Duration) { settle = d }(settle)
	settle = 300 * time.Millisecond
	var r *recorder
	t.Run("leaky", func(t *testing.T) {
		r = &recorder{TB: t}
		NoLeaks(r)
		go func() { <-stop }()
	})
	require.True(t, r.failed.Load(), "the leaked goroutine is reported")
}
