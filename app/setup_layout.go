package app

import (
	"fyne.io/fyne/v2"
)

// WindowedSize is the window's size when the kiosk is not fullscreen (-windowed, for
// development): a common tablet's screen, where the home screen's tiles fit.
var WindowedSize = fyne.NewSize(1280, 800)

// layoutGap is the space between the parts of the setup screen's layouts.
const layoutGap = 24

// sideBySide lays out a picture and words: side by side, the picture taking the larger share,
// on a screen wider than tall; the picture above the words on one taller than wide (a tablet or
// phone held upright).
func sideBySide(picture, words fyne.CanvasObject) fyne.CanvasObject {
	return fyne.NewContainerWithLayout(&splitLayout{frac: 0.58}, picture, words)
}

// splitLayout puts its first object in the left frac of the width and the second in the rest,
// or, when the space is taller than wide, the first in the top frac of the height.
type splitLayout struct{ frac float32 }

func (l *splitLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if size.Height > size.Width {
		top := (size.Height - layoutGap) * (l.frac - 0.1)
		top = fyne.Max(top, objs[0].MinSize().Height)
		objs[0].Move(fyne.NewPos(0, 0))
		objs[0].Resize(fyne.NewSize(size.Width, top))
		objs[1].Move(fyne.NewPos(0, top+layoutGap))
		objs[1].Resize(fyne.NewSize(size.Width, size.Height-top-layoutGap))
		return
	}
	left := (size.Width - layoutGap) * l.frac
	objs[0].Move(fyne.NewPos(0, 0))
	objs[0].Resize(fyne.NewSize(left, size.Height))
	objs[1].Move(fyne.NewPos(left+layoutGap, 0))
	objs[1].Resize(fyne.NewSize(size.Width-left-layoutGap, size.Height))
}

// MinSize is what fits one of the two arrangements: as wide as the wider part (stacked) and as
// tall as the taller part (side by side).
func (l *splitLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	a, b := objs[0].MinSize(), objs[1].MinSize()
	return fyne.NewSize(fyne.Max(a.Width, b.Width), fyne.Max(a.Height, b.Height))
}

var _ fyne.Layout = (*splitLayout)(nil)

// keyGrid lays out keypad keys in up to cols columns, fewer when the width holds fewer (a
// screen held upright), never fewer than minCols.
type keyGrid struct{ cols, minCols int }

const keyGap = 4

func (g *keyGrid) columns(objs []fyne.CanvasObject, width float32) int {
	key := g.keyMin(objs)
	fit := int((width + keyGap) / (key.Width + keyGap))
	return max(g.minCols, min(g.cols, fit))
}

func (g *keyGrid) keyMin(objs []fyne.CanvasObject) fyne.Size {
	var m fyne.Size
	for _, o := range objs {
		m = m.Max(o.MinSize())
	}
	return m
}

func (g *keyGrid) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	if len(objs) == 0 {
		return
	}
	cols := g.columns(objs, size.Width)
	rows := (len(objs) + cols - 1) / cols
	w := (size.Width - float32(cols-1)*keyGap) / float32(cols)
	h := (size.Height - float32(rows-1)*keyGap) / float32(rows)
	for i, o := range objs {
		r, c := i/cols, i%cols
		o.Move(fyne.NewPos(float32(c)*(w+keyGap), float32(r)*(h+keyGap)))
		o.Resize(fyne.NewSize(w, h))
	}
}

// MinSize is the grid at minCols columns wide and at cols columns tall: what fits either way.
func (g *keyGrid) MinSize(objs []fyne.CanvasObject) fyne.Size {
	if len(objs) == 0 {
		return fyne.Size{}
	}
	key := g.keyMin(objs)
	rows := (len(objs) + g.cols - 1) / g.cols
	return fyne.NewSize(float32(g.minCols)*key.Width+float32(g.minCols-1)*keyGap,
		float32(rows)*key.Height+float32(rows-1)*keyGap)
}

var _ fyne.Layout = (*keyGrid)(nil)

// setupLayout lays out the setup screen: the title with the buttons to the other modes beside
// it, or under it when they do not fit beside it (a screen held upright), then the body.
// Objects: title, buttons, body.
type setupLayout struct{}

const setupGap = 8

// headerHeight is the height of the title and buttons at width, and whether they are stacked.
func (setupLayout) headerHeight(objs []fyne.CanvasObject, width float32) (float32, bool) {
	t, b := objs[0].MinSize(), objs[1].MinSize()
	if t.Width+setupGap+b.Width <= width {
		return fyne.Max(t.Height, b.Height), false
	}
	return t.Height + setupGap + b.Height, true
}

func (l setupLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	title, buttons, body := objs[0], objs[1], objs[2]
	h, stacked := l.headerHeight(objs, size.Width)
	b := buttons.MinSize()
	if stacked {
		title.Move(fyne.NewPos(0, 0))
		title.Resize(fyne.NewSize(size.Width, title.MinSize().Height))
		buttons.Move(fyne.NewPos(0, title.MinSize().Height+setupGap))
		buttons.Resize(fyne.NewSize(fyne.Min(b.Width, size.Width), b.Height))
	} else {
		title.Move(fyne.NewPos(0, (h-title.MinSize().Height)/2))
		title.Resize(fyne.NewSize(size.Width-b.Width-setupGap, title.MinSize().Height))
		buttons.Move(fyne.NewPos(size.Width-b.Width, (h-b.Height)/2))
		buttons.Resize(b)
	}
	body.Move(fyne.NewPos(0, h+setupGap))
	body.Resize(fyne.NewSize(size.Width, size.Height-h-setupGap))
}

// MinSize is the header in one row above the body: a screen too narrow for that row is held
// upright, and has the height to stack it.
func (setupLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	t, b, body := objs[0].MinSize(), objs[1].MinSize(), objs[2].MinSize()
	return fyne.NewSize(fyne.Max(fyne.Max(t.Width, b.Width), body.Width),
		fyne.Max(t.Height, b.Height)+setupGap+body.Height)
}

var _ fyne.Layout = setupLayout{}
