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

func hasEntry(r *rig) bool {
	for _, o := range r.objects() {
		if _, ok := o.(*widget.Entry); ok {
			return true
		}
	}
	return false
}

// TestNursePanelLockedUntilTheWardsPIN: a tablet with no PIN (the ward set none yet, none set
// locally) shows no keypad at all, only why the panel is locked; the old public default 2580
// opens nothing. When the ward's PIN arrives with a configuration, the locked screen becomes
// the keypad, and the ward's PIN opens the panel.
func TestNursePanelLockedUntilTheWardsPIN(t *testing.T) {
	r := newRig(t)
	r.pin.Set("")
	r.k.RequestNurse()
	require.Equal(t, "pin", r.k.Screen())
	r.requireShows("this tablet has no nurse PIN yet")
	assert.False(t, r.hasButton("Open"), "no keypad")
	assert.False(t, hasEntry(r), "nothing to type into")
	assert.False(t, r.hasButton("2"))
	assert.Zero(t, r.pin.Checks())

	r.pin.Set("975310") // what the adapter does with the configuration's hash, before the event
	r.send(app.ConfigEvent{Patient: app.Patient{Name: "Maria", Ward: "Ward 3", Bed: "12", Contacts: family}})
	require.Equal(t, "pin", r.k.Screen())
	assert.False(t, r.shows("no nurse PIN yet"), "the screen says what is true now")
	r.typePIN("2580")
	r.requireShows("Wrong PIN.")
	r.typePIN("975310")
	require.Equal(t, "nurse", r.k.Screen())
}

// TestSetupWithoutAnyPIN: a brand-new tablet has no PIN, and needs none to pair: the setup
// screen pairs it; the nurse panel, asked for from setup, says it is locked and goes back to
// setup.
func TestSetupWithoutAnyPIN(t *testing.T) {
	r := newRig(t, unpaired, func(c *app.Config) { c.NursePIN = nil })
	require.Equal(t, "setup", r.k.Screen())
	r.k.RequestNurse()
	r.requireShows("this tablet has no nurse PIN yet")
	r.tap("Back")
	require.Equal(t, "setup", r.k.Screen())

	r.tap("Type a code")
	test.Type(r.entry(), "ABCD2345")
	r.tap("Pair")
	r.waitFor("paired", func() bool { return r.shows("Paired to Ward 3, bed 12") })
	r.advance(2 * time.Second)
	r.waitScreen("home")
	r.k.RequestNurse()
	r.requireShows("this tablet has no nurse PIN yet")
}

// TestSlowPINCheck: the PIN is checked off the UI goroutine (a memory-hard hash takes a second
// on a slow tablet): the screen says so and stays usable, a second Open meanwhile checks
// nothing more, and the attempts stay rate-limited.
func TestSlowPINCheck(t *testing.T) {
	r := newRig(t)
	r.k.RequestNurse()
	r.pin.Hold()
	for _, d := range "1111" {
		r.tap(string(d))
	}
	r.tap("Open")
	r.requireShows("Checking…")
	r.tap("Open") // nothing typed, and one check at a time
	r.drain()
	assert.Equal(t, 1, r.pin.Checks())
	r.pin.Release()
	r.pinChecked()
	r.requireShows("Wrong PIN.")

	r.typePIN("2222")
	r.typePIN("3333")
	r.requireShows("Try again in 5 seconds")
	checks := r.pin.Checks()
	r.typePIN("2580")
	assert.Equal(t, checks, r.pin.Checks(), "refused unchecked while locked")
	require.Equal(t, "pin", r.k.Screen())

	// A right PIN whose check ends after the nurse left the pad does not open the panel.
	r.advance(5 * time.Second)
	r.pin.Hold()
	for _, d := range "2580" {
		r.tap(string(d))
	}
	r.tap("Open")
	r.tap("Back")
	r.pin.Release()
	r.drain()
	require.Equal(t, "home", r.k.Screen())
}

// TestPINRateLimitSurvivesARestart: restarting the kiosk (a power cycle) buys no new free
// attempts: the lock and the count of wrong PINs are kept in the app's preferences.
func TestPINRateLimitSurvivesARestart(t *testing.T) {
	var a fyne.App
	r := newRig(t, func(c *app.Config) { a = c.App })
	r.k.RequestNurse()
	r.typePIN("111111")
	r.typePIN("222222")
	r.typePIN("333333")
	r.requireShows("Try again in 5 seconds")
	r.k.Close()

	again := newRig(t, func(c *app.Config) { c.App = a })
	again.k.RequestNurse()
	again.requireShows("Try again in 5 seconds")
	again.advance(5 * time.Second)
	again.typePIN("444444")
	again.requireShows("Try again in 10 seconds") // the fourth wrong PIN, not the first
	again.advance(10 * time.Second)
	again.typePIN("2580")
	require.Equal(t, "nurse", again.k.Screen())

	// A right PIN resets the count, for the next start too.
	third := newRig(t, func(c *app.Config) { c.App = a })
	third.k.RequestNurse()
	third.typePIN("111111")
	third.requireShows("Wrong PIN.")
}
