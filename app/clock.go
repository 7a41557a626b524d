package app

import "time"

// Clock is the time source of every timer in the kiosk: the home clock, call durations, the
// stall detector, the auto-answer countdown and the PIN back-off. Tests inject a fake one.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once, on some goroutine, after d.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop prevents the call if it has not happened yet.
	Stop() bool
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// ticker calls f on the UI goroutine every period until stopped. It reschedules itself with the
// kiosk's clock, so a fake clock drives it step by step.
type ticker struct {
	clock  Clock
	do     func(func())
	period time.Duration
	f      func()
	timer  Timer
	done   bool
}

func (k *Kiosk) newTicker(period time.Duration, f func()) *ticker {
	t := &ticker{clock: k.clock, do: k.do, period: period, f: f}
	t.schedule(period)
	return t
}

func (t *ticker) schedule(d time.Duration) {
	t.timer = t.clock.AfterFunc(d, func() {
		t.do(func() {
			if t.done {
				return
			}
			t.f()
			if !t.done {
				t.schedule(t.period)
			}
		})
	})
}

// stop must run on the UI goroutine.
func (t *ticker) stop() {
	if t == nil {
		return
	}
	t.done = true
	if t.timer != nil {
		t.timer.Stop()
	}
}
