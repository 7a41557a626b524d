package e2e

import (
	"testing"
	"time"
)

// wait bounds every wait of these tests and benchmarks, so that a broken piece fails them
// instead of hanging them. It is a guard, never a timing assertion.
const wait = 60 * time.Second

// eventually polls cond every 100 ms until it holds, and fails when it still does not after
// wait.
func eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	poll(tb, what, 100*time.Millisecond, cond)
}

// poll is eventually with its own step, for the benchmarks that must see a change soon.
func poll(tb testing.TB, what string, step time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(step)
	}
}
