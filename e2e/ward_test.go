package e2e

import (
	"net/http"
	"strings"
	"testing"

	"bedside/server"
	"bedside/server/store"
	"bedside/server/wardtest"
)

// ward is the e2e tests' handle on a ward server that wardtest runs (a real SQLite file, a
// loopback listener, the demo ward: bed 1, patient Maria, contact Anna). It can stop and start
// again on the same address and database, as a real server restarts.
type ward struct {
	w     *wardtest.Ward
	opts  wardOptions
	url   string // http://127.0.0.1:port
	st    *store.SQLite
	srv   *server.Server
	demo  server.DemoInfo
	admin string // the password of the console's admin "head.nurse" (withConsole)
}

type wardOptions struct {
	tweaks  []func(*server.Config)
	console bool
	pages   map[string]http.Handler
}

// wardOption changes the ward newWard starts.
type wardOption func(*wardOptions)

// withConfig adjusts the server's configuration.
func withConfig(tweak func(*server.Config)) wardOption {
	return func(o *wardOptions) { o.tweaks = append(o.tweaks, tweak) }
}

// withConsole mounts the nurse console under /console/, as cmd/bedside-server does, and gives
// it an admin, "head.nurse" (password in ward.admin).
func withConsole(o *wardOptions) { o.console = true }

// withPages serves h under pattern (e.g. "GET /bench/") on the ward's origin, which the
// WebSocket endpoint requires of the pages that open it.
func withPages(pattern string, h http.Handler) wardOption {
	return func(o *wardOptions) {
		if o.pages == nil {
			o.pages = make(map[string]http.Handler)
		}
		o.pages[pattern] = h
	}
}

// unlimited lifts the rate limits on family links, enrollments and calls, for benchmarks that
// use them by the dozen.
func unlimited(c *server.Config) {
	c.LinkLookups = server.RateLimit{PerMinute: -1}
	c.Enrollments = server.RateLimit{PerMinute: -1}
	c.Invites = server.RateLimit{PerMinute: -1}
}

// newWard starts a ward server changed by opts; it stops with the test.
func newWard(tb testing.TB, opts ...wardOption) *ward {
	tb.Helper()
	w := &ward{}
	for _, opt := range opts {
		opt(&w.opts)
	}
	w.w = wardtest.Start(tb, wardtest.Options{
		Console: w.opts.console,
		Pages:   w.opts.pages,
		Config: func(c *server.Config) {
			for _, tweak := range w.opts.tweaks {
				tweak(c)
			}
		},
	})
	w.url, w.demo, w.admin = w.w.URL, w.w.Demo, w.w.Admin
	w.st, w.srv = w.w.Store, w.w.Srv
	return w
}

// stop stops the server and closes its database; the test's end does it too.
func (w *ward) stop() { w.w.Stop() }

// startAgain starts the stopped server again on the same address and database.
func (w *ward) startAgain() {
	w.w.StartAgain()
	w.st, w.srv = w.w.Store, w.w.Srv
}

func (w *ward) wsURL() string {
	if w.w == nil { // a ward server in another process (remoteWard): its URL only
		return "ws" + strings.TrimPrefix(w.url, "http") + "/ws"
	}
	return w.w.WSURL()
}

// bed is a bed of the demo ward beside the demo's, with its own patient, contact, family link
// and pairing code.
type bed struct {
	familyURL, pairingCode string
}

// addBed adds a bed named name, so that two tablets can be called side by side.
func (w *ward) addBed(tb testing.TB, name string) bed {
	tb.Helper()
	b := w.w.AddBed(tb, name)
	return bed{familyURL: b.FamilyURL, pairingCode: b.PairingCode}
}
