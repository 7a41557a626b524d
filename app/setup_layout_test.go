package app_test

import (
	"fmt"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"

	"bedside/app"
	"bedside/app/apptest"
)

// kioskScreens are the screens a tablet may have: a phone held upright, a small tablet on its
// side, a large tablet.
var kioskScreens = []fyne.Size{{Width: 720, Height: 1280}, {Width: 1024, Height: 600}, {Width: 1920, Height: 1200}}

// cutOff lists the texts on the window that do not get the width they need, or lie partly
// outside a window of size (below it is fine inside a vertical scroll: it can be reached).
func (r *rig) cutOff(size fyne.Size) []string {
	r.t.Helper()
	d := fyne.CurrentApp().Driver()
	var out []string
	var walk func(o fyne.CanvasObject, scrolls bool)
	walk = func(o fyne.CanvasObject, scrolls bool) {
		if o == nil || !o.Visible() {
			return
		}
		switch o := o.(type) {
		case *canvas.Text:
			if o.Text == "" {
				return
			}
			need, got := o.MinSize(), o.Size()
			pos := d.AbsolutePositionForObject(o)
			below := pos.Y+got.Height > size.Height+1 && !scrolls
			switch {
			case need.Width > got.Width+1:
				out = append(out, fmt.Sprintf("%q needs %.0f px, gets %.0f", o.Text, need.Width, got.Width))
			case pos.X < -1 || pos.Y < -1 || pos.X+got.Width > size.Width+1 || below:
				out = append(out, fmt.Sprintf("%q at %.0f,%.0f (%.0fx%.0f) leaves the %.0fx%.0f window", o.Text, pos.X, pos.Y, got.Width, got.Height, size.Width, size.Height))
			}
		case *fyne.Container:
			for _, ch := range o.Objects {
				walk(ch, scrolls)
			}
		case *container.Scroll:
			walk(o.Content, scrolls || o.Direction == container.ScrollVerticalOnly || o.Direction == container.ScrollBoth)
		case fyne.Widget:
			for _, ch := range test.WidgetRenderer(o).Objects() {
				walk(ch, scrolls)
			}
		}
	}
	c := r.k.Window().Canvas()
	walk(c.Content(), false)
	for _, o := range c.Overlays().List() {
		walk(o, false)
	}
	return out
}

// Every setup screen, in English and Italian, fits a phone held upright (720x1280), a small
// tablet on its side (1024x600) and a large tablet (1920x1200): no text is cut off or leaves
// the window.
func TestSetupScreensFit(t *testing.T) {
	for _, lang := range []string{"en", "it"} {
		for _, size := range kioskScreens {
			t.Run(fmt.Sprintf("%s-%.0fx%.0f", lang, size.Width, size.Height), func(t *testing.T) {
				cam := &apptest.Camera{}
				r := newRig(t, unpaired, func(c *app.Config) {
					c.Camera = cam
					c.Patient.Language = lang
				})
				r.pair.Server = "https://ward.example"
				r.k.Window().Resize(size)
				check := func(screen string) {
					t.Helper()
					r.drain()
					for _, p := range r.cutOff(size) {
						t.Errorf("%s: %s", screen, p)
					}
				}
				check("scan")
				r.tap(map[string]string{"en": "No camera? Show a code instead", "it": "Niente fotocamera? Mostra un codice"}[lang])
				check("show")
				r.tap(map[string]string{"en": "Type a code", "it": "Digita un codice"}[lang])
				check("type")
				test.Type(r.entry(), "ABCD2345")
				r.tap(map[string]string{"en": "Pair", "it": "Associa"}[lang])
				r.waitFor("paired", func() bool { return len(r.pair.Tried()) == 1 })
				check("paired")
			})
		}
	}
}

// A windowed kiosk (-windowed, for development) opens as big as a common tablet, and its home
// screen fits: it opened at its content's minimum, which cut the tiles off.
func TestWindowedKioskFitsHome(t *testing.T) {
	a := test.NewTempApp(t)
	k, err := app.New(app.Config{App: a, Paired: true, Clock: apptest.NewClock(testNow),
		Patient: app.Patient{Name: "Maria", Language: "en", Ward: "Ward 3", Bed: "12", Contacts: family}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	if got := k.Window().Canvas().Size(); got != app.WindowedSize {
		t.Errorf("the window is %v, want %v", got, app.WindowedSize)
	}
	r := &rig{t: t, k: k}
	for _, p := range r.cutOff(app.WindowedSize) {
		t.Errorf("home: %s", p)
	}
}
