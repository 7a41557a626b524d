package app

import (
	"hash/fnv"
	"image/color"
	"strings"
	"unicode"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// Tile is one family contact on the home screen: a photo (or initials on a colour when there is
// none), the name, the relation and a dot that is green when the contact can be called. One tap
// calls.
type Tile struct {
	widget.BaseWidget

	Contact  Contact
	OnTapped func(Contact)
}

// NewTile returns a tile for c.
func NewTile(c Contact, tapped func(Contact)) *Tile {
	t := &Tile{Contact: c, OnTapped: tapped}
	t.ExtendBaseWidget(t)
	return t
}

// Tapped calls the contact.
func (t *Tile) Tapped(*fyne.PointEvent) {
	if t.OnTapped != nil {
		t.OnTapped(t.Contact)
	}
}

// tilePalette colours the initials of contacts without a photo: dark enough for white text.
var tilePalette = []color.NRGBA{
	{R: 0x8e, G: 0x24, B: 0xaa, A: 0xff},
	{R: 0x1e, G: 0x6f, B: 0xc4, A: 0xff},
	{R: 0x00, G: 0x79, B: 0x6b, A: 0xff},
	{R: 0xb3, G: 0x4a, B: 0x00, A: 0xff},
	{R: 0xad, G: 0x14, B: 0x57, A: 0xff},
	{R: 0x39, G: 0x49, B: 0xab, A: 0xff},
	{R: 0x2e, G: 0x7d, B: 0x32, A: 0xff},
	{R: 0x5d, G: 0x40, B: 0x37, A: 0xff},
}

// initials returns up to two upper-case initials of name.
func initials(name string) string {
	var out []rune
	for _, w := range strings.Fields(name) {
		for _, r := range w {
			if unicode.IsLetter(r) || unicode.IsDigit(r) {
				out = append(out, unicode.ToUpper(r))
				break
			}
		}
		if len(out) == 2 {
			break
		}
	}
	if len(out) == 0 {
		return "?"
	}
	return string(out)
}

// avatarColor picks a stable colour for a contact.
func avatarColor(id string) color.Color {
	h := fnv.New32a()
	_, _ = h.Write([]byte(id))
	return tilePalette[int(h.Sum32()%uint32(len(tilePalette)))]
}

// CreateRenderer implements fyne.Widget.
func (t *Tile) CreateRenderer() fyne.WidgetRenderer {
	r := &tileRenderer{t: t}
	r.bg = canvas.NewRectangle(colSurface)
	r.bg.CornerRadius = 24
	r.avatar = canvas.NewRectangle(avatarColor(t.Contact.ID))
	r.avatar.CornerRadius = 18
	r.initials = canvas.NewText("", colForeground)
	r.initials.TextStyle = fyne.TextStyle{Bold: true}
	r.initials.Alignment = fyne.TextAlignCenter
	r.photo = canvas.NewImageFromImage(nil)
	r.photo.FillMode = canvas.ImageFillCover
	r.photo.CornerRadius = 18
	r.name = canvas.NewText("", colForeground)
	r.name.TextStyle = fyne.TextStyle{Bold: true}
	r.name.TextSize = sizeName
	r.name.Alignment = fyne.TextAlignCenter
	r.relation = canvas.NewText("", colMuted)
	r.relation.TextSize = sizeRelation
	r.relation.Alignment = fyne.TextAlignCenter
	r.dim = canvas.NewRectangle(color.NRGBA{R: 0x0b, G: 0x17, B: 0x24, A: 0x80})
	r.dim.CornerRadius = 18
	r.dotRing = canvas.NewCircle(colSurface)
	r.dot = canvas.NewCircle(colOnline)
	r.Refresh()
	return r
}

type tileRenderer struct {
	t               *Tile
	bg, avatar, dim *canvas.Rectangle
	initials        *canvas.Text
	photo           *canvas.Image
	name, relation  *canvas.Text
	dotRing, dot    *canvas.Circle
}

func (r *tileRenderer) Layout(s fyne.Size) {
	pad := theme.Padding() * 2
	r.bg.Resize(s)
	nameH := r.name.MinSize().Height
	relH := float32(0)
	if r.relation.Text != "" {
		relH = r.relation.MinSize().Height
	}
	side := fyne.Min(s.Width-2*pad, s.Height-3*pad-nameH-relH)
	side = fyne.Max(side, 0)
	left := (s.Width - side) / 2
	for _, o := range []fyne.CanvasObject{r.avatar, r.photo, r.dim} {
		o.Resize(fyne.NewSquareSize(side))
		o.Move(fyne.NewPos(left, pad))
	}
	r.initials.TextSize = side * 0.4
	is := r.initials.MinSize()
	r.initials.Move(fyne.NewPos(left, pad+(side-is.Height)/2))
	r.initials.Resize(fyne.NewSize(side, is.Height))
	dot := fyne.Max(side*0.16, 24)
	ring := dot + 8
	r.dotRing.Resize(fyne.NewSquareSize(ring))
	r.dotRing.Move(fyne.NewPos(left+side-ring+4, pad+side-ring+4))
	r.dot.Resize(fyne.NewSquareSize(dot))
	r.dot.Move(fyne.NewPos(left+side-ring+8, pad+side-ring+8))
	r.fitName(s.Width - pad)
	y := pad + side + pad/2
	r.name.Move(fyne.NewPos(0, y))
	r.name.Resize(fyne.NewSize(s.Width, nameH))
	r.relation.Move(fyne.NewPos(0, y+nameH))
	r.relation.Resize(fyne.NewSize(s.Width, relH))
}

// fitName shrinks the name down to minNameSize when it is wider than w, then shortens it
// with an ellipsis.
func (r *tileRenderer) fitName(w float32) {
	fitCanvasText(r.name, r.t.Contact.Name, sizeName, minNameSize, w)
}

// minNameSize is the smallest a contact's name is ever drawn.
const minNameSize = 28

func (r *tileRenderer) MinSize() fyne.Size {
	pad := theme.Padding() * 2
	return fyne.NewSize(120+2*pad, 80+3*pad+r.name.MinSize().Height+r.relation.MinSize().Height)
}

func (r *tileRenderer) Refresh() {
	c := r.t.Contact
	r.name.Text = c.Name
	r.relation.Text = c.Relation
	r.initials.Text = initials(c.Name)
	r.avatar.FillColor = avatarColor(c.ID)
	r.photo.Image = c.Photo
	r.photo.Hidden = c.Photo == nil
	r.initials.Hidden = c.Photo != nil
	// An offline contact's picture is dimmed, beside the grey dot: still tappable (the call
	// then says that they cannot answer), but visibly not there right now.
	r.dim.Hidden = c.Online
	if c.Online {
		r.dot.FillColor = colOnline
	} else {
		r.dot.FillColor = colOffline
	}
	r.Layout(r.t.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

func (r *tileRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.bg, r.avatar, r.photo, r.initials, r.dim, r.name, r.relation, r.dotRing, r.dot}
}

func (r *tileRenderer) Destroy() {}

// tileLayout lays tiles out in the grid that makes them largest, never smaller than minSide
// (the kiosk sets it to a fifth of the window's short side); tiles are a little taller than wide.
type tileLayout struct {
	minSide   func() float32
	lastWidth float32
}

const tileAspect = 1.3 // height / width

func (l *tileLayout) grid(n int, w, h float32) (cols int, tw float32) {
	gap := theme.Padding() * 3
	best, bestCols := float32(0), 1
	for c := 1; c <= n; c++ {
		rows := (n + c - 1) / c
		cw := (w - float32(c-1)*gap) / float32(c)
		ch := (h - float32(rows-1)*gap) / float32(rows)
		side := fyne.Min(cw, ch/tileAspect)
		if side > best {
			best, bestCols = side, c
		}
	}
	minSide := l.min()
	if best < minSide { // does not fit: as many columns of minSide as the width takes; scroll
		bestCols = int((w + gap) / (minSide + gap))
		if bestCols < 1 {
			bestCols = 1
		}
		best = fyne.Min(minSide, w)
	}
	return bestCols, fyne.Min(best, 420)
}

func (l *tileLayout) min() float32 {
	if l.minSide == nil {
		return 150
	}
	return fyne.Max(l.minSide(), 120)
}

func (l *tileLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	l.lastWidth = s.Width
	n := len(objs)
	if n == 0 {
		return
	}
	gap := theme.Padding() * 3
	cols, side := l.grid(n, s.Width, s.Height)
	rows := (n + cols - 1) / cols
	th := side * tileAspect
	totalH := float32(rows)*th + float32(rows-1)*gap
	top := fyne.Max((s.Height-totalH)/2, 0)
	for i, o := range objs {
		row, col := i/cols, i%cols
		inRow := cols
		if row == rows-1 && n%cols != 0 {
			inRow = n % cols
		}
		rowW := float32(inRow)*side + float32(inRow-1)*gap
		left := (s.Width - rowW) / 2
		o.Move(fyne.NewPos(left+float32(col)*(side+gap), top+float32(row)*(th+gap)))
		o.Resize(fyne.NewSize(side, th))
	}
}

func (l *tileLayout) MinSize(objs []fyne.CanvasObject) fyne.Size {
	m := l.min()
	n := len(objs)
	if n == 0 {
		return fyne.NewSize(m, m*tileAspect)
	}
	gap := theme.Padding() * 3
	cols := 1
	if l.lastWidth > 0 {
		cols = max(1, int((l.lastWidth+gap)/(m+gap)))
	}
	rows := (n + cols - 1) / cols
	return fyne.NewSize(m, float32(rows)*m*tileAspect+float32(rows-1)*gap)
}
