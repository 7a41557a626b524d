// Package apptest has hand-written fakes for driving the kiosk without a network: a Phone
// that records what the kiosk asked and lets a test (or the -demo mode) inject events, a Pairer,
// an Audio that records what played, and a Clock that only moves when told.
package apptest

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"bedside/app"
	"bedside/provisioning"
)

// Phone is a fake app.Phone (and app.Adder). Calls are recorded in order as "dial:ID",
// "answer", "decline", "hangup", "mute:true", "camera:false", "add:ID"; Send injects an event.
type Phone struct {
	events chan app.Event

	mu    sync.Mutex
	calls []string
	// Err, when set, is returned by Dial, Answer, Decline and Hangup.
	Err error
	// Echo makes the fake answer its own requests like a cooperative engine: Dial reports
	// Ringing (outgoing), Answer reports InCall, Decline and Hangup report Ended.
	Echo bool
	peer app.Contact
}

// NewPhone returns a fake phone. Its event channel is unbuffered: Send returns once the kiosk
// has taken the event.
func NewPhone() *Phone { return &Phone{events: make(chan app.Event)} }

// Events implements app.Phone.
func (p *Phone) Events() <-chan app.Event { return p.events }

// Send injects an event, as the engine would.
func (p *Phone) Send(ev app.Event) { p.events <- ev }

// Close closes the event channel.
func (p *Phone) Close() { close(p.events) }

func (p *Phone) record(s string) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls = append(p.calls, s)
	return p.Err
}

// Calls returns what the kiosk asked so far.
func (p *Phone) Calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.calls...)
}

// Has reports whether call s was made.
func (p *Phone) Has(s string) bool {
	for _, c := range p.Calls() {
		if c == s {
			return true
		}
	}
	return false
}

// SetPeer sets who an echoed call is with.
func (p *Phone) SetPeer(c app.Contact) {
	p.mu.Lock()
	p.peer = c
	p.mu.Unlock()
}

func (p *Phone) echo(ev app.CallEvent) {
	p.mu.Lock()
	on := p.Echo
	ev.Peer = p.peer
	p.mu.Unlock()
	if on {
		p.events <- ev
	}
}

// Dial implements app.Phone.
func (p *Phone) Dial(_ context.Context, id string) error {
	if err := p.record("dial:" + id); err != nil {
		return err
	}
	p.echo(app.CallEvent{State: app.Ringing})
	return nil
}

// Answer implements app.Phone.
func (p *Phone) Answer(context.Context) error {
	if err := p.record("answer"); err != nil {
		return err
	}
	p.echo(app.CallEvent{State: app.InCall, Incoming: true})
	return nil
}

// Decline implements app.Phone.
func (p *Phone) Decline(context.Context) error {
	if err := p.record("decline"); err != nil {
		return err
	}
	p.echo(app.CallEvent{State: app.Ended, Incoming: true, Reason: "declined"})
	return nil
}

// Hangup implements app.Phone.
func (p *Phone) Hangup(context.Context) error {
	if err := p.record("hangup"); err != nil {
		return err
	}
	p.echo(app.CallEvent{State: app.Ended, Reason: "hangup"})
	return nil
}

// Add implements app.Adder: it records "add:ID".
func (p *Phone) Add(_ context.Context, id string) error { return p.record("add:" + id) }

// SetMuted implements app.Phone.
func (p *Phone) SetMuted(m bool) {
	if m {
		_ = p.record("mute:true")
	} else {
		_ = p.record("mute:false")
	}
}

// SetCameraOn implements app.Phone.
func (p *Phone) SetCameraOn(on bool) {
	if on {
		_ = p.record("camera:true")
	} else {
		_ = p.record("camera:false")
	}
}

// Pairer is a fake app.Pairer: Codes maps a code (typed, polled, or a scanned payload's token)
// to its result or error.
type Pairer struct {
	mu    sync.Mutex
	Codes map[string]error
	// OnPaired runs after a successful pairing (the demo attaches a phone there).
	OnPaired func()
	// Server is the server PairingRequest puts in its URL; empty means none known.
	Server string
	// Paired is what a successful pairing returns; zero means Ward 3, bed 12.
	Paired app.Paired
	// Delay makes PairPayload wait this long (or until its context ends) before it answers.
	Delay    time.Duration
	tried    []string
	payloads []provisioning.Payload
	requests []string
}

// ErrUnknown is what the fake Pairer returns for a code it does not know.
var ErrUnknown = errors.New("apptest: unknown code")

// Pair implements app.Pairer.
func (p *Pairer) Pair(_ context.Context, code string) (app.Paired, error) {
	p.mu.Lock()
	p.tried = append(p.tried, code)
	p.mu.Unlock()
	return p.result(code)
}

// PairPayload implements app.Pairer: the payload's token is looked up in Codes.
func (p *Pairer) PairPayload(ctx context.Context, pl provisioning.Payload) (app.Paired, error) {
	p.mu.Lock()
	p.payloads = append(p.payloads, pl)
	d := p.Delay
	p.mu.Unlock()
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-ctx.Done():
			return app.Paired{}, ctx.Err()
		case <-t.C:
		}
	}
	return p.result(pl.Token)
}

// PairingRequest implements app.Pairer.
func (p *Pairer) PairingRequest(code string) (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests = append(p.requests, code)
	if p.Server == "" {
		return "", app.ErrPairNoServer
	}
	return provisioning.PairingRequestURL(p.Server, code, "SHA256:fake"), nil
}

// Approve makes code pair from now on, as a nurse approving a pairing request does.
func (p *Pairer) Approve(code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Codes == nil {
		p.Codes = map[string]error{}
	}
	p.Codes[code] = nil
}

// Requests returns the codes PairingRequest was asked to show, in order.
func (p *Pairer) Requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.requests...)
}

// Payloads returns the payloads PairPayload was given.
func (p *Pairer) Payloads() []provisioning.Payload {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]provisioning.Payload(nil), p.payloads...)
}

func (p *Pairer) result(code string) (app.Paired, error) {
	p.mu.Lock()
	err, ok := p.Codes[code]
	f := p.OnPaired
	res := p.Paired
	p.mu.Unlock()
	if !ok {
		return app.Paired{}, app.ErrPairInvalid
	}
	if err != nil {
		return app.Paired{}, err
	}
	if f != nil {
		f()
	}
	if res == (app.Paired{}) {
		res = app.Paired{Ward: "Ward 3", Bed: "12"}
	}
	return res, nil
}

// Tried returns the codes tried so far.
func (p *Pairer) Tried() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.tried...)
}

// Audio is a fake app.Audio that records what it was asked.
type Audio struct {
	mu      sync.Mutex
	Plays   int // Play calls
	Loops   int // Play calls with loop
	Stops   int
	Volume  float64
	Playing bool
}

// Play implements app.Audio.
func (a *Audio) Play(_ []int16, _ int, loop bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Plays++
	if loop {
		a.Loops++
	}
	a.Playing = true
}

// Stop implements app.Audio.
func (a *Audio) Stop() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Stops++
	a.Playing = false
}

// SetVolume implements app.Audio.
func (a *Audio) SetVolume(v float64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.Volume = v
}

// Snapshot returns a copy of the counters.
func (a *Audio) Snapshot() (plays, loops, stops int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.Plays, a.Loops, a.Stops
}

// Clock is a fake app.Clock: time stands still until Advance, which runs the timers that fall
// due, in order, on the caller's goroutine.
type Clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*timer
	seq    int
}

type timer struct {
	at      time.Time
	seq     int
	f       func()
	stopped bool
	c       *Clock
}

// NewClock returns a fake clock set to now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now implements app.Clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc implements app.Clock.
func (c *Clock) AfterFunc(d time.Duration, f func()) app.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.seq++
	t := &timer{at: c.now.Add(d), seq: c.seq, f: f, c: c}
	c.timers = append(c.timers, t)
	return t
}

func (t *timer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

// Advance moves the clock forward by d, firing every timer that falls due on the way
// (including ones those timers set), each at its own time.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		sort.Slice(c.timers, func(i, j int) bool {
			if c.timers[i].at.Equal(c.timers[j].at) {
				return c.timers[i].seq < c.timers[j].seq
			}
			return c.timers[i].at.Before(c.timers[j].at)
		})
		var next *timer
		for len(c.timers) > 0 {
			t := c.timers[0]
			if t.stopped {
				c.timers = c.timers[1:]
				continue
			}
			if !t.at.After(end) {
				next = t
				c.timers = c.timers[1:]
			}
			break
		}
		if next == nil {
			c.now = end
			c.mu.Unlock()
			return
		}
		c.now = next.at
		next.stopped = true
		c.mu.Unlock()
		next.f()
	}
}
