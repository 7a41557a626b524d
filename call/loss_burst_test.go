package call

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// burstWatch is what the receiving loop does with each packet: its nackList finds what is
// missing, its lossBurst looks for a burst.
type burstWatch struct {
	nacks nackList
	burst lossBurst
}

func (w *burstWatch) got(seq uint16, at time.Time) bool {
	newest, missing := w.nacks.got(seq, false, at)
	return newest && w.burst.got(at, missing)
}

// burstFeed sends n packets at 60 a second (640x480 at 30 fps) from seq, each lost with
// probability loss, into b, and returns how many times it asked for a keyframe and the next
// sequence number and time.
func burstFeed(b *burstWatch, rng *rand.Rand, seq uint16, at time.Time, n int, loss float64) (asks int, next uint16, end time.Time) {
	for range n {
		at = at.Add(time.Second / 60)
		if rng.Float64() >= loss && b.got(seq, at) {
			asks++
		}
		seq++
	}
	return asks, seq, at
}

func TestLossBurstNotForRandomLoss(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var b burstWatch
	asks, _, _ := burstFeed(&b, rng, 100, time.Unix(1000, 0), 60*600, 0.10) // ten minutes of 10 %
	assert.LessOrEqual(t, asks, 1, "random loss of 10 %% is not a burst")
}

func TestLossBurstAsksOnceASecond(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var b burstWatch
	asks, seq, at := burstFeed(&b, rng, 65000, time.Unix(1000, 0), 120, 0) // clean, across the wrap
	assert.Zero(t, asks)
	// A queue that overflows: more than half the packets dropped, for two seconds.
	asks, seq, at = burstFeed(&b, rng, seq, at, 120, 0.57)
	assert.Equal(t, 2, asks, "asked at the start of the burst, then once a second")
	asks, _, _ = burstFeed(&b, rng, seq, at, 120, 0)
	assert.Zero(t, asks, "the link recovered")
}

func TestLossBurstNotForACut(t *testing.T) {
	var b burstWatch
	at := time.Unix(1000, 0)
	assert.False(t, b.got(1, at))
	assert.False(t, b.got(2, at.Add(10*time.Millisecond)))
	// 20 s of nothing, then the stream goes on far ahead: a keyframe is asked for anyway.
	assert.False(t, b.got(2+1200, at.Add(20*time.Second)))
	assert.False(t, b.got(2, at.Add(20*time.Second)), "a late packet")
}
