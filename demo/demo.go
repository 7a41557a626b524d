// Package demo shows the kiosk's screens with made-up family and calls, without a server: for
// trying the screens and for screenshots (bedside -demo). Its phone plays along with what the
// patient does (a dialled call is answered), its pairer pairs the typed code ABCD2345, and the
// nurse PIN is DemoPIN.
package demo

import (
	"context"
	"image"
	"image/color"
	"log/slog"
	"math"
	"strings"
	"time"

	"fyne.io/fyne/v2"

	"bedside/app"
	"bedside/tablet"
)

// DemoPIN opens the demo's nurse panel. The demo has no ward to send one.
const DemoPIN = "2580"

// Options say what the demo shows.
type Options struct {
	// Screen is the screen it starts on: home, incoming, auto, in-call, outgoing or setup.
	Screen string
	// Lang is the demo patient's language, en or it.
	Lang string
	// Media is the -media flag: file:PATH shows that picture on the setup screen's camera.
	Media      string
	Windowed   bool
	AutoAnswer bool
}

// Run shows the kiosk with made-up data until its window closes.
func Run(a fyne.App, o Options, log *slog.Logger) error {
	phone := newPhone()
	family := []app.Contact{
		{ID: "anna", Name: "Anna", Relation: "Daughter", Online: true, Photo: Portrait(0.58, color.NRGBA{R: 0x6a, G: 0x3d, B: 0x9a, A: 0xff})},
		{ID: "marco", Name: "Marco", Relation: "Son", Online: true},
		{ID: "giulia", Name: "Giulia", Relation: "Granddaughter", Online: false, Photo: Portrait(0.12, color.NRGBA{R: 0x1e, G: 0x88, B: 0xe5, A: 0xff})},
		{ID: "paolo", Name: "Paolo Bianchi", Relation: "Brother", Online: true},
	}
	if o.Lang == "it" {
		for i, rel := range []string{"Figlia", "Figlio", "Nipote", "Fratello"} {
			family[i].Relation = rel
		}
	}
	patient := app.Patient{Name: "Maria", Language: o.Lang, Ward: "Ward 3", Bed: "12", Contacts: family}
	var cam app.Camera
	if strings.HasPrefix(o.Media, "file:") { // -demo setup -media file:PATH shows the scan screen
		local, has, err := tablet.OpenMedia(o.Media, log)
		if err != nil {
			return err
		}
		defer local.Close()
		if err := local.Start(context.Background()); err != nil {
			return err
		}
		cam = tablet.Camera(has, local)
	}
	sp := tablet.NewSpeaker(log)
	defer sp.Close()
	k, err := app.New(app.Config{
		App: a, Phone: phone, Pairer: pairer{server: "https://ward3.example:8443"}, Camera: cam, Logger: log,
		Paired: o.Screen != "setup", Kiosk: !o.Windowed, ForceAutoAnswer: o.AutoAnswer, Patient: patient,
		Audio: sp, NursePIN: pin{},
	})
	if err != nil {
		return err
	}
	phone.setPeer(family[0])
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go fakeVideo(ctx, k.RemoteVideo(), k.InCall, 640, 480, 30, 0)
	go fakeVideo(ctx, k.SelfView(), k.InCall, 320, 240, 15, 1)
	go func() {
		select {
		case <-ctx.Done():
			return
		case <-time.After(700 * time.Millisecond):
		}
		if o.Screen == "setup" {
			return
		}
		phone.send(app.ConfigEvent{Patient: patient})
		switch o.Screen {
		case "incoming":
			phone.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0]})
		case "auto":
			phone.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0], AutoAnswer: true})
		case "in-call":
			phone.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0]})
			phone.send(app.CallEvent{State: app.Connecting, Incoming: true, Peer: family[0]})
			phone.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: family[0]})
		case "outgoing":
			phone.send(app.CallEvent{State: app.Ringing, Peer: family[1]})
		}
	}()
	k.Window().ShowAndRun()
	k.Close()
	return nil
}

// Portrait draws a stand-in photo: a head and shoulders on a soft background.
func Portrait(hue float64, shirt color.NRGBA) image.Image {
	const n = 256
	img := image.NewNRGBA(image.Rect(0, 0, n, n))
	bg1 := hsv(hue, 0.35, 0.85)
	bg2 := hsv(hue, 0.45, 0.55)
	skin := color.NRGBA{R: 0xe8, G: 0xb9, B: 0x94, A: 0xff}
	hair := color.NRGBA{R: 0x4a, G: 0x32, B: 0x22, A: 0xff}
	for y := 0; y < n; y++ {
		for x := 0; x < n; x++ {
			f := float64(y) / n
			c := mix(bg1, bg2, f)
			dx, dy := float64(x-n/2), float64(y-100)
			switch {
			case dx*dx/(58*58)+dy*dy/(70*70) < 1 && y < 90:
				c = hair
			case dx*dx/(48*48)+dy*dy/(60*60) < 1:
				c = skin
			case dx*dx/(66*66)+dy*dy/(80*80) < 1 && y < 100:
				c = hair
			case y > 170 && math.Abs(dx) < 40+float64(y-170)*1.2:
				c = shirt
			}
			img.SetNRGBA(x, y, c)
		}
	}
	return img
}

func mix(a, b color.NRGBA, f float64) color.NRGBA {
	l := func(x, y uint8) uint8 { return uint8(float64(x)*(1-f) + float64(y)*f) }
	return color.NRGBA{R: l(a.R, b.R), G: l(a.G, b.G), B: l(a.B, b.B), A: 0xff}
}

func hsv(h, s, v float64) color.NRGBA {
	i := math.Floor(h * 6)
	f := h*6 - i
	p, q, t := v*(1-s), v*(1-f*s), v*(1-(1-f)*s)
	var r, g, b float64
	switch int(i) % 6 {
	case 0:
		r, g, b = v, t, p
	case 1:
		r, g, b = q, v, p
	case 2:
		r, g, b = p, v, t
	case 3:
		r, g, b = p, q, v
	case 4:
		r, g, b = t, p, v
	default:
		r, g, b = v, p, q
	}
	return color.NRGBA{R: uint8(r * 255), G: uint8(g * 255), B: uint8(b * 255), A: 0xff}
}

// fakeVideo sends a moving picture to sink while active says so, reusing one buffer as real
// senders do. Outside a call it only looks four times a second whether a call began, so that
// the demo's idle home costs what a real kiosk's does.
func fakeVideo(ctx context.Context, sink app.VideoSink, active func() bool, w, h, fps int, variant int) {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	framePeriod, idlePeriod := time.Second/time.Duration(fps), time.Second/4
	t := time.NewTicker(idlePeriod)
	defer t.Stop()
	sending := false
	for frame := 0; ; frame++ {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if now := active(); now != sending {
			sending = now
			if sending {
				t.Reset(framePeriod)
			} else {
				t.Reset(idlePeriod)
			}
		}
		if !sending {
			continue
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				img.Y[y*img.YStride+x] = uint8(60 + (x*120)/w + (y*40)/h)
			}
		}
		for y := 0; y < h/2; y++ {
			for x := 0; x < w/2; x++ {
				i := y*img.CStride + x
				img.Cb[i] = uint8(110 + variant*40 + (x*30)/(w/2))
				img.Cr[i] = uint8(150 - variant*30 + (y*20)/(h/2))
			}
		}
		// a bright disc that moves, so that motion shows
		cx := w/2 + int(float64(w/3)*math.Sin(float64(frame)/20))
		cy := h/2 + int(float64(h/4)*math.Cos(float64(frame)/27))
		r := h / 6
		for y := max(cy-r, 0); y < min(cy+r, h); y++ {
			for x := max(cx-r, 0); x < min(cx+r, w); x++ {
				if (x-cx)*(x-cx)+(y-cy)*(y-cy) < r*r {
					img.Y[y*img.YStride+x] = 235
				}
			}
		}
		sink.Frame(img)
	}
}
