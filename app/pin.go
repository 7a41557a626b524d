package app

import (
	"math"
	"time"

	"fyne.io/fyne/v2"
)

// pinGate rate-limits nurse PIN attempts: the first freeAttempts wrong PINs cost nothing; each
// one after that locks the gate for a delay that doubles, from firstDelay up to maxDelay. A
// right PIN resets it. While locked (wait > 0), attempts are refused without checking the PIN;
// one attempt is checked at a time.
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

// Preference keys that keep the gate across restarts, so that restarting the tablet does not
// buy new free attempts.
const (
	prefPINFailures    = "pinFailures"
	prefPINLockedUntil = "pinLockedUntil" // Unix seconds
)

// restore takes the gate as saved. A lock that would last longer than pinMaxDelay from now (the
// clock went back) lasts pinMaxDelay.
func (g *pinGate) restore(prefs fyne.Preferences, now time.Time) {
	g.failures = max(prefs.Int(prefPINFailures), 0)
	if until := prefs.Int(prefPINLockedUntil); until > 0 {
		g.lockedUntil = time.Unix(int64(until), 0)
		if g.lockedUntil.Sub(now) > pinMaxDelay {
			g.lockedUntil = now.Add(pinMaxDelay)
		}
	}
}

// save keeps the gate.
func (g *pinGate) save(prefs fyne.Preferences) {
	prefs.SetInt(prefPINFailures, g.failures)
	until := 0
	if !g.lockedUntil.IsZero() {
		until = int(math.Ceil(float64(g.lockedUntil.UnixMilli()) / 1000))
	}
	prefs.SetInt(prefPINLockedUntil, until)
}

// wait returns how long the gate stays locked at now (0 when open).
func (g *pinGate) wait(now time.Time) time.Duration {
	if now.Before(g.lockedUntil) {
		return g.lockedUntil.Sub(now)
	}
	return 0
}

// record counts an attempt checked at now: a right PIN opens the gate; a wrong one returns how
// long until the next attempt may be made (0: right away).
func (g *pinGate) record(now time.Time, right bool) time.Duration {
	if right {
		g.failures = 0
		g.lockedUntil = time.Time{}
		return 0
	}
	g.failures++
	if g.failures < pinFreeAttempts {
		return 0
	}
	exp := float64(g.failures - pinFreeAttempts)
	d := time.Duration(float64(pinFirstDelay) * math.Pow(2, exp))
	if d > pinMaxDelay || d <= 0 {
		d = pinMaxDelay
	}
	g.lockedUntil = now.Add(d)
	return d
}
