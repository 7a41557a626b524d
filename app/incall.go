package app

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"

	"bedside/assets"
)

// inCallScreen: the remote video filling the screen, the self-view in a corner, the caller's
// name and the call's duration, mute / camera / hang up, and a banner when media stalls.
type inCallScreen struct {
	name         *fitText
	duration     *canvas.Text
	status       *fitText // "Connecting…" over the video until media flows
	reconnecting fyne.CanvasObject
	soundOnly    fyne.CanvasObject // a weak link: sound only
	mute, camera *BigButton
	hangup       *BigButton
	selfBox      fyne.CanvasObject
	connectedAt  time.Time
	ticker       *ticker
	group        *groupView // the grid of a group call and the Add button (group_incall.go)
}

// showMedia makes the microphone and camera buttons (and the self-view) say what the call
// sends.
func (c *inCallScreen) showMedia(tr *translator, muted, cameraOff bool) {
	if c == nil {
		return
	}
	if muted {
		c.mute.Text, c.mute.Icon = tr.T("incall.unmute"), icon("mic-off")
	} else {
		c.mute.Text, c.mute.Icon = tr.T("incall.mute"), icon("mic")
	}
	if cameraOff {
		c.camera.Text, c.camera.Icon = tr.T("incall.cameraon"), icon("camera")
		c.selfBox.Hide()
	} else {
		c.camera.Text, c.camera.Icon = tr.T("incall.cameraoff"), icon("camera-off")
		c.selfBox.Show()
	}
	c.mute.Refresh()
	c.camera.Refresh()
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
	s.soundOnly = banner(tr.T("incall.soundonly"))
	s.soundOnly.Hide()

	// The buttons' blocks of colour are painted by the control bar (see controlBar).
	s.mute = NewBigButton(tr.T("incall.mute"), icon("mic"), colSurface, nil)
	s.mute.OnTapped = func() {
		if test {
			k.muted = !k.muted
			s.showMedia(tr, k.muted, k.cameraOff)
		} else if p := k.currentPhone(); p != nil {
			p.SetMuted(!k.muted) // the buttons change when the call says it changed
		}
	}
	s.camera = NewBigButton(tr.T("incall.cameraoff"), icon("camera-off"), colSurface, nil)
	s.camera.OnTapped = func() {
		if test {
			k.cameraOff = !k.cameraOff
			s.showMedia(tr, k.muted, k.cameraOff)
		} else if p := k.currentPhone(); p != nil {
			p.SetCameraOn(k.cameraOff)
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
	video := newClipBox(k.remoteView)
	s.group = k.newGroupView(video)
	buttons := []*BigButton{s.mute, s.camera, s.hangup}
	if s.group.add != nil && !test {
		buttons = []*BigButton{s.mute, s.camera, s.group.add, s.hangup}
	}
	bar := newControlBar(buttons...)
	content := container.New(&inCallLayout{}, video, top, s.selfBox, container.NewStack(s.reconnecting, s.soundOnly), s.status, bar)
	s.group.content = content
	k.ui = uiRefs{incall: s}
	rec0, drawn0 := k.remoteView.Stats()
	k.show(screenInCall, container.NewStack(content, s.group.addPanel), func() {
		s.ticker.stop()
		k.peers.set(nil)
		k.peerViews = nil
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
	if s.group != nil && s.group.grouped {
		stalled = false // each tile shows its own; the engine says who is reconnecting
	}
	// The engine knows best: a lost link is "reconnecting", a thin one "sound only"; a
	// picture that stalled without word from it is taken for a lost link.
	reconnecting := k.call.Reconnecting || (stalled && !k.call.SoundOnly)
	soundOnly := k.call.SoundOnly && !k.call.Reconnecting
	for _, b := range []struct {
		o    fyne.CanvasObject
		show bool
	}{{s.reconnecting, reconnecting}, {s.soundOnly, soundOnly}} {
		if b.show != b.o.Visible() {
			if b.show {
				b.o.Show()
			} else {
				b.o.Hide()
			}
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
	th := top.MinSize().Height
	top.Move(fyne.NewPos(0, 0))
	top.Resize(fyne.NewSize(s.Width, th))
	bh := fyne.Max(bar.MinSize().Height, fyne.Min(s.Height/5, 140))
	bar.Move(fyne.NewPos(0, s.Height-bh))
	bar.Resize(fyne.NewSize(s.Width, bh))
	// The picture keeps the whole screen's size, but what the buttons' opaque blocks hide of it
	// is not painted: a sixth of the screen less to paint per frame.
	if c, ok := video.(*clipBox); ok {
		c.setContentSize(s)
	}
	grid := groupLayoutArea(video, s, th, bh)
	if !grid {
		video.Move(fyne.NewPos(0, 0))
		video.Resize(fyne.NewSize(s.Width, s.Height-bh+theme.Padding()))
	}
	sw := fyne.Max(fyne.Min(s.Width, s.Height)/3.5, 120)
	if grid {
		sw = fyne.Max(fyne.Min(s.Width, s.Height)/5.5, 100) // over a tile: smaller
	}
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

// controlBar is the in-call screen's bottom bar: a shaded band with the buttons side by side on
// their blocks of colour. The whole window is repainted for every video frame, so the band and
// the three rounded blocks are painted as one picture (a canvas.Raster, generated at the bar's
// pixel size only when the bar changes size) rather than as four translucent and rounded
// rectangles, whose shaders cost far more per frame on a software renderer. The buttons
// themselves draw only their icon and label.
type controlBar struct {
	widget.BaseWidget

	buttons []*BigButton
	colors  []color.Color
	bg      *canvas.Raster
}

// barRadius is the corner radius of the buttons' blocks, as BigButton's own.
const barRadius = 20

func newControlBar(buttons ...*BigButton) *controlBar {
	b := &controlBar{buttons: buttons}
	for _, btn := range buttons {
		b.colors = append(b.colors, btn.Color)
		btn.Color = color.Transparent // painted by the bar
	}
	b.bg = canvas.NewRaster(b.paint)
	b.bg.ScaleMode = canvas.ImageScalePixels // generated at the size it is drawn
	b.ExtendBaseWidget(b)
	return b
}

// cells returns where the buttons go in a bar of size s: a row of equal cells inside a padding.
func (b *controlBar) cells(s fyne.Size) []fyne.Position {
	pad, w := theme.Padding(), b.cellSize(s).Width
	pos := make([]fyne.Position, len(b.buttons))
	for i := range b.buttons {
		pos[i] = fyne.NewPos(pad+float32(i)*(w+pad), pad)
	}
	return pos
}

// cellSize is the size of each of those cells.
func (b *controlBar) cellSize(s fyne.Size) fyne.Size {
	pad := theme.Padding()
	n := float32(len(b.buttons))
	return fyne.NewSize((s.Width-2*pad-(n-1)*pad)/n, s.Height-2*pad)
}

// paint draws the band and the buttons' blocks at w×h pixels (premultiplied RGBA, which the
// GL painter uploads as it is).
func (b *controlBar) paint(w, h int) image.Image {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	s := b.Size()
	if w <= 0 || h <= 0 || s.Width <= 0 || s.Height <= 0 {
		return img
	}
	scale := float64(w) / float64(s.Width)
	band := premultiplied(colShade)
	for i := 0; i < len(img.Pix); i += 4 {
		copy(img.Pix[i:i+4], band[:])
	}
	cs := b.cellSize(s)
	radius := math.Min(barRadius*scale, math.Min(float64(cs.Width), float64(cs.Height))*scale/2)
	soft := math.Max(1, math.Round(scale))
	for i, p := range b.cells(s) {
		fillRounded(img, band, premultiplied(b.colors[i]),
			float64(p.X)*scale, float64(p.Y)*scale, float64(cs.Width)*scale, float64(cs.Height)*scale, radius, soft)
	}
	return img
}

// premultiplied returns c as premultiplied 8-bit RGBA.
func premultiplied(c color.Color) [4]byte {
	if c == nil {
		return [4]byte{}
	}
	r, g, bl, a := c.RGBA()
	return [4]byte{byte(r >> 8), byte(g >> 8), byte(bl >> 8), byte(a >> 8)}
}

// fillRounded paints a w×h block of fg with rounded corners at (x, y) over under, with the
// edges smoothed over soft pixels as the GL painter smooths its own rounded rectangles.
func fillRounded(img *image.RGBA, under, fg [4]byte, x, y, w, h, radius, soft float64) {
	cx, cy := x+w/2, y+h/2
	hw, hh := w/2-radius, h/2-radius
	b := img.Rect.Intersect(image.Rect(int(math.Floor(x)), int(math.Floor(y)), int(math.Ceil(x+w)), int(math.Ceil(y+h))))
	for py := b.Min.Y; py < b.Max.Y; py++ {
		row := img.Pix[img.PixOffset(0, py):]
		dy := math.Abs(float64(py)+0.5-cy) - hh
		for px := b.Min.X; px < b.Max.X; px++ {
			dx := math.Abs(float64(px)+0.5-cx) - hw
			// signed distance to the rounded rectangle's edge
			d := math.Min(math.Max(dx, dy), 0) + math.Hypot(math.Max(dx, 0), math.Max(dy, 0)) - radius
			cover := 1 - smoothstep(-soft, soft, d)
			if cover <= 0 {
				continue
			}
			o := px * 4
			for c := 0; c < 4; c++ {
				row[o+c] = byte(math.Round(float64(fg[c])*cover + float64(under[c])*(1-cover)))
			}
		}
	}
}

func smoothstep(e0, e1, x float64) float64 {
	t := math.Max(0, math.Min(1, (x-e0)/(e1-e0)))
	return t * t * (3 - 2*t)
}

// CreateRenderer implements fyne.Widget.
func (b *controlBar) CreateRenderer() fyne.WidgetRenderer {
	objs := []fyne.CanvasObject{b.bg}
	for _, btn := range b.buttons {
		objs = append(objs, btn)
	}
	return &controlBarRenderer{b: b, objs: objs}
}

type controlBarRenderer struct {
	b    *controlBar
	objs []fyne.CanvasObject
}

func (r *controlBarRenderer) Layout(s fyne.Size) {
	r.b.bg.Resize(s) // (a new size generates the picture anew)
	cs := r.b.cellSize(s)
	for i, p := range r.b.cells(s) {
		r.b.buttons[i].Move(p)
		r.b.buttons[i].Resize(cs)
	}
}

func (r *controlBarRenderer) MinSize() fyne.Size {
	var w, h float32
	for _, btn := range r.b.buttons {
		m := btn.MinSize()
		w, h = fyne.Max(w, m.Width), fyne.Max(h, m.Height)
	}
	pad := theme.Padding()
	n := float32(len(r.b.buttons))
	return fyne.NewSize(n*w+(n+1)*pad, h+2*pad)
}

func (r *controlBarRenderer) Refresh() {
	r.Layout(r.b.Size())
	r.b.bg.Refresh()
	for _, btn := range r.b.buttons {
		btn.Refresh()
	}
}

func (r *controlBarRenderer) Objects() []fyne.CanvasObject { return r.objs }

func (r *controlBarRenderer) Destroy() {}

// clipBox shows the top part of its content: the content is laid out at contentSize and
// painted only where it lies within the box.
type clipBox struct {
	widget.BaseWidget

	content     fyne.CanvasObject
	contentSize fyne.Size
}

func newClipBox(content fyne.CanvasObject) *clipBox {
	c := &clipBox{content: content}
	c.ExtendBaseWidget(c)
	return c
}

// setContentSize sets the size of the content (zero: the box's own size).
func (c *clipBox) setContentSize(s fyne.Size) {
	if s == c.contentSize {
		return
	}
	c.contentSize = s
	if !s.IsZero() {
		c.content.Resize(s)
	}
}

// CreateRenderer implements fyne.Widget.
func (c *clipBox) CreateRenderer() fyne.WidgetRenderer { return &clipBoxRenderer{c: c} }

type clipBoxRenderer struct{ c *clipBox }

// IsClip makes the GL painter clip the content to the box (Fyne's own clip containers are
// marked the same way).
func (r *clipBoxRenderer) IsClip() {}

func (r *clipBoxRenderer) Layout(s fyne.Size) {
	r.c.content.Move(fyne.NewPos(0, 0))
	if r.c.contentSize.IsZero() {
		r.c.content.Resize(s)
		return
	}
	r.c.content.Resize(r.c.contentSize)
}

func (r *clipBoxRenderer) MinSize() fyne.Size { return r.c.content.MinSize() }

func (r *clipBoxRenderer) Refresh() { r.c.content.Refresh() }

func (r *clipBoxRenderer) Objects() []fyne.CanvasObject { return []fyne.CanvasObject{r.c.content} }

func (r *clipBoxRenderer) Destroy() {}
