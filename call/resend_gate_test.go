package call

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestResendGateKeepsToItsBudget(t *testing.T) {
	var g resendGate
	g.setBudget(80_000) // 10 kB a second, 2 kB at once
	start := time.Unix(1000, 0)
	g.media(90_000)
	sent := 0
	for i := range 100 { // a NACK flood: a 1000-byte packet asked for every 10 ms for a second
		if g.allow(start.Add(time.Duration(i)*10*time.Millisecond), 90_000, 1000) {
			sent++
		}
	}
	assert.InDelta(t, 12, sent, 1, "the burst (2 packets) and a second at the budget (10)")
	assert.Equal(t, uint64(sent*1000), g.sent.Load())
	assert.Equal(t, uint64(100-sent), g.shed.Load())
}

func TestResendGateSmallBudgetLetsAPacketThrough(t *testing.T) {
	var g resendGate
	g.setBudget(8_000) // 1 kB a second: less than a packet at once
	start := time.Unix(1000, 0)
	assert.True(t, g.allow(start, 0, 1200), "one full packet at once")
	assert.False(t, g.allow(start.Add(100*time.Millisecond), 0, 1200))
	assert.True(t, g.allow(start.Add(1300*time.Millisecond), 0, 1200), "then one at the budget's pace")
}

func TestResendGateDropsTooLateResends(t *testing.T) {
	var g resendGate
	start := time.Unix(1000, 0)
	g.media(4_000_000_000)
	g.media(4_000_000_000 + 90_000) // a second later, across the 32-bit wrap
	assert.False(t, g.allow(start, 4_000_000_000, 1000), "a second old: its frame is given up")
	assert.True(t, g.allow(start, 4_000_000_000+90_000-30_000, 1000), "a third of a second old")
	g.media(4_000_000_000) // a late media packet does not move the newest back
	assert.False(t, g.allow(start, 4_000_000_000, 1000))
	assert.Equal(t, uint64(1000), g.sent.Load(), "no budget set: only the too late are shed")
}
