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

// look gives the guard pion's estimate bps, whether the delay grows, and the averaged loss.
func (r *guardRun) look(bps int, over bool, loss float64) int {
	r.now = r.now.Add(rateEvery)
	r.last = r.g.look(r.now, bps, r.last, over, loss)
	return r.last
}

const (
	over   = true
	steady = false
)

func TestDropGuardHoldsTheCarriedRateOnABriefOveruse(t *testing.T) {
	r := newGuardRun(1_400_000)
	assert.Equal(t, 980_000, r.look(425_000, over, 0.03), "a sharp fall: 0.7 of the estimate before is held")
	assert.True(t, r.g.holding())
	assert.Equal(t, 980_000, r.look(420_000, steady, 0.03))
	// More brief overuses (a busy CPU's) while the video sends less: the hold stays.
	for range 3 {
		for range 6 {
			assert.Equal(t, 980_000, r.look(430_000, steady, 0.03))
		}
		assert.Equal(t, 980_000, r.look(300_000, over, 0.03))
		assert.Equal(t, 980_000, r.look(300_000, over, 0.03))
	}
	assert.Equal(t, 990_000, r.look(990_000, steady, 0.03), "pion caught up: its own again")
	assert.False(t, r.g.holding())
}

func TestDropGuardHoldsTheCarriedRate(t *testing.T) {
	r := newGuardRun(800_000)
	assert.Equal(t, 600_000, r.look(510_000, over, 0), "below 0.7 of 800 k, but 600 k was carried")

	r = newGuardRun(400_000)
	assert.Equal(t, 280_000, r.look(30_000, over, 0), "a stall (pion at its floor): 0.7 of the estimate before")
}

func TestDropGuardLetsALastingOveruseThrough(t *testing.T) {
	r := newGuardRun(1_050_000)
	assert.Equal(t, 735_000, r.look(255_000, over, 0))
	for range int(guardOveruse/rateEvery) - 1 {
		assert.Equal(t, 735_000, r.look(250_000, over, 0))
	}
	assert.Equal(t, 240_000, r.look(240_000, over, 0), "a queue that stays is real")
	assert.False(t, r.g.holding())
	r.look(240_000, steady, 0)
	assert.Equal(t, 150_000, r.look(150_000, over, 0), "no new hold during the cooldown")
	for range int(guardCooldown / rateEvery) {
		r.look(150_000, steady, 0)
	}
	assert.Equal(t, 117_647, r.look(100_000, over, 0), "after it, a sharp fall is held again")
}

func TestDropGuardLetsCongestionLossThrough(t *testing.T) {
	r := newGuardRun(800_000)
	assert.Equal(t, 560_000, r.look(340_000, over, 0.05))
	assert.Equal(t, 290_000, r.look(290_000, steady, lossIsCongestion), "heavy loss: pion's")
	assert.False(t, r.g.holding())

	r = newGuardRun(800_000)
	assert.Equal(t, 300_000, r.look(300_000, over, 0.2), "no hold at heavy loss")
}

func TestDropGuardLeavesSmallFallsAndEnds(t *testing.T) {
	r := newGuardRun(800_000)
	assert.Equal(t, 600_000, r.look(600_000, over, 0), "a fall of a quarter is pion's")
	assert.False(t, r.g.holding())

	r = newGuardRun(0)
	assert.Equal(t, 100_000, r.look(100_000, over, 0), "the first estimate is pion's")

	r = newGuardRun(800_000)
	r.look(170_000, over, 0)
	for range int(guardMax/rateEvery) - 1 {
		assert.Equal(t, 560_000, r.look(170_000, steady, 0))
	}
	assert.Equal(t, 170_000, r.look(170_000, steady, 0), "the hold is over after guardMax")
}

func TestDelayOver(t *testing.T) {
	assert.True(t, delayOver(map[string]any{"usage": "overuse"}))
	assert.True(t, delayOver(map[string]any{"usage": "normal", "delayEstimate": 200.0, "delayThreshold": 11.0}),
		"pion's trend above its threshold but no longer rising")
	assert.False(t, delayOver(map[string]any{"usage": "normal", "delayEstimate": 5.0, "delayThreshold": 11.0}))
	assert.False(t, delayOver(map[string]any{}), "no figures yet")
}
