package app

import (
	"errors"
	"image/color"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"bedside/provisioning"
)

// How long a scanned code that was refused is ignored before it is tried again: a network
// failure soon, a code the server refused (or that is not ours) only after a long while, so
// that a code left in view is not sent over and over.
const (
	retryNetwork = 5 * time.Second
	retryRefused = time.Minute
)

// scanBody is flow 1: the camera preview with a frame to aim at, and what to do.
func (k *Kiosk) scanBody(s *setupScreen) fyne.CanvasObject {
	tr := k.tr
	s.preview = NewVideoView(k.clock, canvas.ImageFillContain)
	s.refused = map[string]time.Time{}
	s.scanner = newQRScanner(k.clock, func(text string) {
		k.do(func() { k.scanned(s, text) })
	})
	aim := canvas.NewRectangle(color.Transparent)
	aim.StrokeColor = colPrimary
	aim.StrokeWidth = 6
	aim.CornerRadius = 18
	picture := container.NewStack(s.preview, container.New(aimLayout{}, aim))

	howto := widget.NewLabel(tr.T("setup.scan.howto"))
	howto.Wrapping = fyne.TextWrapWord
	s.status.SetText(tr.T("setup.scan.looking"))
	return sideBySide(picture, container.NewVScroll(container.NewVBox(howto, s.status)))
}

// aimLayout centres a square of 60% of the short side: the frame to aim the code at.
type aimLayout struct{}

func (aimLayout) Layout(objs []fyne.CanvasObject, size fyne.Size) {
	side := fyne.Min(size.Width, size.Height) * 0.6
	for _, o := range objs {
		o.Resize(fyne.NewSize(side, side))
		o.Move(fyne.NewPos((size.Width-side)/2, (size.Height-side)/2))
	}
}

func (aimLayout) MinSize([]fyne.CanvasObject) fyne.Size { return fyne.NewSize(120, 120) }

// scanned handles a QR code the scanner read: a Bedside enrollment payload is sent to the
// Pairer; anything else gets a kind word, and the scan goes on.
func (k *Kiosk) scanned(s *setupScreen, text string) {
	if k.ui.setup != s || s.busy || s.done || s.ctx.Err() != nil {
		return
	}
	now := k.clock.Now()
	if until, ok := s.refused[text]; ok && now.Before(until) {
		return
	}
	tr := k.tr
	p, err := provisioning.ParsePayload(text)
	if err != nil {
		k.log.Info("scanned a QR code that is not an enrollment code", "err", err)
		s.refused[text] = now.Add(retryRefused)
		key := "setup.scan.notours"
		if errors.Is(err, provisioning.ErrPayloadVersion) {
			key = "setup.scan.version"
		}
		s.status.SetText(tr.T(key))
		return
	}
	if k.cfg.Pairer == nil {
		return
	}
	s.busy = true
	if p.Ward != "" {
		s.status.SetText(tr.T("setup.pairing.to", map[string]any{"Ward": p.Ward, "Bed": p.Bed}))
	} else {
		s.status.SetText(tr.T("setup.pairing"))
	}
	pairer := k.cfg.Pairer
	go func() {
		res, err := pairer.PairPayload(k.ctx, p)
		k.do(func() {
			s.busy = false
			if err != nil {
				k.log.Warn("pairing failed", "how", "scanned", "err", err)
				key := pairErrorKey(err)
				wait := retryRefused
				if key == "setup.err.network" {
					wait = retryNetwork
				}
				s.refused[text] = k.clock.Now().Add(wait)
				if k.ui.setup == s {
					s.status.SetText(tr.T(key))
				}
				return
			}
			k.pairedDone(s, res)
		})
	}()
}
