package call

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// guardRun steps a dropGuard through looks a quarter of a second apart, as the rate loop
// passes them on: last is what the guard returned the look before. What we sent is sent, or
// when that is zero, the rate pion's estimate was cut from (the link carried all we sent).
type guardRun struct {
	g    dropGuard
	now  time.Time
	last int
	sent int
}

func newGuardRun(start int) *guardRun {
	return &guardRun{now: time.Unix(1000, 0), last: start}
}

// look gives the guard pion's estimate bps, whether the delay grows, and the averaged loss.
func (r *guardRun) look(bps int, over bool, loss float64) int {
	r.now = r.now.Add(rateEvery)
	sent := r.sent
	if sent == 0 {
		sent = int(float64(bps) / pionBackoff)
	}
	r.last = r.g.look(r.now, bps, r.last, sent, over, loss)
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
	r.sent = 500_000 // a burst sent before arrived in the window pion measured
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
	r.sent = 100_000
	assert.Equal(t, 150_000, r.look(150_000, over, 0), "no new hold during the cooldown")
	for range int(guardCooldown / rateEvery) {
		r.look(400_000, steady, 0)
	}
	r.sent = 250_000
	assert.Equal(t, 280_000, r.look(200_000, over, 0), "after it, a sharp fall is held again")
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

// The guard holds only the ratchet: a cut below an estimate we did not use, through a link
// that carries what we send.
func TestDropGuardHoldsOnlyWhenTheVideoSentLess(t *testing.T) {
	r := newGuardRun(1_400_000)
	r.sent = 1_300_000
	assert.Equal(t, 430_000, r.look(430_000, over, 0.03), "we sent near the estimate: the queue is ours")
	assert.False(t, r.g.holding())

	r = newGuardRun(1_400_000)
	r.sent = 650_000
	assert.Equal(t, 280_000, r.look(280_000, over, 0), "a narrow link: 650 k sent, 330 k arrived")
	assert.False(t, r.g.holding())

	r = newGuardRun(1_400_000)
	r.sent = 650_000
	assert.Equal(t, 980_000, r.look(470_000, over, 0.03), "650 k sent, 550 k arrived: the ratchet")
	assert.True(t, r.g.holding())

	r = newGuardRun(1_400_000)
	r.sent = -1 // not known yet
	assert.Equal(t, 470_000, r.look(470_000, over, 0))
	assert.False(t, r.g.holding())
}

// A link that narrowed: the first cut's window still held the wider link's rate, the next
// cut shows the link carrying far less than we send.
func TestDropGuardLetsANarrowLinkThrough(t *testing.T) {
	r := newGuardRun(1_430_000)
	r.sent = 650_000
	assert.Equal(t, 1_001_000, r.look(436_000, over, 0), "513 k of 650 k arrived: held")
	assert.Equal(t, 1_001_000, r.look(436_000, over, 0))
	assert.Equal(t, 251_000, r.look(251_000, over, 0), "295 k of 650 k: the link's limit")
	assert.False(t, r.g.holding())
}

// The same, where each of pion's cuts still reads more than guardCarried of what we sent: it
// cut again at once, and again.
func TestDropGuardLetsARecutThrough(t *testing.T) {
	r := newGuardRun(1_430_000)
	r.sent = 634_000
	assert.Equal(t, 1_001_000, r.look(518_000, over, 0), "610 k of 634 k arrived: held")
	assert.Equal(t, 457_000, r.look(457_000, over, 0), "cut again within a second: real")
	assert.False(t, r.g.holding())
	assert.Equal(t, 374_000, r.look(374_000, over, 0), "and no hold for a while")
}

// The ratchet: a second brief overuse seconds after the first is held over as the first was.
func TestDropGuardHoldsOverALaterCut(t *testing.T) {
	r := newGuardRun(1_430_000)
	r.sent = 634_000
	assert.Equal(t, 1_001_000, r.look(518_000, over, 0))
	for range 5 { // 1.25 s of no overuse
		assert.Equal(t, 1_001_000, r.look(530_000, steady, 0))
	}
	assert.Equal(t, 1_001_000, r.look(440_000, over, 0), "cut again, but not at once")
	assert.True(t, r.g.holding())
}

func TestRatchet(t *testing.T) {
	for _, tc := range []struct {
		name       string
		last, sent int
		want       bool
	}{
		{"sent half the estimate", 1_400_000, 650_000, true},
		{"sent at the estimate", 1_400_000, 1_400_000, false},
		{"sent just over guardIdle of it", 1_000_000, 660_000, false},
		{"what we sent not known", 1_400_000, 0, false},
		{"an estimate under guardLeast", 150_000, 70_000, false},
	} {
		assert.Equal(t, tc.want, ratchet(tc.last, tc.sent), tc.name)
	}
}

func TestSentRate(t *testing.T) {
	var r sentRate
	t0 := time.Unix(1000, 0)
	assert.Zero(t, r.add(t0, 1000), "one look: no rate yet")
	assert.Zero(t, r.add(t0.Add(rateEvery), 26_000), "a quarter of a second: too short")
	var bps int
	for i := 2; i <= 12; i++ { // 100 kB a second: 800 kbit/s
		bps = r.add(t0.Add(time.Duration(i)*rateEvery), 1000+uint64(i)*25_000)
	}
	assert.Equal(t, 800_000, bps)
	assert.LessOrEqual(t, len(r.looks), 6, "only the last second is kept")
	for i := 13; i <= 16; i++ { // then 25 kB a second for a second
		bps = r.add(t0.Add(time.Duration(i)*rateEvery), 1000+12*25_000+uint64(i-12)*6_250)
	}
	assert.Equal(t, 200_000, bps, "the last second only")
	assert.Zero(t, r.add(t0.Add(17*rateEvery), 10), "a new transport's count starts over")
}

func TestDelayOver(t *testing.T) {
	assert.True(t, delayOver(map[string]any{"usage": "overuse"}))
	assert.True(t, delayOver(map[string]any{"usage": "normal", "delayEstimate": 200.0, "delayThreshold": 11.0}),
		"pion's trend above its threshold but no longer rising")
	assert.False(t, delayOver(map[string]any{"usage": "normal", "delayEstimate": 5.0, "delayThreshold": 11.0}))
	assert.False(t, delayOver(map[string]any{}), "no figures yet")
}
