package call

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestLinkRate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bps   int
		stats map[string]any
		loss  float64
		want  int
	}{
		{"random loss under the threshold: the delay-based estimate", 300_000,
			map[string]any{"delayTargetBitrate": 800_000}, 0.03, 800_000},
		{"10 % of random loss: still the delay-based estimate", 300_000,
			map[string]any{"delayTargetBitrate": 800_000}, 0.10, 800_000},
		{"heavy loss: pion's", 300_000,
			map[string]any{"delayTargetBitrate": 800_000}, 0.16, 300_000},
		{"no figures yet: pion's", 300_000, map[string]any{}, 0, 300_000},
		{"never below pion's", 300_000,
			map[string]any{"delayTargetBitrate": 200_000}, 0.0, 300_000},
	} {
		assert.Equal(t, tc.want, linkRate(tc.bps, tc.stats, tc.loss), tc.name)
	}
}

// pion's 200 ms loss figure swings around a steady 10 % of random loss; its average over
// lossWindow stays near 10 %, under the threshold, and follows a real change within seconds.
func TestLossAverage(t *testing.T) {
	t0 := time.Unix(1000, 0)
	var a lossAverage
	var avg float64
	for i := range 40 { // 10 s, one look every 250 ms: 4 %, 16 %, 4 %, 16 %...
		loss := 0.04
		if i%2 == 1 {
			loss = 0.16
		}
		avg = a.add(t0.Add(time.Duration(i)*rateEvery), map[string]any{"averageLoss": loss})
		if i > 4 {
			assert.Less(t, avg, lossIsCongestion, "look %d", i)
		}
	}
	assert.InDelta(t, 0.10, avg, 0.02)
	for i := 40; i < 60; i++ { // then 30 % for 5 s: congestion
		avg = a.add(t0.Add(time.Duration(i)*rateEvery), map[string]any{"averageLoss": 0.30})
	}
	assert.Greater(t, avg, lossIsCongestion)
	avg = a.add(t0.Add(60*rateEvery), map[string]any{})
	assert.Less(t, avg, 0.30, "no figure counts as no loss")
}
