package app_test

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"
	"github.com/stretchr/testify/require"

	"bedside/app"
	"bedside/app/apptest"
)

// rig is a kiosk on the test driver with fakes around it. UI work from other goroutines is
// queued and run by the test goroutine in waitFor, so tests have no data races.
type rig struct {
	t     *testing.T
	k     *app.Kiosk
	phone *apptest.Phone
	pair  *apptest.Pairer
	clock *apptest.Clock
	audio *apptest.Audio
	pin   *apptest.PIN
	uiq   chan func()
}

var testNow = time.Date(2026, 11, 27, 9, 30, 0, 0, time.UTC) // a Friday morning

var family = []app.Contact{
	{ID: "c1", Name: "Anna", Relation: "Daughter", Online: true},
	{ID: "c2", Name: "Marco Rossi", Relation: "Son", Online: false},
	{ID: "c3", Name: "Giulia", Relation: "Granddaughter", Online: true},
}

type rigOpt func(*app.Config)

func newRig(t *testing.T, opts ...rigOpt) *rig {
	t.Helper()
	a := test.NewTempApp(t)
	r := &rig{t: t, phone: apptest.NewPhone(), clock: apptest.NewClock(testNow),
		audio: &apptest.Audio{}, pin: apptest.NewPIN("2580"), uiq: make(chan func(), 256),
		pair: &apptest.Pairer{Codes: map[string]error{
			"ABCD2345": nil, "EXPD2345": app.ErrPairExpired, "USED2345": app.ErrPairUsed}}}
	cfg := app.Config{
		App: a, Phone: r.phone, Pairer: r.pair, Audio: r.audio, Clock: r.clock,
		NursePIN: r.pin,
		Paired:   true,
		Patient:  app.Patient{Name: "Maria", Language: "en", Ward: "Ward 3", Bed: "12", Contacts: family},
		Do:       func(f func()) { r.uiq <- f },
	}
	for _, o := range opts {
		o(&cfg)
	}
	k, err := app.New(cfg)
	require.NoError(t, err)
	r.k = k
	k.Window().Resize(fyne.NewSize(1280, 800))
	t.Cleanup(k.Close)
	return r
}

// pump runs queued UI work until cond holds, or fails after a few seconds.
func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s (screen %q)", what, r.k.Screen())
		}
		select {
		case f := <-r.uiq:
			f()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func (r *rig) waitScreen(name string) {
	r.t.Helper()
	r.waitFor("screen "+name, func() bool { return r.k.Screen() == name })
}

// send injects an event and waits until the kiosk handled it.
func (r *rig) send(ev app.Event) {
	r.t.Helper()
	r.phone.Send(ev) // unbuffered: the kiosk's loop has it, and queues its handling next
	select {
	case f := <-r.uiq:
		f()
	case <-time.After(5 * time.Second):
		r.t.Fatal("the kiosk did not handle the event")
	}
	r.drain()
}

// drain runs UI work that is already queued or arrives within a moment.
func (r *rig) drain() {
	for {
		select {
		case f := <-r.uiq:
			f()
		case <-time.After(20 * time.Millisecond):
			return
		}
	}
}

// objects returns every visible object on the window, skipping hidden subtrees.
func (r *rig) objects() []fyne.CanvasObject {
	c := r.k.Window().Canvas()
	var out []fyne.CanvasObject
	var walk func(o fyne.CanvasObject)
	walk = func(o fyne.CanvasObject) {
		if o == nil || !o.Visible() {
			return
		}
		out = append(out, o)
		switch o := o.(type) {
		case *fyne.Container:
			for _, ch := range o.Objects {
				walk(ch)
			}
		case fyne.Widget:
			for _, ch := range test.WidgetRenderer(o).Objects() {
				walk(ch)
			}
		}
	}
	walk(c.Content())
	for _, o := range c.Overlays().List() {
		walk(o)
	}
	return out
}

// advance moves the fake clock in small steps, running the UI work each step queues, so that
// tickers (which reschedule from the UI goroutine) keep ticking.
func (r *rig) advance(d time.Duration) {
	const step = 100 * time.Millisecond
	for d > 0 {
		s := min(step, d)
		r.clock.Advance(s)
		d -= s
		for more := true; more; {
			select {
			case f := <-r.uiq:
				f()
			default:
				more = false
			}
		}
	}
}

func visible(o fyne.CanvasObject) bool { return o.Visible() }

// button finds the visible BigButton labelled text.
func (r *rig) button(text string) *app.BigButton {
	r.t.Helper()
	for _, o := range r.objects() {
		if b, ok := o.(*app.BigButton); ok && b.Text == text && visible(b) {
			return b
		}
	}
	r.t.Fatalf("no button %q on screen %q; texts: %v", text, r.k.Screen(), r.texts())
	return nil
}

func (r *rig) hasButton(text string) bool {
	for _, o := range r.objects() {
		if b, ok := o.(*app.BigButton); ok && b.Text == text && visible(b) {
			return true
		}
	}
	return false
}

func (r *rig) tap(text string) {
	r.t.Helper()
	test.Tap(r.button(text))
}

func (r *rig) tile(name string) *app.Tile {
	r.t.Helper()
	for _, o := range r.objects() {
		if t, ok := o.(*app.Tile); ok && t.Contact.Name == name {
			return t
		}
	}
	r.t.Fatalf("no tile %q", name)
	return nil
}

func (r *rig) entry() *widget.Entry {
	r.t.Helper()
	for _, o := range r.objects() {
		if e, ok := o.(*widget.Entry); ok {
			return e
		}
	}
	r.t.Fatalf("no entry on screen %q", r.k.Screen())
	return nil
}

// texts returns every visible text on screen.
func (r *rig) texts() []string {
	var out []string
	for _, o := range r.objects() {
		if !o.Visible() {
			continue
		}
		switch o := o.(type) {
		case *canvas.Text:
			if o.Text != "" {
				out = append(out, o.Text)
			}
		case *app.BigButton:
			out = append(out, o.Text)
		}
	}
	return out
}

// shows reports whether some visible text contains s, or the texts do when joined by spaces
// (wrapped labels are one text per line).
func (r *rig) shows(s string) bool {
	texts := r.texts()
	for _, t := range texts {
		if strings.Contains(t, s) {
			return true
		}
	}
	return strings.Contains(strings.Join(texts, " "), s)
}

func (r *rig) requireShows(s string) {
	r.t.Helper()
	require.Truef(r.t, r.shows(s), "screen %q does not show %q; it shows %q", r.k.Screen(), s, r.texts())
}
