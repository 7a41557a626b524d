package browsertest

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/chromedp"
)

// Console is what a tab wrote to its console, and the exceptions it did not catch, from Watch
// on. It is safe for concurrent use.
type Console struct {
	mu         sync.Mutex
	lines      []string
	exceptions []string
}

// Watch keeps the console of the tab of ctx until ctx ends.
func Watch(ctx context.Context) *Console {
	c := &Console{}
	messages := chromedp.Console(ctx) // subscribed now, not when the goroutine starts
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			c.add(m)
		}
	}()
	return c
}

func (c *Console) add(m chromedp.ConsoleMessage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = append(c.lines, m.String())
	if m.IsException() {
		c.exceptions = append(c.exceptions, m.String())
	}
}

// Lines returns every message so far, one a line.
func (c *Console) Lines() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.lines...)
}

// Exceptions returns the uncaught exceptions so far.
func (c *Console) Exceptions() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.exceptions...)
}

// watchUntilCleanup watches the tab's console; when the test ends it fails the test if the
// page threw, and prints the console if the test failed (or always, with o.LogConsole).
func watchUntilCleanup(tb testing.TB, ctx context.Context, o Options) {
	c := Watch(ctx)
	tb.Cleanup(func() {
		if ex := c.Exceptions(); len(ex) > 0 {
			tb.Errorf("the page threw:\n%s", strings.Join(ex, "\n"))
		}
		if tb.Failed() || o.LogConsole {
			tb.Logf("page console:\n%s", strings.Join(c.Lines(), "\n"))
		}
	})
}
