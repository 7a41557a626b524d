package app

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// homeScreen is the resting screen: greeting, date and time, and the family tiles.
type homeScreen struct {
	greeting, date *fitText
	visiting       *fitText // nil when the ward set no visiting hours
	clock          *canvas.Text
	tiles          []*Tile
	nurse          *widget.Button
}

func (k *Kiosk) showHome() {
	tr := k.tr
	h := &homeScreen{}
	h.greeting = newFitText("", sizeTitle, sizeName, colForeground, true, fyne.TextAlignLeading)
	h.date = newFitText("", sizeName, sizeBody, colMuted, false, fyne.TextAlignLeading)
	h.clock = canvas.NewText("", colForeground)
	h.clock.TextSize = sizeClock
	h.clock.TextStyle = fyne.TextStyle{Bold: true}
	h.clock.Alignment = fyne.TextAlignTrailing
	h.nurse = widget.NewButtonWithIcon("", icon("settings"), k.RequestNurse)
	h.nurse.Importance = widget.LowImportance

	update := func() {
		now := k.clock.Now()
		h.greeting.SetText(tr.greeting(now, k.patient.Name))
		h.date.SetText(tr.date(now))
		h.clock.Text = now.Format("15:04")
		h.clock.Refresh()
	}
	update()
	minute := k.everyMinute(update)

	words := container.NewVBox(h.greeting, h.date)
	if v := k.patient.VisitingHours; v != "" {
		h.visiting = newFitText(tr.T("home.visiting", map[string]any{"Hours": v}), sizeBody, 18, colMuted, false, fyne.TextAlignLeading)
		words.Add(h.visiting)
	}
	header := container.NewBorder(nil, nil, nil,
		container.NewHBox(container.NewCenter(h.clock), container.NewVBox(h.nurse)), words)

	var body fyne.CanvasObject
	switch {
	case !k.online && k.currentPhone() != nil && len(k.patient.Contacts) == 0:
		body = bigMessage(tr.T("home.connecting"))
	case k.patient.Name == "" && len(k.patient.Contacts) == 0:
		body = bigMessage(tr.T("home.nopatient")) // a free bed, or the patient was discharged
	case len(k.patient.Contacts) == 0:
		body = bigMessage(tr.T("home.nocontacts"))
	default:
		var objs []fyne.CanvasObject
		for _, c := range k.patient.Contacts {
			t := NewTile(c, k.dial)
			h.tiles = append(h.tiles, t)
			objs = append(objs, t)
		}
		grid := container.New(&tileLayout{minSide: k.minTileSide}, objs...)
		body = container.NewVScroll(grid)
	}

	var top fyne.CanvasObject = header
	if !k.online && k.currentPhone() != nil {
		top = container.NewVBox(header, banner(tr.T("home.offline")))
	} else if len(k.patient.Contacts) > 0 {
		hint := newFitText(tr.T("home.tap"), sizeBody, 18, colMuted, false, fyne.TextAlignCenter)
		top = container.NewVBox(header, hint)
	}
	content := container.NewBorder(top, nil, nil, nil, body)
	k.ui = uiRefs{home: h}
	k.show(screenHome, container.New(layout.NewCustomPaddedLayout(16, 16, 24, 24), content), minute.stop)
}

// minTileSide is a fifth of the window's short side: the smallest a home tile may be.
func (k *Kiosk) minTileSide() float32 {
	s := k.win.Canvas().Size()
	return fyne.Min(s.Width, s.Height) / 5
}

// everyMinute calls f on the UI goroutine at the start of every minute until stopped.
func (k *Kiosk) everyMinute(f func()) *ticker {
	now := k.clock.Now()
	next := now.Truncate(time.Minute).Add(time.Minute).Sub(now)
	t := &ticker{clock: k.clock, do: k.do, period: time.Minute, f: f}
	t.schedule(next)
	return t
}

// bigMessage is a centred, wrapped, large message.
func bigMessage(s string) fyne.CanvasObject {
	l := widget.NewRichText(&widget.TextSegment{Text: s, Style: widget.RichTextStyle{
		Alignment: fyne.TextAlignCenter, SizeName: "subHeadingText", ColorName: "foreground",
		TextStyle: fyne.TextStyle{Bold: true}}})
	l.Wrapping = fyne.TextWrapWord
	return container.NewCenter(container.NewGridWrap(fyne.NewSize(640, 200), l))
}

// banner is a strip of warning colour with a message.
func banner(s string) fyne.CanvasObject {
	bg := canvas.NewRectangle(colBanner)
	bg.CornerRadius = 12
	t := canvas.NewText(s, colBackground)
	t.TextSize = sizeBody
	t.TextStyle = fyne.TextStyle{Bold: true}
	t.Alignment = fyne.TextAlignCenter
	return container.NewStack(bg, container.NewPadded(t))
}

// dial calls a contact from its tile.
func (k *Kiosk) dial(c Contact) {
	if k.current != screenHome {
		return
	}
	k.userEnded = false
	k.call = CallEvent{State: Ringing, Peer: c}
	k.showOutgoing(c)
	k.phoneDo("dial", func(ctx context.Context, p Phone) error { return p.Dial(ctx, c.ID) }, func(err error) {
		if k.current != screenOutgoing || k.userEnded {
			return
		}
		ev := CallEvent{State: Failed, Peer: c, Reason: "failed"}
		var refused *RefusedError
		if errors.As(err, &refused) {
			ev.State, ev.Reason = Ended, refused.Reason
		}
		k.showEnded(ev)
	})
}
