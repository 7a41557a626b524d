package call

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// nackClock is a hand-driven clock for nackList tests.
type nackClock struct{ t time.Time }

func (c *nackClock) at(ms int) time.Time { return c.t.Add(time.Duration(ms) * time.Millisecond) }

func TestNackListAsksOnceWhenRepaired(t *testing.T) {
	c := nackClock{time.Unix(1000, 0)}
	var l nackList
	l.got(10, false, c.at(0))
	assert.Empty(t, l.due(c.at(0), maxLateDelay))
	l.got(13, false, c.at(30)) // 11 and 12 lost
	assert.Equal(t, []uint16{11, 12}, l.due(c.at(30), maxLateDelay), "asked as soon as found")
	assert.Empty(t, l.due(c.at(60), maxLateDelay), "not again before a round trip")
	l.got(11, true, c.at(230)) // re-sent: a 200 ms round trip
	l.got(12, true, c.at(231))
	assert.Empty(t, l.due(c.at(400), maxLateDelay), "repaired packets are not asked for again")
	assert.InDelta(t, 260*time.Millisecond, l.retry(), float64(time.Millisecond), "the round trip and a margin")
}

func TestNackListAsksAgainAfterARoundTrip(t *testing.T) {
	c := nackClock{time.Unix(1000, 0)}
	var l nackList
	l.got(1, false, c.at(0))
	l.got(2, false, c.at(10))
	l.got(4, false, c.at(20))
	assert.Equal(t, []uint16{3}, l.due(c.at(20), 2*time.Second))
	assert.Empty(t, l.due(c.at(169), 2*time.Second), "the first wait, before a round trip is known")
	assert.Equal(t, []uint16{3}, l.due(c.at(170), 2*time.Second), "the re-send was lost: ask again")
	assert.Equal(t, []uint16{3}, l.due(c.at(320), 2*time.Second))
	assert.Equal(t, []uint16{3}, l.due(c.at(470), 2*time.Second))
	assert.Empty(t, l.due(c.at(620), 2*time.Second), "at most maxNackAsks asks")
	assert.Empty(t, l.lost)
}

func TestNackListGivesUpWithTheFrame(t *testing.T) {
	c := nackClock{time.Unix(1000, 0)}
	var l nackList
	l.got(1, false, c.at(0))
	l.got(3, false, c.at(10))
	assert.Equal(t, []uint16{2}, l.due(c.at(10), 100*time.Millisecond))
	assert.Empty(t, l.due(c.at(200), 100*time.Millisecond), "its frame is no longer waited for")
	assert.Empty(t, l.lost)
}

func TestNackListIgnoresJumpsAndLatePackets(t *testing.T) {
	c := nackClock{time.Unix(1000, 0)}
	var l nackList
	l.got(65534, false, c.at(0))
	l.got(1, false, c.at(10)) // across the wrap: 65535 and 0 lost
	l.got(0, false, c.at(12)) // 0 was only late
	assert.Equal(t, []uint16{65535}, l.due(c.at(12), maxLateDelay))
	l.got(1+maxNackGap+2, false, c.at(20)) // a cut: a keyframe will do
	assert.Empty(t, l.due(c.at(20), maxLateDelay))
	l.got(1, false, c.at(30)) // a duplicate
	assert.Empty(t, l.due(c.at(31), maxLateDelay))
}

// On a round trip longer than the first wait (200 ms against 150 ms) every lost packet was
// asked for twice and the round trip never timed: the first re-send is timed from the first
// ask, and the packets after it are asked for once.
func TestNackListTimesALongRoundTrip(t *testing.T) {
	c := nackClock{time.Unix(1000, 0)}
	var l nackList
	l.got(1, false, c.at(0))
	l.got(3, false, c.at(10))
	assert.Equal(t, []uint16{2}, l.due(c.at(10), maxLateDelay))
	assert.Equal(t, []uint16{2}, l.due(c.at(160), maxLateDelay), "asked again before the re-send could come")
	l.got(2, true, c.at(212)) // the first ask's re-send
	assert.InDelta(t, 202*time.Millisecond, l.repair, float64(time.Millisecond))
	l.got(5, false, c.at(300))
	assert.Equal(t, []uint16{4}, l.due(c.at(300), maxLateDelay))
	assert.Empty(t, l.due(c.at(450), maxLateDelay), "not again within the round trip")
	l.got(4, true, c.at(500))
	assert.Empty(t, l.lost)
}
