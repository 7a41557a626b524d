package call

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestLinkRate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		bps   int
		stats map[string]any
		want  int
	}{
		{"random loss under the threshold: the delay-based estimate", 300_000,
			map[string]any{"delayTargetBitrate": 800_000, "averageLoss": 0.03}, 800_000},
		{"heavy loss: pion's", 300_000,
			map[string]any{"delayTargetBitrate": 800_000, "averageLoss": 0.12}, 300_000},
		{"no figures yet: pion's", 300_000, map[string]any{}, 300_000},
		{"never below pion's", 300_000,
			map[string]any{"delayTargetBitrate": 200_000, "averageLoss": 0.0}, 300_000},
	} {
		assert.Equal(t, tc.want, linkRate(tc.bps, tc.stats), tc.name)
	}
}
