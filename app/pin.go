package app

import (
	"math"
	"time"
)

// pinGate rate-limits nurse PIN attempts: the first freeAttempts wrong PINs cost nothing; each
// one after that locks the gate for a delay that doubles, from firstDelay up to maxDelay. A
// right PIN resets it. While locked, attempts are refused without checking the PIN.
type pinGate struct {
	failures    int
	lockedUntil time.Time
}

const (
	pinFreeAttempts = 3
	pinFirstDelay   = 5 * time.Second
	pinMaxDelay     = 5 * time.Minute
	pinMaxLen       = 12
)

// wait returns how long the gate stays locked at now (0 when open).
func (g *pinGate) wait(now time.Time) time.Duration {
	if now.Before(g.lockedUntil) {
		return g.lockedUntil.Sub(now)
	}
	return 0
}

// try checks pin with check at now. It returns whether the PIN opened the gate, and when
// refused, how long until the next attempt may be made (0: right away).
func (g *pinGate) try(now time.Time, pin string, check func(string) bool) (bool, time.Duration) {
	if w := g.wait(now); w > 0 {
		return false, w
	}
	if check != nil && pin != "" && len(pin) <= pinMaxLen && check(pin) {
		g.failures = 0
		g.lockedUntil = time.Time{}
		return true, 0
	}
	g.failures++
	if g.failures < pinFreeAttempts {
		return false, 0
	}
	exp := float64(g.failures - pinFreeAttempts)
	d := time.Duration(float64(pinFirstDelay) * math.Pow(2, exp))
	if d > pinMaxDelay || d <= 0 {
		d = pinMaxDelay
	}
	g.lockedUntil = now.Add(d)
	return false, d
}
