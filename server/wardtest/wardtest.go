// Package wardtest starts a real ward server for tests: the server of package server on a real
// SQLite file in the test's temporary directory and a loopback listener (127.0.0.1, port 0),
// with the demo ward seeded (bed 1, patient Maria, contact Anna), and the nurse console when
// asked. It can stop and start again on the same address and database, as a real server
// restarts. It is the one harness every test package uses to start a ward server; only tests
// import it.
package wardtest

import (
	"bytes"
	"context"
	"crypto/rand"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"bedside/assets"
	"bedside/internal/testkit"
	"bedside/provisioning"
	"bedside/server"
	"bedside/server/console"
	"bedside/server/store"
)

// Options change the ward Start runs. The zero value is a plain demo ward.
type Options struct {
	// Config adjusts the server's configuration before it starts (rate limits, timers...).
	Config func(*server.Config)
	// Console mounts the nurse console under /console/, as cmd/bedside-server does, and gives
	// it an admin, "head.nurse" (password in Ward.Admin).
	Console bool
	// Pages are served beside the ward's own handlers, on its origin (which the WebSocket
	// endpoint requires of the pages that open it): pattern → handler.
	Pages map[string]http.Handler
	// Now and AfterFunc are the server's and the store's clock, for tests that move time by
	// hand; nil uses the real one.
	Now       func() time.Time
	AfterFunc func(d time.Duration, f func()) server.Timer
	// DB is the store's database: a postgres:// URL (internal/pgtest), or empty for a SQLite
	// file in the test's temp dir.
	DB string
}

// Ward is a running ward server.
type Ward struct {
	tb   testing.TB
	opts Options
	db   string
	addr string // host:port of the listener
	hs   *http.Server

	URL   string // http://127.0.0.1:port
	Store *store.SQLite
	Srv   *server.Server
	Demo  server.DemoInfo
	Admin string // the console admin's password, with Options.Console
	Logs  *Logs  // the server's log lines, printed when the test fails
}

// Start starts a ward changed by opts; it stops when the test ends.
func Start(tb testing.TB, opts Options) *Ward {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("wardtest: listen: %v", err)
	}
	w := &Ward{tb: tb, opts: opts, db: opts.DB, addr: ln.Addr().String(), Logs: &Logs{}}
	if w.db == "" {
		w.db = filepath.Join(tb.TempDir(), "bedside.db")
	}
	w.URL = "http://" + w.addr
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("ward server logs:\n%s", w.Logs.String())
		}
	})
	w.start(ln)
	tb.Cleanup(w.Stop)
	ctx := context.Background()
	w.Demo, err = server.SeedDemo(ctx, w.Store, server.DemoOptions{BaseURL: w.URL, Now: opts.Now})
	must(tb, "seed the demo ward", err)
	if opts.Console {
		w.Admin, err = console.AddUser(ctx, w.Store, "head.nurse", store.RoleAdmin, nil, rand.Reader)
		must(tb, "add the console admin", err)
	}
	return w
}

func must(tb testing.TB, what string, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatalf("wardtest: %s: %v", what, err)
	}
}

// Logger is the server's logger: debug and up, into w.Logs.
func (w *Ward) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(w.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func (w *Ward) start(ln net.Listener) {
	tb := w.tb
	tb.Helper()
	st, err := store.Open(context.Background(), w.db, store.Options{Now: w.opts.Now})
	must(tb, "open the store", err)
	web, err := fs.Sub(assets.Web, "web")
	must(tb, "family page files", err)
	log := w.Logger()
	cfg := server.Config{Store: st, Web: web, Logger: log, BaseURL: w.URL, Now: w.opts.Now,
		AfterFunc: w.opts.AfterFunc}
	if w.opts.Config != nil {
		w.opts.Config(&cfg)
	}
	srv, err := server.New(cfg)
	must(tb, "new server", err)
	mux := http.NewServeMux()
	if w.opts.Console {
		files, err := fs.Sub(assets.Console, "console")
		must(tb, "console files", err)
		con, err := console.New(console.Config{Store: st, Files: files, Hub: srv, Logger: log,
			BaseURL: w.URL, Now: w.opts.Now})
		must(tb, "new console", err)
		mux.Handle("/console/", con.Handler())
	}
	for pattern, h := range w.opts.Pages {
		mux.Handle(pattern, h)
	}
	mux.Handle("/", srv.Handler())
	w.Store, w.Srv = st, srv
	w.hs = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = w.hs.Serve(ln) }()
}

// Stop stops the server and closes its database; the test's end does it too.
func (w *Ward) Stop() {
	if w.Srv == nil {
		return
	}
	w.Srv.Close()
	if err := w.hs.Close(); err != nil {
		w.tb.Errorf("wardtest: close the listener: %v", err)
	}
	if err := w.Store.Close(); err != nil {
		w.tb.Errorf("wardtest: close the store: %v", err)
	}
	w.Srv = nil
}

// StartAgain starts the stopped server again on the same address and database.
func (w *Ward) StartAgain() {
	w.tb.Helper()
	var ln net.Listener
	testkit.Eventually(w.tb, "the address is free again", func() bool {
		var err error
		ln, err = net.Listen("tcp", w.addr)
		return err == nil
	})
	w.start(ln)
}

// WSURL is the ward's signaling endpoint.
func (w *Ward) WSURL() string { return "ws://" + w.addr + "/ws" }

// Bed is a bed added beside the demo's, with its own patient, contact, family link and
// pairing code.
type Bed struct {
	FamilyURL, PairingCode string
}

// AddBed adds a bed named name to the demo ward, so that two tablets can be called side by
// side.
func (w *Ward) AddBed(tb testing.TB, name string) Bed {
	tb.Helper()
	ctx := context.Background()
	b, err := w.Store.CreateBed(ctx, store.Bed{WardID: w.Demo.WardID, Name: name})
	must(tb, "create a bed", err)
	p, err := w.Store.Admit(ctx, store.Patient{BedID: b.ID, FirstName: "Bench", Language: "en", Admitted: time.Now()})
	must(tb, "admit", err)
	k, err := w.Store.CreateContact(ctx, store.Contact{PatientID: p.ID, Name: "Family", Relation: "son", Language: "en"})
	must(tb, "create a contact", err)
	token, err := server.NewFamilyLink(ctx, w.Store, k.ID, time.Hour, server.LinkOptions{})
	must(tb, "make a family link", err)
	_, code, err := server.NewEnrollment(ctx, w.Store, w.Demo.WardID, b.ID, time.Hour, server.EnrollmentOptions{})
	must(tb, "make a pairing code", err)
	return Bed{FamilyURL: server.FamilyURL(w.URL, token), PairingCode: provisioning.FormatCode(code)}
}

// Logs collects log lines from many goroutines.
type Logs struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *Logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String returns everything logged so far.
func (l *Logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
