package app

import (
	"image"
	"image/color"
	"strings"
	"sync/atomic"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The in-call grid of a group call. One other participant fills the screen, as in a call of
// two; two sit side by side (one above the other on a screen held upright); three or four
// share a 2×2 grid; five or more show the one speaking large and the others in a strip below.
// Every tile has the participant's name under it ("Guest · Interpreter" under a guest's), and
// shows their photo when their picture does not come (beyond what the tablet decodes, a camera
// off, a thin link) or while they are being rung ("Calling Anna…").

// groupCells returns the position and size of each of n tiles in an area of size s.
func groupCells(n, speaker int, s fyne.Size) ([]fyne.Position, []fyne.Size) {
	gap := theme.Padding()
	pos, size := make([]fyne.Position, n), make([]fyne.Size, n)
	grid := func(cols, rows int) {
		cw := (s.Width - float32(cols-1)*gap) / float32(cols)
		ch := (s.Height - float32(rows-1)*gap) / float32(rows)
		for i := range n {
			r, c := i/cols, i%cols
			left := float32(c) * (cw + gap)
			if r == rows-1 && n%cols != 0 { // a short last row is centred
				left += (s.Width - float32(n%cols)*cw - float32(n%cols-1)*gap) / 2
			}
			pos[i] = fyne.NewPos(left, float32(r)*(ch+gap))
			size[i] = fyne.NewSize(cw, ch)
		}
	}
	switch {
	case n <= 0:
	case n == 1:
		size[0] = s
	case n == 2 && s.Width >= s.Height:
		grid(2, 1)
	case n == 2:
		grid(1, 2)
	case n <= 4:
		grid(2, 2)
	default:
		speaker = min(max(speaker, 0), n-1)
		stripH := s.Height * 0.28
		bigH := s.Height - stripH - gap
		pos[speaker], size[speaker] = fyne.NewPos(0, 0), fyne.NewSize(s.Width, bigH)
		others := n - 1
		cw := (s.Width - float32(others-1)*gap) / float32(others)
		j := 0
		for i := range n {
			if i == speaker {
				continue
			}
			pos[i] = fyne.NewPos(float32(j)*(cw+gap), bigH+gap)
			size[i] = fyne.NewSize(cw, stripH)
			j++
		}
	}
	return pos, size
}

// groupLayout lays out a group grid's tiles with groupCells.
type groupLayout struct{ speaker int }

func (l *groupLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	pos, size := groupCells(len(objs), l.speaker, s)
	for i, o := range objs {
		o.Move(pos[i])
		o.Resize(size[i])
	}
}

func (l *groupLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(320, 240) }

// speakerOf returns the index of the loudest participant, keeping the current one (cur) unless
// another is clearly louder, so that the large tile does not flicker between two voices.
func speakerOf(parts []Participant, cur int) int {
	if cur < 0 || cur >= len(parts) {
		cur = 0
	}
	best := cur
	for i, p := range parts {
		if p.Level > parts[best].Level+0.15 {
			best = i
		}
	}
	return best
}

// partCaption is the line under a participant's tile: their name, or "Guest · role".
func partCaption(tr *translator, p Participant) (name, second string) {
	name = p.Name
	if p.Guest {
		role := p.Relation
		if role == "" {
			role = "?"
		}
		second = tr.T("group.guest", map[string]any{"Role": role})
	}
	return name, second
}

// partStatus is what a tile says over the photo of a participant not (yet) in the call.
func partStatus(tr *translator, p Participant) string {
	args := map[string]any{"Name": p.Name}
	switch p.State {
	case PartRinging:
		return tr.T("group.calling", args)
	case PartConnecting:
		return tr.T("incall.connecting")
	case PartReconnecting:
		return tr.T("incall.reconnecting")
	case PartDeclined:
		return tr.T("group.declined", args)
	case PartMissed:
		return tr.T("group.missed", args)
	case PartLost:
		return tr.T("group.lost")
	}
	return ""
}

// partTile is one participant in the grid: their video, or their photo (initials on a colour
// without one), the name under it, and what is happening over it.
type partTile struct {
	widget.BaseWidget

	part    Participant
	name    string
	second  string
	status  string
	speaker bool
	video   *VideoView
}

func newPartTile(v *VideoView) *partTile {
	t := &partTile{video: v}
	t.ExtendBaseWidget(t)
	return t
}

// set shows p; call Refresh after.
func (t *partTile) set(tr *translator, p Participant, speaker bool) {
	t.part, t.speaker = p, speaker
	t.name, t.second = partCaption(tr, p)
	t.status = partStatus(tr, p)
}

// showsVideo says whether the tile shows the participant's picture rather than their photo.
func (t *partTile) showsVideo() bool { return t.part.Video && t.part.State == PartInCall }

func (t *partTile) CreateRenderer() fyne.WidgetRenderer {
	r := &partTileRenderer{t: t}
	r.bg = canvas.NewRectangle(colSurface)
	r.avatar = canvas.NewRectangle(colSurface)
	r.avatar.CornerRadius = 18
	r.initials = canvas.NewText("", colForeground)
	r.initials.TextStyle = fyne.TextStyle{Bold: true}
	r.initials.Alignment = fyne.TextAlignCenter
	r.photo = canvas.NewImageFromImage(nil)
	r.photo.FillMode = canvas.ImageFillCover
	r.photo.CornerRadius = 18
	r.band = canvas.NewRectangle(colShade)
	r.name = canvas.NewText("", colForeground)
	r.name.TextStyle = fyne.TextStyle{Bold: true}
	r.name.Alignment = fyne.TextAlignCenter
	r.second = canvas.NewText("", colPrimary)
	r.second.Alignment = fyne.TextAlignCenter
	r.status = canvas.NewText("", colForeground)
	r.status.TextStyle = fyne.TextStyle{Bold: true}
	r.status.Alignment = fyne.TextAlignCenter
	r.statusBg = canvas.NewRectangle(colShade)
	r.statusBg.CornerRadius = 12
	r.ring = canvas.NewRectangle(color.Transparent)
	r.ring.StrokeColor = colPrimary
	r.ring.StrokeWidth = 6
	r.Refresh()
	return r
}

type partTileRenderer struct {
	t                          *partTile
	bg, avatar, band, statusBg *canvas.Rectangle
	ring                       *canvas.Rectangle
	initials, name, second     *canvas.Text
	status                     *canvas.Text
	photo                      *canvas.Image
}

func (r *partTileRenderer) Layout(s fyne.Size) {
	pad := theme.Padding()
	r.bg.Resize(s)
	r.ring.Resize(s)
	if r.t.video != nil {
		r.t.video.Move(fyne.NewPos(0, 0))
		r.t.video.Resize(s)
	}
	// The caption: the name at least 28 points, its second line below.
	nameSize := fyne.Min(sizeName, fyne.Max(minNameSize, s.Height/8))
	fitCanvasText(r.name, r.t.name, nameSize, minNameSize*0.8, s.Width-2*pad)
	fitCanvasText(r.second, r.t.second, sizeRelation, 18, s.Width-2*pad)
	nh := r.name.MinSize().Height
	sh := float32(0)
	if r.t.second != "" {
		sh = r.second.MinSize().Height
	}
	bandH := nh + sh + pad
	r.band.Move(fyne.NewPos(0, s.Height-bandH))
	r.band.Resize(fyne.NewSize(s.Width, bandH))
	r.name.Move(fyne.NewPos(0, s.Height-bandH+pad/2))
	r.name.Resize(fyne.NewSize(s.Width, nh))
	r.second.Move(fyne.NewPos(0, s.Height-bandH+pad/2+nh))
	r.second.Resize(fyne.NewSize(s.Width, sh))
	// The photo: a square above the caption.
	side := fyne.Max(fyne.Min(s.Width-4*pad, s.Height-bandH-4*pad), 0)
	left, top := (s.Width-side)/2, (s.Height-bandH-side)/2
	for _, o := range []fyne.CanvasObject{r.avatar, r.photo} {
		o.Move(fyne.NewPos(left, top))
		o.Resize(fyne.NewSquareSize(side))
	}
	r.initials.TextSize = side * 0.4
	is := r.initials.MinSize()
	r.initials.Move(fyne.NewPos(left, top+(side-is.Height)/2))
	r.initials.Resize(fyne.NewSize(side, is.Height))
	// What is happening, over the middle of the photo.
	fitCanvasText(r.status, r.t.status, sizeBody, 18, s.Width-4*pad)
	st := r.status.MinSize()
	r.status.Move(fyne.NewPos(0, top+side/2-st.Height/2))
	r.status.Resize(fyne.NewSize(s.Width, st.Height))
	bw := fyne.Min(st.Width+4*pad, s.Width)
	r.statusBg.Move(fyne.NewPos((s.Width-bw)/2, top+side/2-st.Height/2-pad))
	r.statusBg.Resize(fyne.NewSize(bw, st.Height+2*pad))
}

func (r *partTileRenderer) MinSize() fyne.Size { return fyne.NewSize(120, 100) }

func (r *partTileRenderer) Refresh() {
	t := r.t
	p := t.part
	video := t.showsVideo()
	r.bg.FillColor = colSurface
	if video {
		r.bg.FillColor = color.Black // the letterbox around a picture
	}
	r.avatar.FillColor = avatarColor(p.ID)
	r.photo.Image = p.Photo
	r.initials.Text = initials(p.Name)
	r.photo.Hidden = video || p.Photo == nil
	r.avatar.Hidden = video || p.Photo != nil
	r.initials.Hidden = video || p.Photo != nil
	if t.video != nil {
		t.video.Hidden = !video
	}
	r.status.Hidden = t.status == ""
	r.statusBg.Hidden = t.status == ""
	r.ring.Hidden = !t.speaker
	r.Layout(t.Size())
	for _, o := range r.Objects() {
		o.Refresh()
	}
}

func (r *partTileRenderer) Objects() []fyne.CanvasObject {
	objs := []fyne.CanvasObject{r.bg, r.avatar, r.photo, r.initials}
	if r.t.video != nil {
		objs = append(objs, r.t.video)
	}
	return append(objs, r.statusBg, r.status, r.band, r.name, r.second, r.ring)
}

func (r *partTileRenderer) Destroy() {}

// peerViews routes each participant's frames to their tile's view. The engine calls Frame on
// its goroutines; the in-call screen publishes a new routing table (copy on write) whenever
// the tiles change.
type peerViews struct {
	routes atomic.Pointer[map[string]*VideoView]
}

func (p *peerViews) set(m map[string]*VideoView) { p.routes.Store(&m) }

func (p *peerViews) sink(id string) VideoSink { return peerSink{p: p, id: id} }

type peerSink struct {
	p  *peerViews
	id string
}

func (s peerSink) Frame(img image.Image) {
	if m := s.p.routes.Load(); m != nil {
		if v := (*m)[s.id]; v != nil {
			v.Frame(img)
		}
	}
}

// joinNames is the top strip's text in a group call: everyone's first names.
func joinNames(parts []Participant) string {
	names := make([]string, 0, len(parts))
	for _, p := range parts {
		if p.State == PartInCall || p.State == PartConnecting || p.State == PartReconnecting {
			names = append(names, strings.Fields(p.Name + " ?")[0])
		}
	}
	return strings.Join(names, ", ")
}
