package e2e

import (
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// testLogger keeps the server's and the engines' logs, and prints them only when the test
// fails.
func testLogger(tb testing.TB) *slog.Logger {
	buf := &lockedLines{}
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("logs:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// lockedLines is a strings.Builder that many goroutines may write.
type lockedLines struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLines) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
