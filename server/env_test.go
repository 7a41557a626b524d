package server_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server"
	"bedside/server/store"
	"bedside/server/wardtest"
)

// wait bounds every blocking step of a test, so a broken server fails a test instead of
// hanging it. It is a guard, not a timing assertion.
const wait = 20 * time.Second

// clock is a manual clock: timers fire only when the test says so.
type clock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*fakeTimer
	count  int // timers made
}

type fakeTimer struct {
	c       *clock
	at      time.Time
	f       func()
	stopped bool
}

func (t *fakeTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

func newClock() *clock {
	return &clock{now: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) AfterFunc(d time.Duration, f func()) server.Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := &fakeTimer{c: c, at: c.now.Add(d), f: f}
	c.timers = append(c.timers, t)
	c.count++
	return t
}

// made counts the timers made so far.
func (c *clock) made() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.count
}

// Advance moves the clock on by d and runs the timers that came due, outside the lock.
func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	var due []func()
	keep := c.timers[:0]
	for _, t := range c.timers {
		switch {
		case t.stopped:
		case !t.at.After(c.now):
			t.stopped = true
			due = append(due, t.f)
		default:
			keep = append(keep, t)
		}
	}
	c.timers = keep
	c.mu.Unlock()
	for _, f := range due {
		f()
	}
}

// env is a running ward server (wardtest: a real SQLite file, a real loopback listener, the
// demo ward) on a manual clock.
type env struct {
	t     testing.TB
	w     *wardtest.Ward
	clock *clock
	url   string // http://127.0.0.1:port
	st    *store.SQLite
	srv   *server.Server
	demo  server.DemoInfo
	logs  *wardtest.Logs
}

// newEnv starts a server with a seeded demo ward. tweak may adjust the config.
func newEnv(t testing.TB, tweak func(*server.Config)) *env {
	t.Helper()
	e := &env{t: t, clock: newClock()}
	e.w = wardtest.Start(t, wardtest.Options{
		Now:       e.clock.Now,
		AfterFunc: e.clock.AfterFunc,
		Config: func(cfg *server.Config) {
			cfg.ICEServers = []signal.ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}}
			if tweak != nil {
				tweak(cfg)
			}
		},
	})
	e.url, e.demo, e.logs = e.w.URL, e.w.Demo, e.w.Logs
	e.st, e.srv = e.w.Store, e.w.Srv
	return e
}

// restart closes the server and store and starts them again on the same file and address.
func (e *env) restart() {
	e.w.Stop()
	e.w.StartAgain()
	e.st, e.srv = e.w.Store, e.w.Srv
}

func (e *env) wsURL() string { return e.w.WSURL() }

// device is an enrolled tablet's identity.
type device struct {
	id  string
	key ed25519.PrivateKey
}

// enroll pairs a new key through POST /api/enroll with code.
func (e *env) enroll(code string) device {
	e.t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(e.t, err)
	resp, body := e.post(signal.EnrollPath, signal.EnrollRequest{Code: code, PublicKey: base64.StdEncoding.EncodeToString(pub), Name: "test tablet"})
	require.Equal(e.t, http.StatusOK, resp.StatusCode, string(body))
	var er signal.EnrollResponse
	require.NoError(e.t, json.Unmarshal(body, &er))
	require.NotEmpty(e.t, er.Device)
	require.Equal(e.t, server.DemoWard, er.Ward)
	return device{id: er.Device, key: priv}
}

func (e *env) post(path string, v any) (*http.Response, []byte) {
	e.t.Helper()
	data, err := json.Marshal(v)
	require.NoError(e.t, err)
	resp, err := http.Post(e.url+path, "application/json", bytes.NewReader(data))
	require.NoError(e.t, err)
	defer resp.Body.Close()
	var buf bytes.Buffer
	_, err = buf.ReadFrom(resp.Body)
	require.NoError(e.t, err)
	return resp, buf.Bytes()
}

// ws is a raw test client.
type ws struct {
	t     testing.TB
	c     *websocket.Conn
	nonce string
	cfg   *signal.Config
}

// dial connects and reads the challenge.
func (e *env) dial() *ws {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := websocket.Dial(ctx, e.wsURL(), nil)
	require.NoError(e.t, err)
	return greeted(e.t, c)
}

// greeted wraps a new connection c (closed when the test ends) and reads the challenge.
func greeted(t testing.TB, c *websocket.Conn) *ws {
	t.Helper()
	c.SetReadLimit(1 << 20)
	w := &ws{t: t, c: c}
	t.Cleanup(func() { c.CloseNow() })
	m := w.next()
	require.Equal(t, signal.TypeChallenge, m.Type)
	require.GreaterOrEqual(t, len(m.Nonce), 22)
	w.nonce = m.Nonce
	return w
}

// family dials and says hello with a link token, expecting welcome.
func (e *env) family(token string) *ws {
	e.t.Helper()
	w := e.dial()
	w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: token})
	m := w.expect(signal.TypeWelcome)
	w.cfg = m.Config
	return w
}

// device dials and says hello as d, expecting welcome.
func (e *env) device(d device) *ws {
	e.t.Helper()
	w := e.dial()
	w.send(w.deviceHello(d))
	m := w.expect(signal.TypeWelcome)
	w.cfg = m.Config
	return w
}

func (w *ws) deviceHello(d device) signal.Message {
	sig := ed25519.Sign(d.key, signal.HelloPayload(w.nonce))
	return signal.Message{Type: signal.TypeHello, Role: signal.RoleDevice, Device: d.id, Sig: base64.StdEncoding.EncodeToString(sig)}
}

func (w *ws) send(m signal.Message) {
	w.t.Helper()
	data, err := json.Marshal(m)
	require.NoError(w.t, err)
	w.sendRaw(data)
}

func (w *ws) sendRaw(data []byte) {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(w.t, w.c.Write(ctx, websocket.MessageText, data))
}

// next reads one message.
func (w *ws) next() signal.Message {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, data, err := w.c.Read(ctx)
	require.NoError(w.t, err)
	m, err := signal.Decode(data)
	require.NoError(w.t, err, string(data))
	return m
}

// expect reads until a message of type typ, skipping presence; anything else fails.
func (w *ws) expect(typ signal.Type) signal.Message {
	w.t.Helper()
	for {
		m := w.next()
		if m.Type == typ {
			return m
		}
		if m.Type != signal.TypePresence {
			w.t.Fatalf("want %s, got %+v", typ, m)
		}
	}
}

// expectError reads until an error message and checks its code.
func (w *ws) expectError(code signal.Code) signal.Message {
	w.t.Helper()
	m := w.expect(signal.TypeError)
	require.Equal(w.t, code, m.Code, m.Message)
	return m
}

// expectClosed reads until the server closes the connection, skipping what comes before.
func (w *ws) expectClosed() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	for {
		_, data, err := w.c.Read(ctx)
		if err != nil {
			require.NotErrorIs(w.t, err, context.DeadlineExceeded)
			return
		}
		_ = data // whatever was queued before the close
	}
}

// sync waits until the server has handled everything w sent: the connection's messages are
// handled in order, so the reply to a bad message comes after all of them.
func (w *ws) sync() {
	w.t.Helper()
	w.sendRaw([]byte(`{"type":"sync-barrier"}`))
	w.expectError(signal.CodeUnknownType)
}

// calls reads the patient's call log.
func (e *env) calls() []store.CallRecord {
	e.t.Helper()
	recs, err := e.st.Calls(context.Background(), e.demo.PatientID, 0)
	require.NoError(e.t, err)
	return recs
}

// waitCalls waits until the call log has n rows (rows are written as calls end, just after
// the ended messages are queued) and returns them, newest first.
func (e *env) waitCalls(n int) []store.CallRecord {
	e.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		recs := e.calls()
		if len(recs) >= n || time.Now().After(deadline) {
			require.Len(e.t, recs, n)
			return recs
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// tempDB is a database path in a fresh directory, for examples (which have no t.TempDir),
// and the function that removes it.
func tempDB() (string, func()) {
	dir, err := os.MkdirTemp("", "bedside-example-")
	if err != nil {
		return filepath.Join(os.TempDir(), "bedside-example.db"), func() {}
	}
	return filepath.Join(dir, "bedside.db"), func() { os.RemoveAll(dir) }
}
