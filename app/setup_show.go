package app

import (
	"crypto/rand"
	"errors"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"bedside/provisioning"
)

// pollEvery is how often a tablet showing its code asks whether a nurse approved it: every few
// seconds, under the ward server's limit of 10 enrollment attempts a minute from one address.
const pollEvery = 7 * time.Second

// showBody is flow 2: the tablet's own QR code (a pairing request for a nurse's phone) and its
// short code in big letters, while it waits for a nurse to approve it.
func (k *Kiosk) showBody(s *setupScreen) fyne.CanvasObject {
	tr := k.tr
	s.qr = canvas.NewImageFromImage(nil)
	s.qr.FillMode = canvas.ImageFillContain
	s.qr.ScaleMode = canvas.ImageScalePixels
	s.qr.SetMinSize(fyne.NewSize(240, 240))
	howto := widget.NewLabel(tr.T("setup.show.howto"))
	howto.Wrapping = fyne.TextWrapWord
	code := newFitText("", 72, 32, colPrimary, true, fyne.TextAlignCenter)
	code.Monospace = true
	s.codeText = code
	words := container.NewVBox(howto, code, s.status)
	return sideBySide(s.qr, container.NewVScroll(words))
}

// newPairingRequest draws a fresh short code and shows it, and its QR code.
func (k *Kiosk) newPairingRequest(s *setupScreen) {
	tr := k.tr
	_, code, err := provisioning.NewEnrollmentSecrets(rand.Reader)
	if err != nil {
		k.log.Error("cannot draw a pairing code", "err", err)
		s.status.SetText(tr.T("setup.err.network"))
		return
	}
	s.code = ""
	if k.cfg.Pairer == nil {
		return
	}
	url, err := k.cfg.Pairer.PairingRequest(code)
	if err != nil {
		k.log.Warn("no pairing request to show", "err", err)
		s.status.SetText(tr.T(pairErrorKey(err)))
		return
	}
	img, err := provisioning.RenderQR(url, 480)
	if err != nil {
		k.log.Error("cannot render the pairing request", "err", err)
		s.status.SetText(tr.T("setup.err.network"))
		return
	}
	s.code = code
	s.qr.Image = img
	s.qr.Refresh()
	s.codeText.SetText(code[:4] + "-" + code[4:])
	s.status.SetText(tr.T("setup.show.waiting"))
}

// pollApproval asks, with the tablet's own code, whether a nurse approved the request:
// "unknown code" means not yet, quietly; an expired one is replaced by a fresh code.
func (k *Kiosk) pollApproval(s *setupScreen) {
	if s.code == "" || s.busy || s.done || k.cfg.Pairer == nil || s.ctx.Err() != nil {
		return
	}
	s.busy = true
	code, pairer, tr := s.code, k.cfg.Pairer, k.tr
	go func() {
		res, err := pairer.Pair(s.ctx, code)
		k.do(func() {
			s.busy = false
			switch {
			case err == nil:
				k.pairedDone(s, res)
			case k.ui.setup != s || s.ctx.Err() != nil:
			case errors.Is(err, ErrPairInvalid), errors.Is(err, ErrPairBusy):
				s.status.SetText(tr.T("setup.show.waiting")) // not approved yet, or ask later
			case errors.Is(err, ErrPairExpired), errors.Is(err, ErrPairUsed):
				k.log.Info("the pairing request lapsed; showing a new code", "err", err)
				k.newPairingRequest(s)
			default:
				k.log.Warn("cannot ask whether the pairing was approved", "err", err)
				s.status.SetText(strings.TrimSpace(tr.T(pairErrorKey(err))))
			}
		})
	}()
}
