package app

import (
	"context"
	"errors"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"

	"bedside/provisioning"
)

// setupMode is how the setup screen pairs the tablet.
type setupMode int

const (
	modeScan setupMode = iota // flow 1: the tablet scans the console's QR code
	modeShow                  // flow 2: the tablet shows its own QR code and short code
	modeType                  // flow 3: the nurse types the short code
)

// pairedShownFor is how long "Paired to Ward 3, bed 12" stays before the home screen.
const pairedShownFor = 2 * time.Second

// setupScreen pairs the tablet: it scans (camera preview with a frame to aim at), shows the
// tablet's own code, or takes a typed code. Only one of the three is on show at a time.
type setupScreen struct {
	mode   setupMode
	ctx    context.Context // ends when the screen goes
	busy   bool            // a pairing request is in flight
	done   bool            // paired: the screen only says so, then goes home
	status *widget.Label   // what is happening, in words (scan and show modes)

	// modeType
	entry *widget.Entry
	pair  *BigButton
	line  *canvas.Text // the typed-code status line

	// modeScan
	preview *VideoView
	scanner *qrScanner
	refused map[string]time.Time // scanned texts refused, and until when they are ignored

	// modeShow
	code     string
	qr       *canvas.Image
	codeText *fitText
}

// showSetup shows the setup screen in its first mode: scanning when the tablet has a camera,
// else showing its own code.
func (k *Kiosk) showSetup() {
	if k.cfg.Camera != nil {
		k.showSetupMode(modeScan)
	} else {
		k.showSetupMode(modeShow)
	}
}

func (k *Kiosk) showSetupMode(mode setupMode) {
	tr := k.tr
	ctx, cancel := context.WithCancel(k.ctx)
	s := &setupScreen{mode: mode, ctx: ctx}
	s.status = widget.NewLabel("")
	s.status.Wrapping = fyne.TextWrapWord
	s.status.TextStyle = fyne.TextStyle{Bold: true}
	s.status.SizeName = "subHeadingText"
	title := newFitText(tr.T("setup.title"), sizeName, sizeBody, colForeground, true, fyne.TextAlignLeading)

	var body fyne.CanvasObject
	switch mode {
	case modeScan:
		body = k.scanBody(s)
	case modeShow:
		body = k.showBody(s)
	default:
		body = k.typeBody(s)
	}

	// Buttons to the other two modes, beside the title.
	var switches []fyne.CanvasObject
	add := func(key string, m setupMode) {
		b := NewBigButton(tr.T(key), nil, colSurface, func() { k.showSetupMode(m) })
		b.Compact = true
		b.TextSize = 18
		switches = append(switches, b)
	}
	if mode != modeScan && k.cfg.Camera != nil {
		add("setup.scan.button", modeScan)
	}
	if mode != modeShow {
		add("setup.show.button", modeShow)
	}
	if mode != modeType {
		add("setup.type.button", modeType)
	}
	// The buttons to the other modes go beside the title, or under it on a screen held upright.
	content := container.New(setupLayout{}, title, container.NewHBox(switches...), body)
	k.ui = uiRefs{setup: s}
	k.show(screenSetup, padded(content), cancel)
	// Started after show, which stopped the previous screen's camera and timers.
	switch mode {
	case modeScan:
		cam := k.cfg.Camera
		cam.Preview(teeSink{s.preview, s.scanner})
		go s.scanner.run(ctx)
		k.leave = func() {
			cam.Preview(nil)
			cancel()
		}
	case modeShow:
		k.newPairingRequest(s)
		poll := k.newTicker(pollEvery, func() { k.pollApproval(s) })
		k.leave = func() {
			poll.stop()
			cancel()
		}
	default:
		k.focus(s.entry)
	}
}

// typeBody is flow 3: an explanation, the code entry (typeable with a real keyboard), a big
// on-screen keypad of the code alphabet, and the Pair button.
func (k *Kiosk) typeBody(s *setupScreen) fyne.CanvasObject {
	tr := k.tr
	howto := widget.NewLabel(tr.T("setup.howto"))
	howto.Wrapping = fyne.TextWrapWord

	s.entry = widget.NewEntry()
	s.entry.SetPlaceHolder(tr.T("setup.code") + ": ABCD-EFGH")
	s.entry.TextStyle = fyne.TextStyle{Monospace: true, Bold: true}
	s.line = canvas.NewText("", colPrimary)
	s.line.TextSize = 18
	s.line.TextStyle = fyne.TextStyle{Bold: true}
	s.entry.OnChanged = func(text string) {
		norm := provisioning.NormalizeCode(text)
		if len(norm) > provisioning.CodeLen {
			norm = norm[:provisioning.CodeLen]
		}
		if norm != text {
			s.entry.SetText(norm)
		}
		k.setStatus(s.line, "")
	}
	s.entry.OnSubmitted = func(string) { k.pairNow(s) }
	s.pair = NewBigButton(tr.T("setup.pair"), nil, colAnswer, func() { k.pairNow(s) })
	clear := NewBigButton(tr.T("setup.clear"), nil, colSurface, func() { s.entry.SetText("") })
	clear.Compact, s.pair.Compact = true, true

	codeRow := container.NewBorder(nil, nil, nil, container.NewHBox(clear, s.pair), s.entry)
	keys := newKeypad(provisioning.CodeAlphabet+string(backspaceKey), 11, s.entry, provisioning.CodeLen)
	keys.(*fyne.Container).Layout = &keyGrid{cols: 11, minCols: 6}
	top := container.NewVBox(howto, codeRow, s.line)
	return container.NewBorder(top, nil, nil, nil, keys)
}

// pairNow sends the typed code to the Pairer and shows what happened.
func (k *Kiosk) pairNow(s *setupScreen) {
	tr := k.tr
	code := provisioning.NormalizeCode(s.entry.Text)
	if !provisioning.IsCode(code) {
		k.setStatus(s.line, tr.T("setup.err.short"))
		return
	}
	if k.cfg.Pairer == nil || s.busy || s.done {
		return
	}
	s.busy = true
	s.pair.Disable()
	k.setStatus(s.line, tr.T("setup.pairing"))
	pairer := k.cfg.Pairer
	go func() {
		res, err := pairer.Pair(k.ctx, code)
		k.do(func() {
			s.busy = false
			s.pair.Enable()
			if err != nil {
				k.log.Warn("pairing failed", "how", "typed", "err", err)
				k.setStatus(s.line, tr.T(pairErrorKey(err)))
				return
			}
			k.setStatus(s.line, pairedText(tr, res))
			k.pairedDone(s, res)
		})
	}()
}

// pairedDone records a successful pairing, says where the tablet is now, and shows the home
// screen a moment later.
func (k *Kiosk) pairedDone(s *setupScreen, res Paired) {
	k.log.Info("paired", "ward", res.Ward, "bed", res.Bed)
	k.paired = true
	k.patient.Ward, k.patient.Bed = res.Ward, res.Bed
	s.done = true
	if k.ui.setup != s { // the nurse switched modes meanwhile: go home at once
		if k.current == screenSetup {
			k.showHome()
		}
		return
	}
	s.status.SetText(pairedText(k.tr, res))
	if k.cfg.Camera != nil && s.mode == modeScan {
		k.cfg.Camera.Preview(nil)
	}
	k.clock.AfterFunc(pairedShownFor, func() {
		k.do(func() {
			if k.current == screenSetup && k.ui.setup == s {
				k.showHome()
			}
		})
	})
}

// pairedText is "Paired to Ward 3, bed 12".
func pairedText(tr *translator, res Paired) string {
	if res.Bed == "" {
		return tr.T("setup.paired.ward", map[string]any{"Ward": res.Ward})
	}
	return tr.T("setup.paired", map[string]any{"Ward": res.Ward, "Bed": res.Bed})
}

// pairErrorKey names the message for a failed pairing.
func pairErrorKey(err error) string {
	switch {
	case errors.Is(err, ErrPairInvalid):
		return "setup.err.invalid"
	case errors.Is(err, ErrPairExpired):
		return "setup.err.expired"
	case errors.Is(err, ErrPairUsed):
		return "setup.err.used"
	case errors.Is(err, ErrPairServer):
		return "setup.err.server"
	case errors.Is(err, ErrPairNoServer):
		return "setup.err.noserver"
	case errors.Is(err, ErrPairBusy):
		return "setup.err.busy"
	}
	return "setup.err.network"
}

func (k *Kiosk) setStatus(t *canvas.Text, s string) {
	t.Text = s
	t.Refresh()
}
