package callrun

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/internal/netbed"
	"bedside/internal/testkit"
)

// TestAddressChangeKeepsTheCall moves the tablet to another network mid-call (its address
// changes; it is the callee): the call goes on, the same call, without ringing again, media
// comes back both ways, and the server logs one call. How soon it comes back is a figure of
// BenchmarkNetwork/address-change.
func TestAddressChangeKeepsTheCall(t *testing.T) {
	testAddressChange(t, netbed.Tablet)
}

// TestCallerAddressChangeKeepsTheCall: the same when the family's phone, the caller (the end
// that restarts ICE), changes networks. BenchmarkNetwork/address-change-family measures it.
func TestCallerAddressChangeKeepsTheCall(t *testing.T) {
	testAddressChange(t, netbed.Family)
}

func testAddressChange(t *testing.T, host string) {
	testkit.NoLeaks(t)
	w := NewWard(t, bins)
	res := w.Run(t, Scenario{Name: "roam", Warmup: 2 * time.Second, Phases: []Phase{
		{Name: "moved", Hold: 6 * time.Second, Apply: func(b *netbed.Bed) { b.Move(host) }},
	}})
	t.Log(res)
	require.NotZero(t, res.SetUp, "the call came up")
	assert.Equal(t, "ended", res.End, "the family hung up; the call was not dropped")
	moved, ok := res.Window("moved")
	require.True(t, ok)
	last := moved.Seconds[len(moved.Seconds)-1]
	assert.NotZero(t, last.FramesToTablet, "video reaches the tablet again")
	assert.NotZero(t, last.FramesToFam, "video reaches the family again")
	assert.Greater(t, last.AudioToTablet, 50.0, "sound reaches the tablet again")
	assert.Greater(t, last.AudioToFam, 50.0, "sound reaches the family again")

	for who, p := range map[string]*proc{"tablet": w.tablet, "family": res.family} {
		var ids, rings []string
		for _, l := range p.output() {
			if strings.HasPrefix(l.text, "call ") {
				id, _ := field(l.text, "call")
				if len(ids) == 0 || ids[len(ids)-1] != id {
					ids = append(ids, id)
				}
				if st, _ := field(l.text, "state"); st == "ringing" {
					rings = append(rings, id)
				}
			}
		}
		assert.Len(t, ids, 1, "%s: one call", who)
		assert.LessOrEqual(t, len(rings), 1, "%s: it did not ring again", who) // an auto-answered ring may not show
	}
	oneCallLogged(t, w)
}

// oneCallLogged waits until the ward server logged a call ended, and checks it logged one: one
// row in the call log.
func oneCallLogged(t *testing.T, w *Ward) {
	t.Helper()
	logged := func() int {
		b, err := os.ReadFile(w.server.log)
		require.NoError(t, err)
		return strings.Count(string(b), `msg="call ended"`)
	}
	testkit.Eventually(t, "the server logging the call", func() bool { return logged() > 0 })
	assert.Equal(t, 1, logged(), "one row in the call log")
}
