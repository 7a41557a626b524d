package app

import (
	"context"
	"fmt"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"

	"bedside/assets"
)

// inCallScreen: the remote video filling the screen, the self-view in a corner, the caller's
// name and the call's duration, mute / camera / hang up, and a banner when media stalls.
type inCallScreen struct {
	name         *fitText
	duration     *canvas.Text
	status       *fitText // "Connecting…" over the video until media flows
	reconnecting fyne.CanvasObject
	mute, camera *BigButton
	hangup       *BigButton
	selfBox      fyne.CanvasObject
	connectedAt  time.Time
	ticker       *ticker
}

// connected marks the call's media as flowing: the duration starts.
func (c *inCallScreen) connected(now time.Time) {
	if c == nil || !c.connectedAt.IsZero() {
		return
	}
	c.connectedAt = now
	c.status.Hide()
}

func (k *Kiosk) showInCall(c Contact, test bool) {
	tr := k.tr
	k.startCallMedia()
	k.remoteView.Clear()
	k.selfView.Clear()
	if test {
		k.selfSink.set(teeSink{k.selfView, k.remoteView})
	} else {
		k.selfSink.set(k.selfView)
		k.remoteSink.set(k.remoteView)
	}
	s := &inCallScreen{}
	s.name = newFitText(c.Name, sizeName, sizeBody, colForeground, true, fyne.TextAlignLeading)
	s.duration = canvas.NewText("0:00", colForeground)
	s.duration.TextSize = sizeName
	s.duration.TextStyle = fyne.TextStyle{Monospace: true}
	s.status = newFitText(tr.T("incall.connecting"), sizeTitle, sizeBody, colForeground, true, fyne.TextAlignCenter)
	s.reconnecting = banner(tr.T("incall.reconnecting"))
	s.reconnecting.Hide()

	s.mute = NewBigButton(tr.T("incall.mute"), icon("mic"), colSurface, nil)
	s.mute.OnTapped = func() {
		k.muted = !k.muted
		if k.muted {
			s.mute.Text, s.mute.Icon = tr.T("incall.unmute"), icon("mic-off")
		} else {
			s.mute.Text, s.mute.Icon = tr.T("incall.mute"), icon("mic")
		}
		s.mute.Refresh()
		if p := k.currentPhone(); p != nil && !test {
			p.SetMuted(k.muted)
		}
	}
	s.camera = NewBigButton(tr.T("incall.cameraoff"), icon("camera-off"), colSurface, nil)
	s.camera.OnTapped = func() {
		k.cameraOff = !k.cameraOff
		if k.cameraOff {
			s.camera.Text, s.camera.Icon = tr.T("incall.cameraon"), icon("camera")
			s.selfBox.Hide()
		} else {
			s.camera.Text, s.camera.Icon = tr.T("incall.cameraoff"), icon("camera-off")
			s.selfBox.Show()
		}
		s.camera.Refresh()
		if p := k.currentPhone(); p != nil && !test {
			p.SetCameraOn(!k.cameraOff)
		}
	}
	s.hangup = NewBigButton(tr.T("incall.hangup"), icon("hangup"), colEnd, func() {
		k.userEnded = true
		if !test {
			k.phoneDo("hangup", func(ctx context.Context, p Phone) error { return p.Hangup(ctx) }, nil)
		}
		k.showHome()
	})
	k.selfView.Show()
	frame := canvas.NewRectangle(color.Transparent)
	frame.StrokeColor = colForeground
	frame.StrokeWidth = 3
	s.selfBox = container.NewStack(k.selfView, frame)

	if test {
		s.name.Text = tr.T("incall.test")
		s.name.MinTextSize = 18
		s.connected(k.clock.Now())
		if k.cfg.Audio != nil {
			k.cfg.Audio.Play(assets.Ringtone(audioRate), audioRate, false)
		}
	}
	s.ticker = k.newTicker(time.Second/2, func() { k.tickInCall(s) })

	shade := canvas.NewRectangle(colShade)
	top := container.NewStack(shade, container.NewPadded(container.NewBorder(nil, nil, nil, s.duration, s.name)))
	controls := container.NewGridWithColumns(3, s.mute, s.camera, s.hangup)
	barBg := canvas.NewRectangle(colShade)
	bar := container.NewStack(barBg, container.NewPadded(controls))
	content := container.New(&inCallLayout{}, k.remoteView, top, s.selfBox, s.reconnecting, s.status, bar)
	k.ui = uiRefs{incall: s}
	rec0, drawn0 := k.remoteView.Stats()
	k.show(screenInCall, content, func() {
		s.ticker.stop()
		if !s.connectedAt.IsZero() {
			rec, drawn := k.remoteView.Stats()
			secs := k.clock.Now().Sub(s.connectedAt).Seconds()
			if secs > 0 {
				k.log.Info("call video", "seconds", int(secs), "received", rec-rec0, "drawn", drawn-drawn0,
					"drawnFPS", float64(drawn-drawn0)/secs)
			}
		}
		if k.cfg.Audio != nil && test {
			k.cfg.Audio.Stop()
		}
		k.awake(false)
		k.remoteSink.set(nil)
		k.selfSink.set(nil)
		k.remoteView.Clear()
		k.selfView.Clear()
	})
	k.awake(true)
}

// tickInCall updates the duration and shows the banner when frames stalled for stallAfter.
func (k *Kiosk) tickInCall(s *inCallScreen) {
	if s.connectedAt.IsZero() {
		return
	}
	now := k.clock.Now()
	d := now.Sub(s.connectedAt)
	if text := formatDuration(d); text != s.duration.Text {
		s.duration.Text = text // refreshed once a second, not at every tick
		s.duration.Refresh()
	}
	since, any := k.remoteView.SinceLastFrame()
	stalled := (any && since > stallAfter) || (!any && d > stallAfter)
	if stalled != s.reconnecting.Visible() {
		if stalled {
			s.reconnecting.Show()
		} else {
			s.reconnecting.Hide()
		}
	}
}

// selfViewFPS is the self-view's frame rate: enough to see oneself move, and each frame drawn
// costs a repaint of the whole window.
const selfViewFPS = 10

func formatDuration(d time.Duration) string {
	d = d.Truncate(time.Second)
	h, m, sec := int(d.Hours()), int(d.Minutes())%60, int(d.Seconds())%60
	if h > 0 {
		return fmt.Sprintf("%d:%02d:%02d", h, m, sec)
	}
	return fmt.Sprintf("%d:%02d", m, sec)
}

// inCallLayout places, in order: the remote video (everything), the top strip, the self-view
// (top-right corner, below the strip), the reconnecting banner, the status text (centre) and
// the control bar (bottom).
type inCallLayout struct{}

func (inCallLayout) Layout(objs []fyne.CanvasObject, s fyne.Size) {
	if len(objs) < 6 {
		return
	}
	pad := theme.Padding() * 2
	video, top, self, banner, status, bar := objs[0], objs[1], objs[2], objs[3], objs[4], objs[5]
	video.Move(fyne.NewPos(0, 0))
	video.Resize(s)
	th := top.MinSize().Height
	top.Move(fyne.NewPos(0, 0))
	top.Resize(fyne.NewSize(s.Width, th))
	bh := fyne.Max(bar.MinSize().Height, fyne.Min(s.Height/5, 140))
	bar.Move(fyne.NewPos(0, s.Height-bh))
	bar.Resize(fyne.NewSize(s.Width, bh))
	sw := fyne.Max(fyne.Min(s.Width, s.Height)/3.5, 120)
	sh := sw * 3 / 4
	self.Move(fyne.NewPos(s.Width-sw-pad, th+pad))
	self.Resize(fyne.NewSize(sw, sh))
	bs := banner.MinSize()
	bw := fyne.Min(s.Width-2*pad, fyne.Max(bs.Width, s.Width/2))
	banner.Move(fyne.NewPos((s.Width-bw)/2, th+pad))
	banner.Resize(fyne.NewSize(bw, bs.Height))
	status.Move(fyne.NewPos(0, 0))
	status.Resize(fyne.NewSize(s.Width, s.Height-bh))
}

func (inCallLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(320, 240) }
