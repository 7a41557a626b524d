package app

import (
	"context"
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
)

// groupView is the part of the in-call screen that group calls add: the grid of tiles that
// replaces the one full-screen picture when there is more than one other participant, and the
// Add button with its panel of the patient's contacts.
type groupView struct {
	content *fyne.Container // the in-call screen's inCallLayout container
	single  fyne.CanvasObject
	grid    *fyne.Container
	layout  *groupLayout
	tiles   map[string]*partTile
	parts   []Participant
	grouped bool // the grid is on show

	add      *BigButton // nil when the patient cannot add anyone
	addPanel *fyne.Container
}

// PeerVideo is where the call engine sends the decoded frames of participant id: their tile,
// or the full-screen view in a call of two. Safe from any goroutine; Frame never blocks, and
// drops frames of a participant without a tile.
func (k *Kiosk) PeerVideo(id string) VideoSink { return k.peers.sink(id) }

// peerView returns participant id's view, made once per call.
func (k *Kiosk) peerView(id string) *VideoView {
	if v := k.peerViews[id]; v != nil {
		return v
	}
	v := NewVideoView(k.clock, canvas.ImageFillContain)
	k.peerViews[id] = v
	return v
}

// canAdd says whether the in-call screen offers Add: the nurse allows group calls for this
// patient, and the engine can ring someone in.
func (k *Kiosk) canAdd() bool {
	_, ok := k.currentPhone().(Adder)
	return ok && k.patient.GroupCalls
}

// newGroupView makes the in-call screen's group parts; single is the full-screen picture.
func (k *Kiosk) newGroupView(single fyne.CanvasObject) *groupView {
	g := &groupView{single: single, layout: &groupLayout{}, tiles: map[string]*partTile{}}
	g.grid = container.New(g.layout)
	k.peerViews = map[string]*VideoView{}
	if k.canAdd() {
		g.add = NewBigButton(k.tr.T("incall.add"), theme.ContentAddIcon(), colSurface, func() { k.showAddPanel(g) })
	}
	g.addPanel = container.NewStack()
	g.addPanel.Hide()
	return g
}

// showParticipants lays out the call's other participants as ev says: the picture of the one
// other full screen, or the grid.
func (k *Kiosk) showParticipants(s *inCallScreen, ev CallEvent) {
	g := s.group
	if g == nil {
		return
	}
	parts := ev.Participants
	if len(parts) == 0 { // an engine of calls of two
		parts = []Participant{{Contact: ev.Peer, State: PartInCall, Video: true}}
	}
	for i := range parts {
		if parts[i].Photo == nil {
			for _, c := range k.patient.Contacts {
				if c.ID == parts[i].ID {
					parts[i].Photo = c.Photo
				}
			}
		}
	}
	g.parts = parts
	one := len(parts) == 1 && (parts[0].State == PartInCall || parts[0].State == PartConnecting ||
		parts[0].State == PartReconnecting)
	if one {
		k.peers.set(map[string]*VideoView{parts[0].ID: k.remoteView})
		name, _ := partCaption(k.tr, parts[0])
		if name != s.name.Text {
			s.name.SetText(name)
		}
		if g.grouped {
			g.grouped = false
			g.content.Objects[0] = g.single
			g.content.Refresh()
		}
		return
	}
	routes := map[string]*VideoView{}
	g.layout.speaker = speakerOf(parts, g.layout.speaker)
	objs := make([]fyne.CanvasObject, 0, len(parts))
	for i, p := range parts {
		t := g.tiles[p.ID]
		if t == nil {
			t = newPartTile(k.peerView(p.ID))
			g.tiles[p.ID] = t
		}
		t.set(k.tr, p, len(parts) >= 5 && i == g.layout.speaker)
		if t.showsVideo() {
			routes[p.ID] = t.video
		}
		objs = append(objs, t)
		t.Refresh()
	}
	k.peers.set(routes)
	g.grid.Objects = objs
	g.grid.Refresh()
	if text := joinNames(parts); text != s.name.Text {
		s.name.SetText(text)
	}
	if !g.grouped {
		g.grouped = true
		g.content.Objects[0] = g.grid
		g.content.Refresh()
	}
}

// showAddPanel shows the patient's contacts who are not in the call; one tap rings one in.
func (k *Kiosk) showAddPanel(g *groupView) {
	in := map[string]bool{}
	for _, p := range g.parts {
		in[p.ID] = true
	}
	var tiles []fyne.CanvasObject
	for _, c := range k.patient.Contacts {
		if in[c.ID] {
			continue
		}
		tiles = append(tiles, NewTile(c, func(c Contact) {
			g.addPanel.Hide()
			k.phoneDo("add", func(ctx context.Context, p Phone) error {
				if a, ok := p.(Adder); ok {
					return a.Add(ctx, c.ID)
				}
				return nil
			}, nil)
		}))
	}
	title := titleText(k.tr.T("incall.addtitle"))
	closeBtn := NewBigButton(k.tr.T("incall.close"), nil, colSurface, func() { g.addPanel.Hide() })
	grid := container.NewVScroll(container.New(&tileLayout{minSide: func() float32 {
		s := k.win.Canvas().Size()
		return fyne.Min(s.Width, s.Height) / 5
	}}, tiles...))
	bg := canvas.NewRectangle(color.NRGBA{R: 0x0b, G: 0x17, B: 0x24, A: 0xf4})
	body := container.NewBorder(container.NewPadded(title), sized(closeBtn, 0, k.share(0.12, 80)), nil, nil, grid)
	g.addPanel.Objects = []fyne.CanvasObject{bg, padded(body)}
	g.addPanel.Show()
	g.addPanel.Refresh()
}

// groupLayoutArea places the grid between the top strip and the control bar (the inCallLayout
// hook): th and bh are their heights.
func groupLayoutArea(video fyne.CanvasObject, s fyne.Size, th, bh float32) bool {
	c, ok := video.(*fyne.Container)
	if !ok {
		return false
	}
	if _, ok := c.Layout.(*groupLayout); !ok {
		return false
	}
	c.Move(fyne.NewPos(0, th))
	c.Resize(fyne.NewSize(s.Width, s.Height-th-bh))
	return true
}
