package app

import (
	"image"
	"image/color"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestControlBarPaintsBandAndBlocks(t *testing.T) {
	test.NewTempApp(t)
	a := NewBigButton("A", nil, colSurface, nil)
	b := NewBigButton("B", nil, colEnd, nil)
	bar := newControlBar(a, b)
	assert.Equal(t, color.Transparent, a.Color, "the bar paints the buttons' colour")
	w := test.NewTempWindow(t, bar)
	w.Resize(fyne.NewSize(400, 120))
	bar.Resize(fyne.NewSize(400, 120))

	img, ok := bar.paint(800, 240).(*image.RGBA) // at twice the scale
	require.True(t, ok)
	at := func(x, y int) [4]byte {
		o := img.PixOffset(x, y)
		return [4]byte(img.Pix[o : o+4])
	}
	assert.Equal(t, premultiplied(colShade), at(0, 0), "the band between and around the blocks")
	assert.Equal(t, premultiplied(colShade), at(400, 120), "the gap between the blocks")
	assert.Equal(t, premultiplied(colSurface), at(200, 120), "the first block")
	assert.Equal(t, premultiplied(colEnd), at(600, 120), "the second block")
	corner := at(int(2*bar.cells(bar.Size())[0].X)+1, int(2*bar.cells(bar.Size())[0].Y)+1)
	assert.Equal(t, premultiplied(colShade), corner, "a rounded corner leaves the band")

	// The buttons sit in the blocks.
	cs := bar.cellSize(bar.Size())
	assert.Equal(t, cs, a.Size())
	assert.Equal(t, bar.cells(bar.Size())[1], b.Position())
	assert.Greater(t, bar.MinSize().Height, a.MinSize().Height)
}

func TestClipBoxKeepsContentSize(t *testing.T) {
	test.NewTempApp(t)
	v := NewVideoView(SystemClock{}, 0)
	c := newClipBox(v)
	test.NewTempWindow(t, c)
	c.setContentSize(fyne.NewSize(400, 300))
	c.Resize(fyne.NewSize(400, 250))
	assert.Equal(t, fyne.NewSize(400, 300), v.Size(), "the content keeps its size")
	assert.Equal(t, fyne.NewSize(400, 250), c.Size())
	c.setContentSize(fyne.Size{})
	c.Resize(fyne.NewSize(200, 100))
	assert.Equal(t, fyne.NewSize(200, 100), v.Size(), "without one, the box's own")
}
