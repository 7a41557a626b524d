package app

import (
	"context"
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"

	"bedside/assets"
)

// audioRate is the sample rate of the synthesized sounds.
const audioRate = 48000

// outgoingScreen: "Calling Anna…", her photo, a big Cancel.
type outgoingScreen struct {
	title  *fitText
	cancel *BigButton
}

// incomingScreen: the caller, Answer and Decline, and the auto-answer countdown.
type incomingScreen struct {
	title           *fitText
	answer, decline *BigButton
	countdown       *fitText
	stop            *BigButton
	remaining       int
	ticker          *ticker
}

// endedScreen says why a call ended, then goes home.
type endedScreen struct {
	message *fitText
}

func (k *Kiosk) showOutgoing(c Contact) {
	tr := k.tr
	o := &outgoingScreen{}
	o.title = titleText(tr.T("outgoing.calling", map[string]any{"Name": c.Name}))
	o.cancel = NewBigButton(tr.T("outgoing.cancel"), icon("hangup"), colEnd, func() {
		k.userEnded = true
		k.phoneDo("hangup", func(ctx context.Context, p Phone) error { return p.Hangup(ctx) }, nil)
		k.showHome()
	})
	k.ui = uiRefs{outgoing: o}
	content := container.NewBorder(container.NewPadded(o.title), sized(o.cancel, 0, k.share(0.18, 100)), nil, nil,
		portrait(c))
	k.show(screenOutgoing, padded(content), func() { k.awake(false) })
	k.awake(true) // after show: the previous screen's leave may have released it
}

func (k *Kiosk) showIncoming(ev CallEvent) {
	tr := k.tr
	c := ev.Peer
	in := &incomingScreen{}
	in.title = titleText(tr.T("incoming.calling", map[string]any{"Name": c.Name}))
	in.answer = NewBigButton(tr.T("incoming.answer"), icon("call"), colAnswer, func() { k.answer(c) })
	in.answer.TextSize = sizeTitle
	in.decline = NewBigButton(tr.T("incoming.decline"), icon("hangup"), colEnd, func() {
		k.userEnded = true
		k.phoneDo("decline", func(ctx context.Context, p Phone) error { return p.Decline(ctx) }, nil)
		k.showHome()
	})
	in.decline.TextSize = sizeTitle
	in.countdown = newFitText("", sizeTitle, sizeBody, colPrimary, true, fyne.TextAlignCenter)
	in.stop = NewBigButton(tr.T("incoming.stop"), nil, colSurface, nil)
	in.countdown.Hide()
	in.stop.Hide()

	ring := func() {
		if k.cfg.Audio != nil {
			k.cfg.Audio.Play(assets.Ringtone(audioRate), audioRate, true)
		}
	}
	beep := func() {
		if k.cfg.Audio != nil {
			k.cfg.Audio.Play(assets.Beep(audioRate), audioRate, false)
		}
	}
	if k.autoAnswer(ev.AutoAnswer) {
		in.remaining = autoAnswerSeconds
		show := func() {
			in.countdown.Text = tr.T("incoming.auto", map[string]any{"Seconds": in.remaining})
			in.countdown.Refresh()
		}
		in.countdown.Show()
		in.stop.Show()
		show()
		beep()
		in.ticker = k.newTicker(time.Second, func() {
			in.remaining--
			if in.remaining <= 0 {
				in.ticker.stop()
				k.log.Info("auto-answering")
				k.answer(c)
				return
			}
			show()
			beep()
		})
		in.stop.OnTapped = func() {
			in.ticker.stop()
			in.countdown.Hide()
			in.stop.Hide()
			ring()
		}
	} else {
		ring()
	}

	bh := k.share(0.2, 100)
	in.stop.Compact = k.win.Canvas().Size().Height < 600
	buttons := container.New(layout.NewGridLayoutWithColumns(2), sized(in.decline, 0, bh), sized(in.answer, 0, bh))
	bottom := container.NewVBox(container.NewBorder(nil, nil, nil, in.stop, in.countdown), buttons)
	content := container.NewBorder(in.title, bottom, nil, nil, portrait(c))
	k.ui = uiRefs{incoming: in}
	k.show(screenIncoming, padded(content), func() {
		k.awake(false)
		in.ticker.stop()
		if k.cfg.Audio != nil {
			k.cfg.Audio.Stop()
		}
	})
	k.awake(true) // wake the screen: a call rings (after show, which released the last screen's hold)
}

// answer accepts the ringing call and shows the in-call screen while media connects.
func (k *Kiosk) answer(c Contact) {
	if k.current != screenIncoming {
		return
	}
	k.userEnded = false
	k.showInCall(c, false)
	k.phoneDo("answer", func(ctx context.Context, p Phone) error { return p.Answer(ctx) }, func(error) {
		if k.current == screenInCall {
			k.showEnded(CallEvent{State: Failed, Peer: c, Reason: "failed"})
		}
	})
}

func (k *Kiosk) showEnded(ev CallEvent) {
	tr := k.tr
	reason := ev.Reason
	if reason == "" {
		reason = "hangup"
		if ev.State == Failed {
			reason = "failed"
		}
	}
	key := fmt.Sprintf("ended.%s", reason)
	msg := tr.T(key, map[string]any{"Name": ev.Peer.Name})
	if msg == key {
		msg = tr.T("ended.hangup")
	}
	e := &endedScreen{message: titleText(msg)}
	k.ui = uiRefs{ended: e}
	home := k.clock.AfterFunc(endedShownFor, func() {
		k.do(func() {
			if k.current == screenEnded {
				k.showHome()
			}
		})
	})
	k.show(screenEnded, padded(container.NewVBox(layout.NewSpacer(), e.message, layout.NewSpacer())), func() { home.Stop() })
}

// share is frac of the window's height, at least min: for buttons that grow with the screen.
func (k *Kiosk) share(frac, min float32) float32 {
	return fyne.Max(min, k.win.Canvas().Size().Height*frac)
}

// portrait is a contact's photo (or initials), name and relation, as on the home tile.
func portrait(c Contact) fyne.CanvasObject {
	t := NewTile(c, nil)
	return container.New(&tileLayout{minSide: func() float32 { return 90 }}, t)
}

func titleText(s string) *fitText {
	return newFitText(s, sizeTitle, sizeName, colForeground, true, fyne.TextAlignCenter)
}

// sized gives o at least the given minimum size.
func sized(o fyne.CanvasObject, w, h float32) fyne.CanvasObject {
	r := canvas.NewRectangle(color.Transparent)
	r.SetMinSize(fyne.NewSize(w, h))
	return container.NewStack(r, o)
}

func padded(o fyne.CanvasObject) fyne.CanvasObject {
	return container.New(layout.NewCustomPaddedLayout(12, 12, 24, 24), o)
}
