package media

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// The tone runs by the clock like a microphone: a reader held up by a busy machine gets the
// chunks it missed at once (a ticker would drop them, and the far end would count them lost),
// up to maxAudioBacklog; a longer stall, or a pause, starts afresh.
func TestClockPacer(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Millisecond) }
	var p clockPacer
	assert.Zero(t, p.due(ms(0)), "the first chunk at once")
	assert.Equal(t, 20*time.Millisecond, p.due(ms(0)), "the next one 20 ms later")
	assert.Equal(t, 15*time.Millisecond, p.due(ms(25)), "due at 40 ms")

	// The reader was held up 100 ms: the chunks due meanwhile come at once, then the pace again.
	for i := range 5 {
		assert.Zero(t, p.due(ms(160)), "chunk %d of the backlog", i)
	}
	assert.Equal(t, 0*time.Millisecond, p.due(ms(160)), "the chunk due at 160 ms")
	assert.Equal(t, 20*time.Millisecond, p.due(ms(160)))

	// Held up a whole second: the sound of that second is gone, the pace starts again.
	assert.Zero(t, p.due(ms(1200)))
	assert.Equal(t, 20*time.Millisecond, p.due(ms(1200)))

	p.reset()
	assert.Zero(t, p.due(ms(1205)), "after a pause, at once")
	assert.Equal(t, 20*time.Millisecond, p.due(ms(1205)))
}
