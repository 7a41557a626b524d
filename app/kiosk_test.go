package app_test

import (
	"fmt"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/app"
	"bedside/app/apptest"
)

func TestHomeShowsGreetingDateTimeAndTiles(t *testing.T) {
	r := newRig(t)
	require.Equal(t, "home", r.k.Screen())
	r.requireShows("Good morning, Maria")
	r.requireShows("Friday 27 November 2026")
	r.requireShows("09:30")
	for _, c := range family {
		tl := r.tile(c.Name)
		assert.Equal(t, c.Online, tl.Contact.Online)
		short := float32(800) / 5
		assert.GreaterOrEqual(t, tl.Size().Width, short, "tile %s narrower than a fifth of the short side", c.Name)
	}
	// The clock moves with the minute.
	r.advance(time.Minute)
	r.requireShows("09:31")
}

func TestTapTilePlacesCallAndCancel(t *testing.T) {
	r := newRig(t)
	test.Tap(r.tile("Anna"))
	require.Equal(t, "outgoing", r.k.Screen())
	r.requireShows("Calling Anna…")
	r.waitFor("dial", func() bool { return r.phone.Has("dial:c1") })

	r.tap("Cancel")
	require.Equal(t, "home", r.k.Screen())
	r.waitFor("hangup", func() bool { return r.phone.Has("hangup") })
	// The engine's ended event for a call the patient cancelled goes straight home.
	r.send(app.CallEvent{State: app.Ended, Peer: family[0], Reason: "cancelled"})
	require.Equal(t, "home", r.k.Screen())
}

func TestOutgoingAnsweredThenEndedByFamily(t *testing.T) {
	r := newRig(t)
	test.Tap(r.tile("Anna"))
	r.send(app.CallEvent{State: app.Ringing, Peer: family[0]})
	require.Equal(t, "outgoing", r.k.Screen())
	r.send(app.CallEvent{State: app.Connecting, Peer: family[0]})
	require.Equal(t, "in-call", r.k.Screen())
	r.send(app.CallEvent{State: app.InCall, Peer: family[0]})
	r.send(app.CallEvent{State: app.Ended, Peer: family[0], Reason: "hangup"})
	require.Equal(t, "ended", r.k.Screen())
	r.requireShows("Call ended")
	r.advance(3 * time.Second)
	r.drain()
	require.Equal(t, "home", r.k.Screen())
}

func TestOutgoingDeclinedShowsWhy(t *testing.T) {
	r := newRig(t)
	test.Tap(r.tile("Marco Rossi"))
	r.send(app.CallEvent{State: app.Ended, Peer: family[1], Reason: "offline"})
	require.Equal(t, "ended", r.k.Screen())
	r.requireShows("Marco Rossi is not available right now")
}

func TestIncomingAnswerInCallHangupHome(t *testing.T) {
	r := newRig(t)
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0]})
	require.Equal(t, "incoming", r.k.Screen())
	r.requireShows("Anna is calling")
	_, loops, _ := r.audio.Snapshot()
	assert.Equal(t, 1, loops, "the ringtone rings")
	assert.False(t, r.hasButton("Wait, don't answer yet"), "no countdown without auto-answer")

	r.tap("Answer")
	require.Equal(t, "in-call", r.k.Screen())
	r.waitFor("answer", func() bool { return r.phone.Has("answer") })
	_, _, stops := r.audio.Snapshot()
	assert.GreaterOrEqual(t, stops, 1, "the ringtone stops")
	r.requireShows("Connecting…")

	r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: family[0]})
	require.Equal(t, "in-call", r.k.Screen())
	r.requireShows("Anna")

	// The buttons say what the call sends: a tap asks the engine, whose report changes them.
	r.tap("Mute")
	r.waitFor("mute", func() bool { return r.phone.Has("mute:true") })
	assert.False(t, r.hasButton("Unmute"), "not muted until the engine says so")
	r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: family[0], Muted: true})
	r.tap("Unmute")
	r.waitFor("unmute", func() bool { return r.phone.Has("mute:false") })
	r.tap("Camera off")
	r.waitFor("camera off", func() bool { return r.phone.Has("camera:false") })
	r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: family[0], Muted: true, CameraOff: true})
	r.requireShows("Camera on")
	r.requireShows("Unmute")

	r.tap("Hang up")
	require.Equal(t, "home", r.k.Screen())
	r.waitFor("hangup", func() bool { return r.phone.Has("hangup") })
	r.send(app.CallEvent{State: app.Ended, Incoming: true, Peer: family[0], Reason: "hangup"})
	require.Equal(t, "home", r.k.Screen(), "back to home after the call, no message for our own hang-up")

	// The next call starts heard and seen, and its buttons say so.
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0]})
	r.tap("Answer")
	r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: family[0]})
	require.Equal(t, "in-call", r.k.Screen())
	assert.True(t, r.hasButton("Mute"))
	assert.True(t, r.hasButton("Camera off"))
	assert.False(t, r.hasButton("Unmute"))
}

func TestIncomingDecline(t *testing.T) {
	r := newRig(t)
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[2]})
	r.tap("Decline")
	require.Equal(t, "home", r.k.Screen())
	r.waitFor("decline", func() bool { return r.phone.Has("decline") })
}

func TestIncomingCancelledByCaller(t *testing.T) {
	r := newRig(t)
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[2]})
	r.send(app.CallEvent{State: app.Ended, Incoming: true, Peer: family[2], Reason: "cancelled"})
	require.Equal(t, "ended", r.k.Screen())
	r.advance(5 * time.Second)
	r.drain()
	require.Equal(t, "home", r.k.Screen())
}

func TestInCallDurationAndReconnectingBanner(t *testing.T) {
	r := newRig(t)
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0]})
	r.tap("Answer")
	r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: family[0]})
	r.k.RemoteVideo().Frame(testFrame())
	r.drain()
	r.advance(time.Second)
	r.requireShows("0:01")
	assert.False(t, r.shows("Reconnecting…"))
	r.advance(3 * time.Second) // no frames for 3 s
	r.requireShows("Reconnecting…")
	r.k.RemoteVideo().Frame(testFrame())
	r.drain()
	r.advance(time.Second / 2)
	assert.False(t, r.shows("Reconnecting…"), "the banner goes when frames come back")
	r.requireShows("0:04")

	// The engine says the media is lost: the banner shows at once, frames or not, until the
	// engine says it is back.
	r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: family[0], Reconnecting: true})
	r.k.RemoteVideo().Frame(testFrame())
	r.drain()
	r.advance(time.Second / 2)
	r.requireShows("Reconnecting…")
	r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: family[0]})
	r.k.RemoteVideo().Frame(testFrame())
	r.drain()
	r.advance(time.Second / 2)
	assert.False(t, r.shows("Reconnecting…"))

	// A thin link: the engine says sound only; no picture comes, and that is not a lost call.
	r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: family[0], SoundOnly: true})
	r.advance(5 * time.Second)
	r.requireShows("Weak signal: sound only")
	assert.False(t, r.shows("Reconnecting…"))
	r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: family[0]})
	r.k.RemoteVideo().Frame(testFrame())
	r.drain()
	r.advance(time.Second / 2)
	assert.False(t, r.shows("Weak signal: sound only"))
}

func TestAutoAnswerCountdownAnswersAfterFiveSeconds(t *testing.T) {
	r := newRig(t, func(c *app.Config) { c.ForceAutoAnswer = true })
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0]})
	require.Equal(t, "incoming", r.k.Screen())
	r.requireShows("Answering by itself in 5…")
	plays0, _, _ := r.audio.Snapshot()
	assert.Equal(t, 1, plays0, "the countdown is audible")
	r.advance(4 * time.Second)
	r.requireShows("Answering by itself in 1…")
	plays, _, _ := r.audio.Snapshot()
	assert.Equal(t, 5, plays, "one tick per second")
	assert.False(t, r.phone.Has("answer"))
	require.Equal(t, "incoming", r.k.Screen())
	r.advance(time.Second)
	require.Equal(t, "in-call", r.k.Screen())
	r.waitFor("answer", func() bool { return r.phone.Has("answer") })
}

func TestAutoAnswerFromServerConfigAndCancel(t *testing.T) {
	r := newRig(t)
	r.send(app.ConfigEvent{Patient: app.Patient{Name: "Maria", AutoAnswer: true, Contacts: family}})
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0], AutoAnswer: true})
	r.requireShows("Answering by itself in 5…")
	r.advance(2 * time.Second)
	r.tap("Wait, don't answer yet")
	assert.False(t, r.shows("Answering by itself"), "the countdown is gone")
	_, loops, _ := r.audio.Snapshot()
	assert.Equal(t, 1, loops, "it rings normally after the cancel")
	r.advance(10 * time.Second)
	r.drain()
	assert.False(t, r.phone.Has("answer"), "cancelled countdown does not answer")
	require.Equal(t, "incoming", r.k.Screen())
	r.tap("Answer")
	r.waitFor("answer", func() bool { return r.phone.Has("answer") })
}

func TestAutoAnswerPerCallFlag(t *testing.T) {
	r := newRig(t)
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0], AutoAnswer: true})
	r.requireShows("Answering by itself in 5…")
}

func TestAutoAnswerNotWithoutFlag(t *testing.T) {
	r := newRig(t)
	r.send(app.ConfigEvent{Patient: app.Patient{Name: "Maria", AutoAnswer: true, Contacts: family}})
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0]})
	assert.False(t, r.shows("Answering by itself"), "the server flags each call that may be auto-answered")
}

func TestDialRefusedShowsWhy(t *testing.T) {
	r := newRig(t)
	r.phone.Err = &app.RefusedError{Reason: "busy"}
	test.Tap(r.tile("Anna"))
	r.waitScreen("ended")
	r.requireShows("Anna is busy")
}

func TestDialFailureShowsFailed(t *testing.T) {
	r := newRig(t)
	r.phone.Err = app.ErrPairInvalid // any error
	test.Tap(r.tile("Anna"))
	r.waitScreen("ended")
	r.requireShows("The call could not be connected")
}

func TestConfigAndConnectionEvents(t *testing.T) {
	r := newRig(t)
	r.send(app.ConnEvent{Online: false})
	r.requireShows("Not connected to the ward server")
	r.send(app.ConnEvent{Online: true})
	assert.False(t, r.shows("Not connected"))
	r.send(app.ConfigEvent{Patient: app.Patient{Name: "Lucia", Contacts: family[:1]}})
	r.requireShows("Good morning, Lucia")
	r.tile("Anna")
	r.send(app.ConfigEvent{Patient: app.Patient{Name: "Lucia"}})
	r.requireShows("No family contacts yet")
}

func TestGreetingByTimeOfDay(t *testing.T) {
	r := newRig(t)
	r.advance(5 * time.Hour) // 14:30
	r.requireShows("Good afternoon, Maria")
	r.advance(5 * time.Hour) // 19:30
	r.requireShows("Good evening, Maria")
}

// TestEveryScreenFitsSmallTablets checks that no screen asks for more than 800×480 (a window
// cannot be smaller than its content, so a larger minimum would be cut off on small tablets),
// in both languages.
func TestEveryScreenFitsSmallTablets(t *testing.T) {
	for _, lang := range []string{"en", "it"} {
		r := newRig(t, func(c *app.Config) { c.Paired = false; c.Camera = &apptest.Camera{} })
		r.k.Window().Resize(fyne.NewSize(800, 480))
		check := func(name string) {
			t.Helper()
			m := r.k.Window().Content().MinSize()
			assert.LessOrEqualf(t, m.Width, float32(800), "%s/%s min width", lang, name)
			assert.LessOrEqualf(t, m.Height, float32(480), "%s/%s min height", lang, name)
		}
		check("setup/scan")
		r.tap("No camera? Show a code instead")
		check("setup/show")
		r.tap("Type a code")
		check("setup/type")
		long := append([]app.Contact{{ID: "x", Name: "Alessandra Maria Bianchi", Relation: "Granddaughter"}}, family...)
		r.send(app.ConfigEvent{Patient: app.Patient{Name: "Massimiliana", Language: lang, Contacts: long}})
		check("home")
		r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: long[0], AutoAnswer: true})
		check("incoming")
		r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: long[0]})
		check("in-call")
		r.send(app.CallEvent{State: app.Ended, Peer: long[0], Reason: "failed"})
		check("ended")
		r.send(app.CallEvent{State: app.Ringing, Peer: long[0]})
		check("outgoing")
		r.send(app.CallEvent{State: app.Ended, Peer: long[0], Reason: "cancelled"})
		r.advance(5 * time.Second)
		r.k.RequestNurse()
		check("pin")
		e := r.entry()
		test.Type(e, "2580")
		e.TypedKey(&fyne.KeyEvent{Name: fyne.KeyReturn})
		r.pinChecked()
		require.Equal(t, "nurse", r.k.Screen())
		check("nurse")
		back := map[string]string{"en": "Back", "it": "Indietro"}[lang]
		r.tap(back)
		r.pin.Set("") // the panel locked: no PIN yet
		r.k.RequestNurse()
		require.Equal(t, "pin", r.k.Screen())
		check("pin/locked")
		r.pin.Set("2580")
		r.tap(back)
	}
}

func TestScreenKeptAwakeFromRingToHangUp(t *testing.T) {
	var awake []bool
	r := newRig(t, func(c *app.Config) { c.KeepAwake = func(on bool) { awake = append(awake, on) } })
	last := func() bool { return len(awake) > 0 && awake[len(awake)-1] }
	assert.False(t, last())
	r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: family[0]})
	assert.True(t, last(), "a ringing call wakes the screen")
	r.tap("Answer")
	assert.True(t, last(), "kept on in the call")
	r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: family[0]})
	assert.True(t, last())
	r.tap("Hang up")
	assert.False(t, last(), "released after the call")
	test.Tap(r.tile("Anna"))
	assert.True(t, last(), "on while calling out")
	r.tap("Cancel")
	assert.False(t, last())
}

// TestTilesAtLeastAFifthOfTheShortSide checks the home tiles on small and large screens, in
// landscape and portrait, with few and many contacts.
func TestTilesAtLeastAFifthOfTheShortSide(t *testing.T) {
	many := make([]app.Contact, 12)
	for i := range many {
		many[i] = app.Contact{ID: fmt.Sprintf("c%d", i), Name: fmt.Sprintf("Person %d", i), Relation: "Cousin"}
	}
	for _, size := range []fyne.Size{{Width: 800, Height: 480}, {Width: 480, Height: 800},
		{Width: 1280, Height: 800}, {Width: 1920, Height: 1200}, {Width: 1200, Height: 1920}} {
		for _, contacts := range [][]app.Contact{family, many} {
			r := newRig(t)
			r.k.Window().Resize(size)
			r.send(app.ConfigEvent{Patient: app.Patient{Name: "Maria", Contacts: contacts}})
			short := fyne.Min(size.Width, size.Height)
			for _, c := range contacts {
				tl := r.tile(c.Name)
				assert.GreaterOrEqualf(t, tl.Size().Width, short/5, "%v, %d contacts: %s is %v", size, len(contacts), c.Name, tl.Size())
			}
		}
	}
}

func TestHomeShowsVisitingHoursAndAFreeBed(t *testing.T) {
	r := newRig(t)
	assert.False(t, r.shows("Visiting hours"), "none set: any time")
	r.send(app.ConfigEvent{Patient: app.Patient{Name: "Maria", Contacts: family, VisitingHours: "09:00-20:00"}})
	r.requireShows("Visiting hours: 09:00-20:00")
	// Discharged: the bed is free, calmly said; no contacts are left on screen.
	r.send(app.ConfigEvent{Patient: app.Patient{Ward: "Ward 3", Bed: "12"}})
	r.requireShows("No patient in this bed")
	assert.False(t, r.shows("Anna"))
	assert.False(t, r.shows("Maria"))
	assert.Equal(t, "home", r.k.Screen())
}
