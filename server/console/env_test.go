package console_test

import (
	"context"
	"crypto/rand"
	"io"
	"io/fs"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/assets"
	"bedside/server/console"
	"bedside/server/store"
)

// clock is an injected clock that tests move forward.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// recordingHub is a Hub that remembers what it was told; tablets are online when listed.
type recordingHub struct {
	mu     sync.Mutex
	online map[string]bool
	calls  []string
}

func (h *recordingHub) DeviceOnline(id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.online[id]
}

func (h *recordingHub) record(s string) {
	h.mu.Lock()
	h.calls = append(h.calls, s)
	h.mu.Unlock()
}

func (h *recordingHub) ConfigChanged(_ context.Context, bedID string) { h.record("config " + bedID) }
func (h *recordingHub) RevokeGuest(_ context.Context, guestID string) { h.record("guest " + guestID) }
func (h *recordingHub) Discharged(_ context.Context, id string)       { h.record("wipe " + id) }
func (h *recordingHub) RevokeDevice(_ context.Context, id string)     { h.record("revoke " + id) }
func (h *recordingHub) WardChanged(_ context.Context, id string)      { h.record("ward " + id) }

func (h *recordingHub) told() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.calls...)
}

// env is a console on a real SQLite file, served on 127.0.0.1:0.
type env struct {
	ctx   context.Context
	st    *store.SQLite
	clock *clock
	hub   *recordingHub
	con   *console.Console
	srv   *httptest.Server
}

func consoleFiles(t testing.TB) fs.FS {
	sub, err := fs.Sub(assets.Console, "console")
	require.NoError(t, err)
	return sub
}

func newEnv(t testing.TB, tweak func(*console.Config)) *env {
	t.Helper()
	e := &env{ctx: context.Background(), clock: &clock{t: time.Now()}, hub: &recordingHub{online: map[string]bool{}}}
	st, err := store.Open(e.ctx, filepath.Join(t.TempDir(), "bedside.db"), store.Options{Now: e.clock.Now})
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	e.st = st
	cfg := console.Config{Store: st, Files: consoleFiles(t), Hub: e.hub, Now: e.clock.Now}
	if tweak != nil {
		tweak(&cfg)
	}
	e.con, err = console.New(cfg)
	require.NoError(t, err)
	e.srv = httptest.NewServer(e.con.Handler())
	t.Cleanup(e.srv.Close)
	return e
}

// user adds an account and returns its password.
func (e *env) user(t testing.TB, name string, role store.Role, wards ...string) string {
	t.Helper()
	pw, err := console.AddUser(e.ctx, e.st, name, role, wards, rand.Reader)
	require.NoError(t, err)
	return pw
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	t    testing.TB
	e    *env
	hc   *http.Client
	csrf string
}

func (e *env) browser(t testing.TB) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, e: e, hc: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// response is what a request gave.
type response struct {
	status   int
	location string
	body     string
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	resp, err := b.hc.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	if m := csrfRE.FindSubmatch(body); m != nil {
		b.csrf = string(m[1])
	}
	return response{status: resp.StatusCode, location: resp.Header.Get("Location"), body: string(body)}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.e.srv.URL+path, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

// post sends a form with the session's CSRF token (unless form already has a csrf field).
func (b *browser) post(path string, form url.Values) response {
	b.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if _, ok := form["csrf"]; !ok && b.csrf != "" {
		form.Set("csrf", b.csrf)
	}
	return b.postRaw(path, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
}

func (b *browser) postRaw(path, contentType string, body io.Reader) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.e.srv.URL+path, body)
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", contentType)
	return b.do(req)
}

// login logs in and fails the test unless it works.
func (b *browser) login(name, pw string) {
	b.t.Helper()
	b.get("/console/login")
	r := b.post("/console/login", url.Values{"name": {name}, "password": {pw}})
	require.Equal(b.t, http.StatusSeeOther, r.status, r.body)
	require.Equal(b.t, "/console/", r.location)
	r = b.get("/console/")
	require.Equal(b.t, http.StatusOK, r.status)
}
