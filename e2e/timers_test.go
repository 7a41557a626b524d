package e2e

import (
	"sync"
	"time"

	"bedside/server"
)

// manualTimers is the server's clock for timeouts, advanced by hand.
type manualTimers struct {
	mu      sync.Mutex
	pending []*manualTimer
}

type manualTimer struct {
	d       time.Duration
	f       func()
	mu      sync.Mutex
	stopped bool
}

func (m *manualTimers) AfterFunc(d time.Duration, f func()) server.Timer {
	m.mu.Lock()
	defer m.mu.Unlock()
	tm := &manualTimer{d: d, f: f}
	m.pending = append(m.pending, tm)
	return tm
}

func (tm *manualTimer) Stop() bool {
	tm.mu.Lock()
	defer tm.mu.Unlock()
	was := !tm.stopped
	tm.stopped = true
	return was
}

// fire runs every pending, unstopped timer of duration d and returns how many ran.
func (m *manualTimers) fire(d time.Duration) int {
	m.mu.Lock()
	var due []*manualTimer
	for _, tm := range m.pending {
		if tm.d == d && tm.Stop() {
			due = append(due, tm)
		}
	}
	m.mu.Unlock()
	for _, tm := range due {
		tm.f()
	}
	return len(due)
}
