package app_test

import (
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/app"
)

func (r *rig) typePIN(pin string) {
	r.t.Helper()
	for _, d := range pin {
		r.tap(string(d))
	}
	r.tap("Open")
	r.pinChecked()
}

// pinChecked waits until the kiosk has the answer of the PIN check it runs off the UI goroutine.
func (r *rig) pinChecked() {
	r.t.Helper()
	r.waitFor("the PIN checked", func() bool { return !r.shows("Checking…") && !r.shows("Verifica…") })
}

func (r *rig) openNurse() {
	r.t.Helper()
	r.k.RequestNurse()
	require.Equal(r.t, "pin", r.k.Screen())
	r.typePIN("2580")
	require.Equal(r.t, "nurse", r.k.Screen())
}

// closeWindow records the close intercept, which the test driver's window does not run.
type closeWindow struct {
	fyne.Window
	intercept func()
}

func (w *closeWindow) SetCloseIntercept(f func()) { w.intercept = f }

func TestNurseButtonAndCloseAskForPIN(t *testing.T) {
	var win *closeWindow
	r := newRig(t, func(c *app.Config) {
		c.Kiosk = true
		win = &closeWindow{Window: c.App.NewWindow("test")}
		c.Window = win
	})
	require.NotNil(t, win.intercept, "the kiosk intercepts closing")
	// The settings button in the corner of home.
	var gear *widget.Button
	for _, o := range r.objects() {
		if b, ok := o.(*widget.Button); ok && b.Icon != nil {
			gear = b
		}
	}
	require.NotNil(t, gear)
	test.Tap(gear)
	require.Equal(t, "pin", r.k.Screen())
	r.tap("Back")
	require.Equal(t, "home", r.k.Screen())

	// Escape does nothing; closing the window asks for the PIN instead of closing.
	r.k.Window().Canvas().OnTypedKey()(&fyne.KeyEvent{Name: fyne.KeyEscape})
	require.Equal(t, "home", r.k.Screen())
	win.intercept() // what closing the window or Alt-F4 does
	require.Equal(t, "pin", r.k.Screen())
}

func TestPINGateRefusesAndRateLimits(t *testing.T) {
	r := newRig(t)
	r.k.RequestNurse()
	r.typePIN("1111")
	require.Equal(t, "pin", r.k.Screen())
	r.requireShows("Wrong PIN.")
	r.typePIN("2222")
	r.requireShows("Wrong PIN.")
	r.typePIN("3333") // third wrong PIN: locked for 5 s
	r.requireShows("Try again in 5 seconds")

	r.typePIN("2580") // even the right PIN is refused while locked
	require.Equal(t, "pin", r.k.Screen())
	r.requireShows("Try again in 5 seconds")

	r.advance(5 * time.Second)
	r.typePIN("4444") // wrong again: the delay doubles
	r.requireShows("Try again in 10 seconds")
	r.advance(10 * time.Second)

	// Leaving and coming back does not reset the back-off.
	r.typePIN("5555")
	r.tap("Back")
	r.k.RequestNurse()
	r.requireShows("Try again in 20 seconds")
	r.advance(20 * time.Second)
	r.typePIN("2580")
	require.Equal(t, "nurse", r.k.Screen())
	r.requireShows("Nurse panel")
}

func TestPINTypedOnKeyboard(t *testing.T) {
	r := newRig(t)
	r.k.RequestNurse()
	e := r.entry()
	test.Type(e, "2580")
	e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
	r.pinChecked()
	require.Equal(t, "nurse", r.k.Screen())
}

func TestNoNurseDuringCall(t *testing.T) {
	r := newRig(t)
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0]})
	r.k.RequestNurse()
	require.Equal(t, "incoming", r.k.Screen())
}

func TestNursePanelSettings(t *testing.T) {
	r := newRig(t)
	r.openNurse()
	r.requireShows("Ward 3, bed 12")

	var vol *widget.Slider
	var check *widget.Check
	var sel *widget.Select
	for _, o := range r.objects() {
		switch o := o.(type) {
		case *widget.Slider:
			vol = o
		case *widget.Check:
			check = o
		case *widget.Select:
			sel = o
		}
	}
	require.NotNil(t, vol)
	require.NotNil(t, check)
	require.NotNil(t, sel)

	assert.InDelta(t, 80, vol.Value, 0.01)
	vol.SetValue(40)
	vol.DragEnd()
	assert.InDelta(t, 0.4, r.audio.Volume, 0.01)

	assert.False(t, check.Checked)
	test.Tap(check)
	r.tap("Back")
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0]})
	r.requireShows("Answering by itself in 5…")
}

func TestLanguageFromServerIsItalian(t *testing.T) {
	r := newRig(t)
	r.send(app.ConfigEvent{Patient: app.Patient{Name: "Maria", Language: "it", Contacts: family}})
	r.requireShows("Buongiorno, Maria")
	r.requireShows("Venerdì 27 novembre 2026")
	r.requireShows("Tocca una foto per chiamare")
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0]})
	r.requireShows("Anna ti sta chiamando")
	r.button("Rispondi")
	r.button("Rifiuta")
}

func TestNurseSwitchesLanguage(t *testing.T) {
	r := newRig(t)
	r.openNurse()
	var sel *widget.Select
	for _, o := range r.objects() {
		if s, ok := o.(*widget.Select); ok {
			sel = s
		}
	}
	require.NotNil(t, sel)
	sel.SetSelectedIndex(2) // Italiano
	r.requireShows("Pannello infermieri")
	r.tap("Indietro")
	r.requireShows("Buongiorno, Maria")
	// The nurse's choice wins over the server's.
	r.send(app.ConfigEvent{Patient: app.Patient{Name: "Maria", Language: "en", Contacts: family}})
	r.requireShows("Buongiorno, Maria")
}

func TestNurseTestCall(t *testing.T) {
	r := newRig(t)
	r.openNurse()
	r.tap("Test call")
	require.Equal(t, "in-call", r.k.Screen())
	r.requireShows("Test call: you should see yourself")
	r.k.SelfView().Frame(testFrame())
	r.drain()
	r.tap("Hang up")
	require.Equal(t, "home", r.k.Screen())
	assert.Empty(t, r.phone.Calls(), "a test call does not touch the phone")
}

func TestNurseRepairAndExit(t *testing.T) {
	repaired, exited := false, false
	r := newRig(t, func(c *app.Config) {
		c.OnRepair = func() { repaired = true }
		c.OnExit = func() { exited = true }
	})
	r.openNurse()
	r.tap("Pair again")
	r.requireShows("Yes")
	r.tap("No")
	assert.False(t, repaired)
	r.tap("Exit kiosk")
	r.tap("Yes")
	assert.True(t, exited)
	r.tap("Pair again")
	r.tap("Yes")
	assert.True(t, repaired)
	require.Equal(t, "setup", r.k.Screen())
	// Events from the old phone no longer reach the kiosk.
	go r.phone.Send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0]})
	r.drain()
	require.Equal(t, "setup", r.k.Screen())
}
