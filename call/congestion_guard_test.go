package call

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// guardRun steps a dropGuard through looks a quarter of a second apart, as the rate loop
// passes them on: last is what the guard returned the look before.
type guardRun struct {
	g    dropGuard
	now  time.Time
	last int
}

func newGuardRun(start int) *guardRun {
	return &guardRun{now: time.Unix(1000, 0), last: start}
}

func (r *guardRun) look(bps int, usage string, loss float64) int {
	r.now = r.now.Add(rateEvery)
	r.last = r.g.look(r.now, bps, r.last, usage, loss)
	return r.last
}

func TestDropGuardHoldsOnABriefOveruse(t *testing.T) {
	r := newGuardRun(1_400_000)
	assert.Equal(t, 1_400_000, r.look(490_000, "overuse", 0.03), "a sharp fall is held")
	assert.True(t, r.g.holding())
	assert.Equal(t, 1_400_000, r.look(480_000, "normal", 0.03), "the overuse ended at once: still held")
	// Another single look of overuse seconds later, a busy CPU's: still held.
	for range 8 {
		r.look(500_000, "normal", 0.03)
	}
	assert.Equal(t, 1_400_000, r.look(340_000, "overuse", 0.03))
	assert.Equal(t, 1_400_000, r.look(350_000, "normal", 0.03))
	assert.Equal(t, 1_450_000, r.look(1_450_000, "normal", 0.03), "pion caught up: its own again")
	assert.False(t, r.g.holding())
}

func TestDropGuardLetsALastingOveruseThrough(t *testing.T) {
	r := newGuardRun(1_050_000)
	assert.Equal(t, 1_050_000, r.look(255_000, "overuse", 0))
	assert.Equal(t, 1_050_000, r.look(250_000, "overuse", 0))
	assert.Equal(t, 240_000, r.look(240_000, "overuse", 0), "a queue that keeps growing is real")
	assert.False(t, r.g.holding())
	r.look(300_000, "normal", 0)
	assert.Equal(t, 150_000, r.look(150_000, "overuse", 0), "no new hold during the cooldown")
	for range int(guardCooldown / rateEvery) {
		r.look(150_000, "normal", 0)
	}
	assert.Equal(t, 150_000, r.look(100_000, "overuse", 0), "after it, a sharp fall is held again")
}

func TestDropGuardLetsCongestionLossThrough(t *testing.T) {
	r := newGuardRun(800_000)
	assert.Equal(t, 800_000, r.look(300_000, "overuse", 0.05))
	assert.Equal(t, 290_000, r.look(290_000, "normal", lossIsCongestion), "heavy loss: pion's")
	assert.False(t, r.g.holding())

	r = newGuardRun(800_000)
	assert.Equal(t, 300_000, r.look(300_000, "overuse", 0.2), "no hold at heavy loss")
}

func TestDropGuardLeavesSmallFallsAndEnds(t *testing.T) {
	r := newGuardRun(800_000)
	assert.Equal(t, 600_000, r.look(600_000, "overuse", 0), "a fall of a quarter is pion's")
	assert.False(t, r.g.holding())

	r = newGuardRun(0)
	assert.Equal(t, 100_000, r.look(100_000, "overuse", 0), "the first estimate is pion's")

	r = newGuardRun(800_000)
	r.look(200_000, "overuse", 0)
	for range int(guardMax/rateEvery) - 1 {
		assert.Equal(t, 800_000, r.look(200_000, "normal", 0))
	}
	assert.Equal(t, 200_000, r.look(200_000, "normal", 0), "the hold is over after guardMax")
}
