package app

import (
	"testing"

	"fyne.io/fyne/v2"
	"github.com/stretchr/testify/assert"
)

// The grid for 1, 2, 3-4 and 5+ others: one full screen; two side by side (stacked on a
// screen held upright); a 2×2 grid; the speaker large above a strip of the others.
func TestGroupCells(t *testing.T) {
	land, port := fyne.NewSize(1280, 700), fyne.NewSize(700, 1200)
	pos, size := groupCells(1, 0, land)
	assert.Equal(t, fyne.NewPos(0, 0), pos[0])
	assert.Equal(t, land, size[0], "one other: the whole area")

	pos, size = groupCells(2, 0, land)
	assert.Equal(t, pos[0].Y, pos[1].Y, "two: side by side")
	assert.Greater(t, pos[1].X, pos[0].X+size[0].Width-1)
	assert.Equal(t, land.Height, size[0].Height)
	pos, size = groupCells(2, 0, port)
	assert.Equal(t, pos[0].X, pos[1].X, "two on an upright screen: one above the other")
	assert.Equal(t, port.Width, size[0].Width)

	for _, n := range []int{3, 4} {
		pos, size = groupCells(n, 0, land)
		for i := range n {
			assert.InDelta(t, land.Width/2, size[i].Width, 8, "%d: half the width", n)
			assert.InDelta(t, land.Height/2, size[i].Height, 8, "%d: half the height", n)
		}
		assert.Equal(t, pos[0].Y, pos[1].Y)
		assert.Greater(t, pos[2].Y, pos[0].Y)
	}
	pos, _ = groupCells(3, 0, land)
	assert.InDelta(t, land.Width/4, pos[2].X, 8, "the third of three is centred below")

	for _, n := range []int{5, 6} {
		pos, size = groupCells(n, 2, land)
		assert.Equal(t, fyne.NewPos(0, 0), pos[2], "%d: the speaker on top", n)
		assert.Equal(t, land.Width, size[2].Width)
		assert.Greater(t, size[2].Height, land.Height/2)
		for i := range n {
			if i != 2 {
				assert.Greater(t, pos[i].Y, size[2].Height-1, "%d: the others in the strip", n)
				assert.Less(t, size[i].Height, size[2].Height/2)
			}
		}
	}
}

// The speaker changes only for a clearly louder voice.
func TestSpeakerOf(t *testing.T) {
	parts := []Participant{{Level: 0.3}, {Level: 0.4}, {Level: 0.1}}
	assert.Equal(t, 0, speakerOf(parts, 0), "not clearly louder")
	parts[1].Level = 0.6
	assert.Equal(t, 1, speakerOf(parts, 0))
	assert.Equal(t, 0, speakerOf(nil, 3))
}
