package app_test

import (
	"fmt"
	"testing"
	"time"

	"bedside/app"
)

// The patient's screens, in English and Italian and with a long name, fit a phone held upright
// (720x1280), a small tablet on its side (1024x600) and a large tablet (1920x1200): home,
// an incoming call, a call in progress (with its banners), a call that ended, the nurse PIN and (in English) the nurse panel.
func TestPatientScreensFit(t *testing.T) {
	long := app.Contact{ID: "c1", Name: "Mariangela-Addolorata", Relation: "Daughter", Online: true}
	for _, lang := range []string{"en", "it"} {
		for _, size := range kioskScreens {
			t.Run(fmt.Sprintf("%s-%.0fx%.0f", lang, size.Width, size.Height), func(t *testing.T) {
				r := newRig(t, func(c *app.Config) {
					c.Patient.Language = lang
					c.Patient.VisitingHours = "09:00-12:00, 15:00-20:00"
					c.Patient.Contacts = append([]app.Contact{long}, family[1:]...)
				})
				r.k.Window().Resize(size)
				check := func(screen string) {
					t.Helper()
					r.drain()
					for _, p := range r.cutOff(size) {
						t.Errorf("%s: %s", screen, p)
					}
				}
				check("home")
				r.send(app.CallEvent{State: app.Ringing, Incoming: true, Peer: long})
				check("incoming")
				r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: long})
				r.advance(time.Second)
				check("in-call")
				r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: long, Reconnecting: true})
				r.advance(time.Second)
				check("in-call, reconnecting")
				r.send(app.CallEvent{State: app.InCall, Incoming: true, Peer: long, SoundOnly: true})
				r.advance(time.Second)
				check("in-call, sound only")
				r.send(app.CallEvent{State: app.Ended, Incoming: true, Peer: long, Reason: "failed"})
				check("ended")
				r.advance(10 * time.Second)
				r.k.RequestNurse()
				check("nurse PIN")
				if lang == "en" {
					r.typePIN("2580")
					check("nurse panel")
				}
			})
		}
	}
}
