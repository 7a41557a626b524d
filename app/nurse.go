package app

import (
	"math"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// pinScreen asks for the nurse PIN on a big digit keypad, or says that the panel is locked
// because the tablet has no PIN yet.
type pinScreen struct {
	locked bool // no PIN yet: a message and Back, no keypad
	entry  *widget.Entry
	open   *BigButton
	back   *BigButton
	status *canvas.Text
}

// nurseScreen is the nurse panel.
type nurseScreen struct {
	volume     *widget.Slider
	language   *widget.Select
	autoAnswer *widget.Check
	testCall   *BigButton
	repair     *BigButton
	exit       *BigButton
	back       *BigButton
	confirm    *confirmBox
}

// confirmBox is an in-panel yes/no question (no pop-up for a patient to stumble on).
type confirmBox struct {
	question *widget.Label
	yes, no  *BigButton
	box      *fyne.Container
}

func (k *Kiosk) showPIN() {
	tr := k.tr
	p := &pinScreen{}
	p.back = NewBigButton(tr.T("nurse.back"), nil, colSurface, func() { k.showHomeOrSetup() })
	p.back.Compact = true
	var content fyne.CanvasObject
	if !k.pinKnown() {
		// No PIN yet (no default either): the panel stays locked, and the screen says why and
		// what opens it. Pairing does not need the panel: the setup screen does it.
		p.locked = true
		msg := widget.NewLabel(tr.T("nurse.nopin"))
		msg.Wrapping = fyne.TextWrapWord
		msg.Alignment = fyne.TextAlignCenter
		msg.TextStyle = fyne.TextStyle{Bold: true}
		lock := widget.NewIcon(icon("settings"))
		content = container.NewCenter(sized(container.NewVBox(sized(lock, 96, 96), msg, p.back), 560, 0))
		k.ui = uiRefs{pin: p}
		k.log.Info("nurse panel locked: no nurse PIN yet")
	} else {
		p.entry = widget.NewPasswordEntry()
		p.entry.SetPlaceHolder(tr.T("nurse.pin"))
		p.status = canvas.NewText("", colPrimary)
		p.status.TextSize = sizeBody
		p.status.TextStyle = fyne.TextStyle{Bold: true}
		p.status.Alignment = fyne.TextAlignCenter
		p.open = NewBigButton(tr.T("nurse.open"), nil, colAnswer, func() { k.tryPIN(p) })
		p.open.Compact = true
		p.entry.OnSubmitted = func(string) { k.tryPIN(p) }

		keys := newKeypad("123456789"+string(backspaceKey)+"0", 3, p.entry, pinMaxLen, p.open)
		top := container.NewVBox(p.entry, p.status)
		pad := container.NewBorder(top, p.back, nil, nil, keys)
		content = container.NewCenter(sized(pad, 440, 0))
		k.ui = uiRefs{pin: p}
		if k.pinChecking {
			k.setStatus(p.status, k.tr.T("nurse.checking"))
		} else if w := k.pin.wait(k.clock.Now()); w > 0 {
			k.showPINWait(p, w)
		}
	}
	idle := k.clock.AfterFunc(nurseIdleTimeout, func() {
		k.do(func() {
			if k.current == screenPIN {
				k.showHomeOrSetup()
			}
		})
	})
	k.show(screenPIN, padded(content), func() { idle.Stop() })
	if p.entry != nil {
		k.focus(p.entry)
	}
}

// pinKnown reports whether the nurse panel has a PIN to open with.
func (k *Kiosk) pinKnown() bool { return k.cfg.NursePIN != nil && k.cfg.NursePIN.Known() }

// tryPIN checks the typed PIN off the UI goroutine (the hash is slow on purpose), one attempt
// at a time; the gate counts every attempt, also one whose screen was left meanwhile.
func (k *Kiosk) tryPIN(p *pinScreen) {
	pin := p.entry.Text
	p.entry.SetText("")
	if k.pinChecking {
		return
	}
	now := k.clock.Now()
	if w := k.pin.wait(now); w > 0 {
		k.showPINWait(p, w)
		return
	}
	if pin == "" || len(pin) > pinMaxLen || !k.pinKnown() {
		k.pinChecked(p, false)
		return
	}
	k.pinChecking = true
	k.setStatus(p.status, k.tr.T("nurse.checking"))
	check := k.cfg.NursePIN
	go func() {
		right := check.Check(pin)
		k.do(func() {
			k.pinChecking = false
			k.pinChecked(p, right)
		})
	}()
}

// pinChecked records a checked attempt and shows its outcome when p is still on screen.
func (k *Kiosk) pinChecked(p *pinScreen, right bool) {
	wait := k.pin.record(k.clock.Now(), right)
	k.pin.save(k.prefs)
	shown := k.current == screenPIN && k.ui.pin == p
	if right {
		if shown {
			k.log.Info("nurse panel opened")
			k.showNurse()
		}
		return
	}
	k.log.Warn("wrong nurse PIN", "wait", wait)
	if !shown {
		return
	}
	if wait > 0 {
		k.showPINWait(p, wait)
		return
	}
	k.setStatus(p.status, k.tr.T("nurse.wrongpin"))
}

func (k *Kiosk) showPINWait(p *pinScreen, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	k.setStatus(p.status, k.tr.T("nurse.wait", map[string]any{"Seconds": secs}))
}

// focus puts the keyboard focus on an entry, for a real keyboard; not on phones and tablets
// whose system keyboard would then cover the kiosk's own keypad.
func (k *Kiosk) focus(e *widget.Entry) {
	if !fyne.CurrentDevice().IsMobile() {
		k.win.Canvas().Focus(e)
	}
}

func (k *Kiosk) showHomeOrSetup() {
	if k.paired {
		k.showHome()
	} else {
		k.showSetup()
	}
}

func (k *Kiosk) showNurse() {
	tr := k.tr
	n := &nurseScreen{}
	title := newFitText(tr.T("nurse.title"), sizeTitle, sizeName, colForeground, true, fyne.TextAlignLeading)
	var where fyne.CanvasObject = layout.NewSpacer()
	if k.patient.Ward != "" {
		w := canvas.NewText(tr.T("nurse.device", map[string]any{"Ward": k.patient.Ward, "Bed": k.patient.Bed}), colMuted)
		w.TextSize = sizeBody
		where = w
	}

	n.volume = widget.NewSlider(0, 100)
	n.volume.Step = 10
	n.volume.SetValue(math.Round(k.volume() * 100))
	n.volume.OnChangeEnded = func(v float64) {
		k.prefs.SetFloat(prefVolume, v/100)
		if k.cfg.Audio != nil {
			k.cfg.Audio.SetVolume(v / 100)
		}
	}

	langs := []string{tr.T("nurse.language.server")}
	for _, l := range Languages {
		langs = append(langs, tr.T("lang."+l))
	}
	n.language = widget.NewSelect(langs, nil)
	cur := k.prefs.String(prefLanguage)
	n.language.SetSelectedIndex(0)
	for i, l := range Languages {
		if l == cur {
			n.language.SetSelectedIndex(i + 1)
		}
	}
	n.language.OnChanged = func(string) {
		i := n.language.SelectedIndex()
		code := ""
		if i > 0 {
			code = Languages[i-1]
		}
		if code == k.prefs.String(prefLanguage) {
			return
		}
		k.prefs.SetString(prefLanguage, code)
		k.applyLanguage()
		k.showNurse() // redraw in the new language
	}

	n.autoAnswer = widget.NewCheck(tr.T("nurse.autoanswer"), func(on bool) {
		v := "off"
		if on {
			v = "on"
		}
		k.prefs.SetString(prefAutoAnswer, v)
	})
	n.autoAnswer.Checked = k.autoAnswer(k.patient.AutoAnswer)
	if k.cfg.ForceAutoAnswer {
		n.autoAnswer.Disable()
	}

	n.testCall = NewBigButton(tr.T("nurse.testcall"), icon("camera"), colSurface, func() {
		k.showInCall(Contact{ID: "test", Name: tr.T("nurse.testcall")}, true)
	})
	n.repair = NewBigButton(tr.T("nurse.repair"), nil, colSurface, nil)
	n.exit = NewBigButton(tr.T("nurse.exit"), nil, colEnd, nil)
	n.back = NewBigButton(tr.T("nurse.back"), nil, colAnswer, func() { k.showHomeOrSetup() })
	n.confirm = newConfirmBox(tr)
	n.repair.OnTapped = func() {
		n.confirm.ask(tr.T("nurse.repair.confirm"), func() { k.repair() })
	}
	n.exit.OnTapped = func() {
		n.confirm.ask(tr.T("nurse.exit.confirm"), func() { k.exit() })
	}

	volIcon := widget.NewIcon(icon("volume"))
	form := container.New(layout.NewFormLayout(),
		label(tr.T("nurse.volume")), container.NewBorder(nil, nil, volIcon, nil, n.volume),
		label(tr.T("nurse.language")), n.language,
	)
	actions := container.NewGridWithColumns(2, n.testCall, n.repair, n.exit, n.back)
	content := container.NewVBox(title, where, form, n.autoAnswer, actions, n.confirm.box)
	k.ui = uiRefs{nurse: n}
	idle := k.clock.AfterFunc(nurseIdleTimeout, func() {
		k.do(func() {
			if k.current == screenNurse {
				k.showHomeOrSetup()
			}
		})
	})
	k.show(screenNurse, padded(container.NewVScroll(content)), func() { idle.Stop() })
}

func newConfirmBox(tr *translator) *confirmBox {
	c := &confirmBox{question: widget.NewLabel("")}
	c.question.Wrapping = fyne.TextWrapWord
	c.question.TextStyle = fyne.TextStyle{Bold: true}
	c.yes = NewBigButton(tr.T("nurse.yes"), nil, colEnd, nil)
	c.no = NewBigButton(tr.T("nurse.no"), nil, colSurface, nil)
	c.box = container.NewVBox(c.question, container.NewGridWithColumns(2, c.no, c.yes))
	c.box.Hide()
	c.no.OnTapped = func() { c.box.Hide() }
	return c
}

func (c *confirmBox) ask(q string, yes func()) {
	c.question.SetText(q)
	c.yes.OnTapped = func() {
		c.box.Hide()
		yes()
	}
	c.box.Show()
}

func label(s string) fyne.CanvasObject {
	l := widget.NewLabel(s)
	l.TextStyle = fyne.TextStyle{Bold: true}
	return l
}

// repair forgets the pairing: main wipes the device's data, the kiosk shows setup.
func (k *Kiosk) repair() {
	k.log.Info("nurse asked to pair again")
	if k.cfg.OnRepair != nil {
		k.cfg.OnRepair()
	}
	k.unpaired()
}

// Unpaired shows the setup screen and forgets the phone and the patient, for when the server
// no longer knows this tablet (it was revoked). Safe from any goroutine; main wipes the data.
func (k *Kiosk) Unpaired() {
	k.do(k.unpaired)
}

func (k *Kiosk) unpaired() {
	k.DetachPhone()
	k.paired = false
	k.online = false
	k.patient = Patient{}
	k.applyLanguage()
	k.showSetup()
}

// uiRefs points at the current screen's widgets, for events and tests.
type uiRefs struct {
	setup    *setupScreen
	home     *homeScreen
	outgoing *outgoingScreen
	incoming *incomingScreen
	incall   *inCallScreen
	ended    *endedScreen
	pin      *pinScreen
	nurse    *nurseScreen
}
