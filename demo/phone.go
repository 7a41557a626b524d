package demo

import (
	"context"
	"fmt"
	"sync"
	"time"

	"bedside/app"
	"bedside/provisioning"
)

// phone is the demo's call engine: it answers the kiosk's requests as a cooperative engine
// does (a dialled call rings, an answered one is in the call, a declined or hung-up one ends).
// The kiosk reads its events all the time; the buffer only lets a request return before the
// kiosk has taken its answer.
type phone struct {
	events chan app.Event

	mu   sync.Mutex
	peer app.Contact
}

func newPhone() *phone { return &phone{events: make(chan app.Event, 16)} }

func (p *phone) setPeer(c app.Contact) {
	p.mu.Lock()
	p.peer = c
	p.mu.Unlock()
}

func (p *phone) send(ev app.Event) { p.events <- ev }

func (p *phone) reply(ev app.CallEvent) error {
	p.mu.Lock()
	ev.Peer = p.peer
	p.mu.Unlock()
	p.send(ev)
	return nil
}

// Events implements app.Phone.
func (p *phone) Events() <-chan app.Event { return p.events }

// Dial implements app.Phone.
func (p *phone) Dial(context.Context, string) error {
	return p.reply(app.CallEvent{State: app.Ringing})
}

// Answer implements app.Phone.
func (p *phone) Answer(context.Context) error {
	return p.reply(app.CallEvent{State: app.InCall, Incoming: true})
}

// Decline implements app.Phone.
func (p *phone) Decline(context.Context) error {
	return p.reply(app.CallEvent{State: app.Ended, Incoming: true, Reason: "declined"})
}

// Hangup implements app.Phone.
func (p *phone) Hangup(context.Context) error {
	return p.reply(app.CallEvent{State: app.Ended, Reason: "hangup"})
}

// SetMuted implements app.Phone; the demo sends nothing.
func (p *phone) SetMuted(bool) {}

// SetCameraOn implements app.Phone; the demo sends nothing.
func (p *phone) SetCameraOn(bool) {}

// demoCode is the code that pairs the demo tablet when typed.
const demoCode = "ABCD2345"

// pairer pairs the typed demoCode at once. A scanned code pairs only after an hour, so that the
// scan screen can be seen at work; the tablet's own pairing request names server.
type pairer struct{ server string }

// Pair implements app.Pairer.
func (pairer) Pair(_ context.Context, code string) (app.Paired, error) {
	if code != demoCode {
		return app.Paired{}, fmt.Errorf("demo: %w", app.ErrPairInvalid)
	}
	return app.Paired{Ward: "Ward 3", Bed: "12"}, nil
}

// PairPayload implements app.Pairer.
func (pairer) PairPayload(ctx context.Context, _ provisioning.Payload) (app.Paired, error) {
	select {
	case <-ctx.Done():
		return app.Paired{}, ctx.Err()
	case <-time.After(time.Hour):
		return app.Paired{Ward: "Ward 3", Bed: "12"}, nil
	}
}

// PairingRequest implements app.Pairer.
func (p pairer) PairingRequest(code string) (string, error) {
	return provisioning.PairingRequestURL(p.server, code, "SHA256:demo"), nil
}

// pin is the demo's nurse PIN: DemoPIN.
type pin struct{}

func (pin) Known() bool           { return true }
func (pin) Check(pin string) bool { return pin == DemoPIN }
