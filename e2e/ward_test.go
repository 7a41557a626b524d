package e2e

import (
	"context"
	"crypto/rand"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/assets"
	"bedside/provisioning"
	"bedside/server"
	"bedside/server/console"
	"bedside/server/store"
)

// ward is a running ward server on a real SQLite file and a loopback listener, with the demo
// ward seeded (bed 1, patient Maria, contact Anna). It can stop and start again on the same
// address and database, as a real server restarts.
type ward struct {
	tb    testing.TB
	opts  wardOptions
	db    string
	addr  string // host:port of the listener
	url   string // http://addr
	log   *slog.Logger
	st    *store.SQLite
	srv   *server.Server
	hs    *http.Server
	demo  server.DemoInfo
	admin string // the password of the console's admin "head.nurse" (withConsole)
}

type wardOptions struct {
	tweaks  []func(*server.Config)
	console bool
	pages   []route
}

// route is a handler of test pages, served beside the ward's own.
type route struct {
	pattern string
	h       http.Handler
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
	return func(o *wardOptions) { o.pages = append(o.pages, route{pattern, h}) }
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(tb, err)
	w := &ward{tb: tb, db: filepath.Join(tb.TempDir(), "bedside.db"), addr: ln.Addr().String(), log: testLogger(tb)}
	for _, opt := range opts {
		opt(&w.opts)
	}
	w.url = "http://" + w.addr
	w.start(ln)
	tb.Cleanup(w.stop)
	ctx := context.Background()
	w.demo, err = server.SeedDemo(ctx, w.st, server.DemoOptions{BaseURL: w.url})
	require.NoError(tb, err)
	if w.opts.console {
		w.admin, err = console.AddUser(ctx, w.st, "head.nurse", store.RoleAdmin, nil, rand.Reader)
		require.NoError(tb, err)
	}
	return w
}

func (w *ward) start(ln net.Listener) {
	tb := w.tb
	tb.Helper()
	st, err := store.Open(context.Background(), w.db, store.Options{})
	require.NoError(tb, err)
	web, err := fs.Sub(assets.Web, "web")
	require.NoError(tb, err)
	cfg := server.Config{Store: st, Web: web, Logger: w.log, BaseURL: w.url}
	for _, tweak := range w.opts.tweaks {
		tweak(&cfg)
	}
	srv, err := server.New(cfg)
	require.NoError(tb, err)
	mux := http.NewServeMux()
	if w.opts.console {
		files, err := fs.Sub(assets.Console, "console")
		require.NoError(tb, err)
		con, err := console.New(console.Config{Store: st, Files: files, Hub: srv, Logger: w.log, BaseURL: w.url})
		require.NoError(tb, err)
		mux.Handle("/console/", con.Handler())
	}
	for _, p := range w.opts.pages {
		mux.Handle(p.pattern, p.h)
	}
	mux.Handle("/", srv.Handler())
	w.st, w.srv = st, srv
	w.hs = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = w.hs.Serve(ln) }()
}

// stop stops the server and closes its database; the test's end does it too.
func (w *ward) stop() {
	if w.srv == nil {
		return
	}
	w.srv.Close()
	require.NoError(w.tb, w.hs.Close())
	require.NoError(w.tb, w.st.Close())
	w.srv = nil
}

// startAgain starts the stopped server again on the same address and database.
func (w *ward) startAgain() {
	w.tb.Helper()
	var ln net.Listener
	eventually(w.tb, "the address is free again", func() bool {
		var err error
		ln, err = net.Listen("tcp", w.addr)
		return err == nil
	})
	w.start(ln)
}

func (w *ward) wsURL() string { return "ws://" + w.addr + "/ws" }

// bed is a bed of the demo ward beside the demo's, with its own patient, contact, family link
// and pairing code.
type bed struct {
	familyURL, pairingCode string
}

// addBed adds a bed named name, so that two tablets can be called side by side.
func (w *ward) addBed(tb testing.TB, name string) bed {
	tb.Helper()
	ctx := context.Background()
	b, err := w.st.CreateBed(ctx, store.Bed{WardID: w.demo.WardID, Name: name})
	require.NoError(tb, err)
	p, err := w.st.Admit(ctx, store.Patient{BedID: b.ID, FirstName: "Bench", Language: "en", Admitted: time.Now()})
	require.NoError(tb, err)
	k, err := w.st.CreateContact(ctx, store.Contact{PatientID: p.ID, Name: "Family", Relation: "son", Language: "en"})
	require.NoError(tb, err)
	token, err := server.NewFamilyLink(ctx, w.st, k.ID, time.Hour, server.LinkOptions{})
	require.NoError(tb, err)
	_, code, err := server.NewEnrollment(ctx, w.st, w.demo.WardID, b.ID, time.Hour, server.EnrollmentOptions{})
	require.NoError(tb, err)
	return bed{familyURL: server.FamilyURL(w.url, token), pairingCode: provisioning.FormatCode(code)}
}
