package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// BigButton is a large coloured button for the patient: an optional icon above (or beside) a
// bold label, on a rounded block of colour that is easy to hit at arm's length.
type BigButton struct {
	widget.BaseWidget

	Text     string
	Icon     fyne.Resource
	Color    color.Color
	TextSize float32
	OnTapped func()
	// Compact lowers the minimum size, for keypads on small screens.
	Compact bool

	disabled bool
}

// NewBigButton returns a button with the given label, icon (may be nil) and background colour.
func NewBigButton(text string, icon fyne.Resource, col color.Color, tapped func()) *BigButton {
	b := &BigButton{Text: text, Icon: icon, Color: col, TextSize: sizeButton, OnTapped: tapped}
	b.ExtendBaseWidget(b)
	return b
}

// Tapped runs OnTapped unless the button is disabled.
func (b *BigButton) Tapped(*fyne.PointEvent) {
	if !b.disabled && b.OnTapped != nil {
		b.OnTapped()
	}
}

// SetText changes the label.
func (b *BigButton) SetText(s string) {
	b.Text = s
	b.Refresh()
}

// SetIcon changes the icon.
func (b *BigButton) SetIcon(r fyne.Resource) {
	b.Icon = r
	b.Refresh()
}

// Disable greys the button out and ignores taps; Enable undoes it.
func (b *BigButton) Disable() { b.disabled = true; b.Refresh() }

// Enable makes the button tappable again.
func (b *BigButton) Enable() { b.disabled = false; b.Refresh() }

// Disabled reports whether the button ignores taps.
func (b *BigButton) Disabled() bool { return b.disabled }

// CreateRenderer implements fyne.Widget.
func (b *BigButton) CreateRenderer() fyne.WidgetRenderer {
	bg := canvas.NewRectangle(b.Color)
	bg.CornerRadius = 20
	label := canvas.NewText(b.Text, colForeground)
	label.TextStyle = fyne.TextStyle{Bold: true}
	label.Alignment = fyne.TextAlignCenter
	ic := canvas.NewImageFromResource(b.Icon)
	ic.FillMode = canvas.ImageFillContain
	r := &bigButtonRenderer{b: b, bg: bg, label: label, icon: ic}
	r.Refresh()
	return r
}

type bigButtonRenderer struct {
	b     *BigButton
	bg    *canvas.Rectangle
	label *canvas.Text
	icon  *canvas.Image
}

func (r *bigButtonRenderer) iconSize() float32 {
	if r.b.Compact {
		return r.b.TextSize
	}
	return r.b.TextSize * 1.4
}

func (r *bigButtonRenderer) Layout(s fyne.Size) {
	r.bg.Resize(s)
	pad := theme.Padding() * 2
	ts := r.label.MinSize()
	is := r.iconSize()
	if r.b.Icon == nil || r.b.Text == "" {
		if r.b.Icon == nil {
			r.label.Move(fyne.NewPos(0, (s.Height-ts.Height)/2))
			r.label.Resize(fyne.NewSize(s.Width, ts.Height))
			return
		}
		side := fyne.Min(s.Height-2*pad, is*1.3)
		r.icon.Resize(fyne.NewSquareSize(side))
		r.icon.Move(fyne.NewPos((s.Width-side)/2, (s.Height-side)/2))
		return
	}
	if s.Height >= ts.Height+is+3*pad { // icon above label
		top := (s.Height - ts.Height - is - pad) / 2
		r.icon.Resize(fyne.NewSquareSize(is))
		r.icon.Move(fyne.NewPos((s.Width-is)/2, top))
		r.label.Move(fyne.NewPos(0, top+is+pad))
		r.label.Resize(fyne.NewSize(s.Width, ts.Height))
		return
	}
	w := is + pad + ts.Width // icon beside label
	left := (s.Width - w) / 2
	r.icon.Resize(fyne.NewSquareSize(is))
	r.icon.Move(fyne.NewPos(left, (s.Height-is)/2))
	r.label.Move(fyne.NewPos(left+is+pad, (s.Height-ts.Height)/2))
	r.label.Resize(fyne.NewSize(ts.Width, ts.Height))
}

func (r *bigButtonRenderer) MinSize() fyne.Size {
	pad := theme.Padding() * 2
	ts := r.label.MinSize()
	w, h := ts.Width, ts.Height
	switch {
	case r.b.Icon != nil && r.b.Text == "":
		w, h = r.iconSize(), r.iconSize()
	case r.b.Icon != nil:
		w += r.iconSize() + pad
		h = fyne.Max(h, r.iconSize())
	}
	if r.b.Compact {
		return fyne.NewSize(fyne.Max(w+pad, 48), fyne.Max(h+pad/2, 48))
	}
	return fyne.NewSize(fyne.Max(w+2*pad, 96), fyne.Max(h+2*pad, 88))
}

func (r *bigButtonRenderer) Refresh() {
	col := r.b.Color
	if col == nil {
		col = colSurface
	}
	r.bg.FillColor = col
	r.label.Text = r.b.Text
	r.label.TextSize = r.b.TextSize
	r.label.Color = colForeground
	if r.b.disabled {
		r.bg.FillColor = color.NRGBA{R: 0x22, G: 0x30, B: 0x3e, A: 0xff}
		r.label.Color = colOffline
	}
	r.icon.Resource = r.b.Icon
	r.icon.Hidden = r.b.Icon == nil
	r.bg.Refresh()
	r.label.Refresh()
	r.icon.Refresh()
	r.Layout(r.b.Size())
}

func (r *bigButtonRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.icon, r.label}
}

func (r *bigButtonRenderer) Destroy() {}
