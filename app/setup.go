package app

import (
	"errors"
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"bedside/provisioning"
)

// setupScreen asks for the pairing code: an explanation, the code entry (typeable with a real
// keyboard), a big on-screen keypad of the code alphabet, and the Pair button.
type setupScreen struct {
	entry  *widget.Entry
	pair   *BigButton
	status *canvas.Text
}

func (k *Kiosk) showSetup() {
	tr := k.tr
	s := &setupScreen{}
	title := newFitText(tr.T("setup.title"), sizeName, sizeBody, colForeground, true, fyne.TextAlignLeading)
	howto := widget.NewLabel(tr.T("setup.howto"))
	howto.Wrapping = fyne.TextWrapWord

	s.entry = widget.NewEntry()
	s.entry.SetPlaceHolder(tr.T("setup.code") + ": ABCD-EFGH")
	s.entry.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
	s.entry.OnChanged = func(text string) {
		norm := provisioning.NormalizeCode(text)
		if len(norm) > provisioning.CodeLen {
			norm = norm[:provisioning.CodeLen]
		}
		if norm != text {
			s.entry.SetText(norm)
		}
		s.status.Text = ""
		s.status.Refresh()
	}
	s.entry.OnSubmitted = func(string) { k.pairNow(s) }
	s.status = canvas.NewText("", colPrimary)
	s.status.TextSize = 20
	s.status.TextStyle = fyne.TextStyle{Bold: true}
	s.pair = NewBigButton(tr.T("setup.pair"), nil, colAnswer, func() { k.pairNow(s) })
	clear := NewBigButton(tr.T("setup.clear"), nil, colSurface, func() { s.entry.SetText("") })
	clear.Compact, s.pair.Compact = true, true

	codeRow := container.NewBorder(nil, nil, nil, container.NewHBox(clear, s.pair), s.entry)
	keys := newKeypad(provisioning.CodeAlphabet+string(backspaceKey), 11, s.entry, provisioning.CodeLen)
	top := container.NewVBox(title, howto, codeRow, s.status)
	content := container.NewBorder(top, nil, nil, nil, keys)
	k.ui = uiRefs{setup: s}
	k.show(screenSetup, padded(content), nil)
	k.focus(s.entry)
}

// pairNow sends the typed code to the Pairer and shows what happened.
func (k *Kiosk) pairNow(s *setupScreen) {
	tr := k.tr
	code := provisioning.NormalizeCode(s.entry.Text)
	if !provisioning.IsCode(code) {
		k.setStatus(s.status, tr.T("setup.err.short"))
		return
	}
	if k.cfg.Pairer == nil || s.pair.Disabled() {
		return
	}
	s.pair.Disable()
	k.setStatus(s.status, tr.T("setup.pairing"))
	ctx := k.ctx
	pairer := k.cfg.Pairer
	go func() {
		res, err := pairer.Pair(ctx, code)
		k.do(func() {
			s.pair.Enable()
			if err != nil {
				k.log.Warn("pairing failed", "err", err)
				k.setStatus(s.status, tr.T(pairErrorKey(err)))
				return
			}
			k.log.Info("paired", "ward", res.Ward, "bed", res.Bed)
			k.paired = true
			k.patient.Ward, k.patient.Bed = res.Ward, res.Bed
			k.setStatus(s.status, strings.TrimSpace(tr.T("setup.paired", map[string]any{"Ward": res.Ward, "Bed": res.Bed})))
			if k.current == screenSetup {
				k.showHome()
			}
		})
	}()
}

func pairErrorKey(err error) string {
	switch {
	case errors.Is(err, ErrPairInvalid):
		return "setup.err.invalid"
	case errors.Is(err, ErrPairExpired):
		return "setup.err.expired"
	case errors.Is(err, ErrPairUsed):
		return "setup.err.used"
	}
	return "setup.err.network"
}

func (k *Kiosk) setStatus(t *canvas.Text, s string) {
	t.Text = s
	t.Refresh()
}
