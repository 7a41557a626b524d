// Package testkit holds the few helpers every test package of Bedside shares: one way to wait
// for a condition, one way to check that a test left no goroutine behind, and one way to demand
// a tool the test needs (a missing one fails the test; `make test` installs them). Only tests
// import it.
package testkit

import (
	"os/exec"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// Guard bounds every wait, so that a broken piece fails a test instead of hanging it. It is a
// guard against hangs on a loaded machine, never a timing assertion.
const Guard = 60 * time.Second

// Step is how often Eventually looks again.
const Step = 50 * time.Millisecond

// Eventually polls cond every Step until it holds, and fails tb when it still does not after
// Guard. what says what is awaited, for the failure's message.
func Eventually(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	Poll(tb, what, Step, cond)
}

// Poll is Eventually with its own step.
func Poll(tb testing.TB, what string, step time.Duration, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(Guard)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("gave up waiting after %s: %s", Guard, what)
		}
		time.Sleep(step)
	}
}

// settle is how long NoLeaks lets goroutines wind down.
var settle = 20 * time.Second

// NoLeaks makes tb fail, naming each goroutine and where it was started, if a goroutine that
// was not running when NoLeaks was called is still running when tb ends. Call it first, so
// that it checks after every other cleanup (they run last in, first out). Goroutines get a
// while to wind down: pion's can take seconds after a peer connection closes.
func NoLeaks(tb testing.TB) {
	tb.Helper()
	ignore := goleak.IgnoreCurrent()
	tb.Cleanup(func() {
		deadline := time.Now().Add(settle)
		for goleak.Find(ignore) != nil && time.Now().Before(deadline) {
			time.Sleep(100 * time.Millisecond)
		}
		if err := goleak.Find(ignore); err != nil {
			tb.Errorf("goroutines leaked: %v", err)
		}
	})
}

// Need fails tb unless each tool is on the PATH (or is an existing absolute path). Tests that
// drive real programs (Xvfb, Chromium, Firefox) call it: a test that cannot run fails, it never
// skips. `make test` installs the tools (scripts/deps.sh).
func Need(tb testing.TB, tools ...string) {
	tb.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			tb.Fatalf("%s is not installed: run `make deps-test` (scripts/deps.sh installs what the tests need): %v", tool, err)
		}
	}
}
