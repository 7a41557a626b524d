package callrun

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/internal/netbed"
	"bedside/internal/testkit"
)

// bins are the commands built once for every test and benchmark of the package.
var bins Binaries

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "callrun-bin-")
	if err == nil {
		bins, err = Build(dir)
	}
	code := 1
	if err == nil {
		code = m.Run()
	} else {
		fmt.Fprintln(os.Stderr, "callrun:", err)
	}
	if dir != "" {
		_ = os.RemoveAll(dir)
	}
	os.Exit(code)
}

func TestCleanCallThroughTheTestbed(t *testing.T) {
	testkit.NoLeaks(t)
	w := NewWard(t, bins)
	res := w.Run(t, Scenario{Name: "clean", Warmup: 3 * time.Second})
	t.Log(res)
	t.Log("\n" + res.PerSecond())
	require.NotZero(t, res.SetUp, "the call came up")
	assert.Equal(t, "ended", res.End, "the family hung up; the call was not dropped")
	win, ok := res.Window("warmup")
	require.True(t, ok)
	require.GreaterOrEqual(t, len(win.Seconds), 3)
	assert.NotZero(t, win.Seconds[2].FramesToTablet+win.Seconds[2].FramesToFam)
	for _, way := range []Way{win.ToTablet, win.ToFam} {
		assert.NotZero(t, way.FramesSeen, "video arrives both ways")
		assert.Greater(t, way.AudioPct, 0.0, "audio arrives both ways")
	}
	// The media went through the router, and it dropped nothing.
	for _, stage := range []string{"tablet/up", "tablet/down", "family/up", "family/down"} {
		assert.Greater(t, res.Router[stage].OutBytes, uint64(100_000), stage)
		assert.Zero(t, res.Router[stage].Dropped(), stage)
	}
}

// TestImpairmentsShowInACall takes one call through loss, a rate limit and a cut and checks
// each on the router's counters (what the network did), and that the cut froze the picture.
func TestImpairmentsShowInACall(t *testing.T) {
	testkit.NoLeaks(t)
	w := NewWard(t, bins)
	var counters []map[string]netbed.Counters
	snap := func(b *netbed.Bed) { counters = append(counters, b.Stats()) }
	res := w.Run(t, Scenario{Name: "impaired", Warmup: 2 * time.Second, After: 3 * time.Second, Phases: []Phase{
		{Name: "loss", Hold: 3 * time.Second, Apply: func(b *netbed.Bed) {
			snap(b)
			b.Set(netbed.Tablet, netbed.Both, netbed.Impairment{LossPct: 10})
		}},
		{Name: "rate", Hold: 3 * time.Second, Apply: func(b *netbed.Bed) {
			snap(b)
			b.Set(netbed.Tablet, netbed.Both, netbed.Impairment{RateKbps: 100})
		}},
		{Name: "cut", Hold: 3 * time.Second, Apply: func(b *netbed.Bed) {
			snap(b)
			b.Cut(netbed.Tablet, true)
		}},
	}})
	t.Log(res)
	require.NotZero(t, res.SetUp, "the call came up")
	require.Len(t, counters, 3)
	after := res.Router
	for _, stage := range []string{"tablet/up", "tablet/down"} {
		assert.Greater(t, counters[1][stage].DropLoss, counters[0][stage].DropLoss, "loss on %s", stage)
		assert.Zero(t, counters[0][stage].Dropped(), "nothing dropped before the loss on %s", stage)
		// The limit holds what passes to its rate (plus its queue). Whether its queue also
		// overflows depends on how fast the sender steps down, which the engine now does.
		passed := float64(counters[2][stage].OutBytes-counters[1][stage].OutBytes) * 8 / 3
		assert.LessOrEqual(t, passed, 100_000*1.3, "the rate limit holds on %s", stage)
		assert.Greater(t, after[stage].DropCut, counters[2][stage].DropCut, "the cut on %s", stage)
	}
	cut, ok := res.Window("cut")
	require.True(t, ok)
	for _, way := range []Way{cut.ToTablet, cut.ToFam} {
		assert.GreaterOrEqual(t, way.Freezes, 1, "a 3 s cut freezes the picture")
	}
}
