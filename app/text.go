package app

import (
	"image/color"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// fitText is one line of large text that shrinks to fit its width, never below minSize, and
// then shortens with an ellipsis: a long name or greeting never pushes the window wider than
// a small tablet.
type fitText struct {
	widget.BaseWidget

	Text        string
	TextSize    float32 // preferred size
	MinTextSize float32 // smallest size before shortening
	Color       color.Color
	Bold        bool
	Monospace   bool
	Alignment   fyne.TextAlign

	text *canvas.Text
}

func newFitText(s string, size, minSize float32, col color.Color, bold bool, align fyne.TextAlign) *fitText {
	t := &fitText{Text: s, TextSize: size, MinTextSize: minSize, Color: col, Bold: bold, Alignment: align}
	t.text = canvas.NewText(s, col)
	t.ExtendBaseWidget(t)
	return t
}

// SetText changes the text.
func (t *fitText) SetText(s string) {
	t.Text = s
	t.Refresh()
}

// CreateRenderer implements fyne.Widget.
func (t *fitText) CreateRenderer() fyne.WidgetRenderer {
	r := &fitTextRenderer{t: t}
	r.Refresh()
	return r
}

type fitTextRenderer struct{ t *fitText }

func (r *fitTextRenderer) apply() {
	c := r.t.text
	c.Color = r.t.Color
	c.TextStyle = fyne.TextStyle{Bold: r.t.Bold, Monospace: r.t.Monospace}
	c.Alignment = r.t.Alignment
}

func (r *fitTextRenderer) Layout(s fyne.Size) {
	c := r.t.text
	r.apply()
	fitCanvasText(c, r.t.Text, r.t.TextSize, r.t.MinTextSize, s.Width)
	h := c.MinSize().Height
	c.Move(fyne.NewPos(0, (s.Height-h)/2))
	c.Resize(fyne.NewSize(s.Width, h))
	c.Refresh()
}

func (r *fitTextRenderer) MinSize() fyne.Size {
	probe := canvas.NewText(r.t.Text, nil)
	probe.TextSize = r.t.TextSize
	probe.TextStyle = fyne.TextStyle{Bold: r.t.Bold, Monospace: r.t.Monospace}
	m := probe.MinSize()
	return fyne.NewSize(fyne.Min(m.Width, 120), m.Height)
}

func (r *fitTextRenderer) Refresh() { r.Layout(r.t.Size()) }

func (r *fitTextRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.t.text} }

func (r *fitTextRenderer) Destroy() {}

// fitCanvasText sets c to s at size, shrunk towards minSize to fit width w, then shortened with
// an ellipsis. It estimates proportionally first, so it measures only a few times.
func fitCanvasText(c *canvas.Text, s string, size, minSize, w float32) {
	c.Text, c.TextSize = s, size
	if width := c.MinSize().Width; width > w && w > 0 {
		c.TextSize = fyne.Max(minSize, float32(int(size*w/width)))
	}
	for c.TextSize > minSize && c.MinSize().Width > w {
		c.TextSize--
	}
	if c.MinSize().Width <= w {
		return
	}
	runes := []rune(s)
	lo, hi := 0, len(runes) // the longest prefix that fits, by bisection
	for lo < hi {
		mid := (lo + hi + 1) / 2
		c.Text = strings.TrimSpace(string(runes[:mid])) + "…"
		if c.MinSize().Width <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	c.Text = strings.TrimSpace(string(runes[:lo])) + "…"
}
