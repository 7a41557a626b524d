package call

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"bedside/call/signal"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"
)

// testSigner is a device identity for tests.
type testSigner struct {
	id  string
	key ed25519.PrivateKey
}

func newTestSigner(t testing.TB, id string) *testSigner {
	t.Helper()
	_, key, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	return &testSigner{id: id, key: key}
}

func (s *testSigner) DeviceID() string       { return s.id }
func (s *testSigner) Sign(msg []byte) []byte { return ed25519.Sign(s.key, msg) }

// wsServer is a tiny signaling server for client tests: it challenges, checks the device's
// signature or the family token, welcomes, and hands each authenticated connection to the test.
type wsServer struct {
	t      testing.TB
	srv    *httptest.Server
	pub    ed25519.PublicKey
	token  string
	config signal.Config

	mu     sync.Mutex
	nonces []string
	conns  chan *serverConn
}

// serverConn is one authenticated connection as the test server sees it.
type serverConn struct {
	ws    *websocket.Conn
	hello signal.Message
	recv  chan signal.Message
	done  chan struct{}
}

func newWSServer(t testing.TB, pub ed25519.PublicKey, token string) *wsServer {
	s := &wsServer{t: t, pub: pub, token: token, conns: make(chan *serverConn, 16),
		config: signal.Config{Ward: "Ward 3", Bed: "12", Contacts: []signal.Contact{{Party: signal.Party{ID: "c1", Name: "Anna"}}}}}
	s.srv = httptest.NewServer(http.HandlerFunc(s.handle))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *wsServer) url() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/ws" }

// restart closes the server and every connection, and starts a new one on the same address.
func (s *wsServer) restart(t testing.TB, live ...*serverConn) {
	// Hijacked connections are not the http.Server's any more: end them as a dying process would.
	for _, sc := range live {
		sc.ws.CloseNow()
	}
	addr := s.srv.Listener.Addr().String()
	s.srv.CloseClientConnections()
	s.srv.Close()
	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	s.srv = httptest.NewUnstartedServer(http.HandlerFunc(s.handle))
	s.srv.Listener.Close()
	s.srv.Listener = l
	s.srv.Start()
	t.Cleanup(s.srv.Close)
}

func (s *wsServer) handle(w http.ResponseWriter, r *http.Request) {
	ws, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ctx := r.Context()
	nonce := base64.RawURLEncoding.EncodeToString([]byte(time.Now().String()))
	s.mu.Lock()
	s.nonces = append(s.nonces, nonce)
	s.mu.Unlock()
	if writeMessage(ctx, ws, signal.Message{Type: signal.TypeChallenge, Nonce: nonce}) != nil {
		return
	}
	hello, err := readMessage(ctx, ws)
	if err != nil || hello.Type != signal.TypeHello {
		return
	}
	ok := false
	switch hello.Role {
	case signal.RoleDevice:
		sig, err := base64.StdEncoding.DecodeString(hello.Sig)
		ok = err == nil && ed25519.Verify(s.pub, signal.HelloPayload(nonce), sig)
	case signal.RoleFamily:
		ok = hello.Token == s.token
	}
	if !ok {
		_ = writeMessage(ctx, ws, signal.Message{Type: signal.TypeError, Code: signal.CodeUnauthorized, Message: "who are you"})
		_ = ws.Close(websocket.StatusPolicyViolation, "unauthorized")
		return
	}
	cfg := s.config
	if writeMessage(ctx, ws, signal.Message{Type: signal.TypeWelcome, Config: &cfg}) != nil {
		return
	}
	sc := &serverConn{ws: ws, hello: hello, recv: make(chan signal.Message, 16), done: make(chan struct{})}
	s.conns <- sc
	defer close(sc.done)
	for {
		m, err := readMessage(ctx, ws)
		if err != nil {
			return
		}
		sc.recv <- m
	}
}

func (s *wsServer) next(t testing.TB) *serverConn {
	t.Helper()
	select {
	case sc := <-s.conns:
		return sc
	case <-time.After(20 * time.Second):
		t.Fatal("no client connected")
		return nil
	}
}

func nextInbound(t testing.TB, c *Client) Inbound {
	t.Helper()
	select {
	case in, ok := <-c.Inbound():
		require.True(t, ok, "inbound closed")
		return in
	case <-time.After(20 * time.Second):
		t.Fatal("nothing inbound")
		return Inbound{}
	}
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

func fastClient(cfg ClientConfig) ClientConfig {
	cfg.MinBackoff = 20 * time.Millisecond
	cfg.MaxBackoff = 200 * time.Millisecond
	return cfg
}

func TestClientDeviceHello(t *testing.T) {
	signer := newTestSigner(t, "dev-1")
	srv := newWSServer(t, signer.key.Public().(ed25519.PublicKey), "")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	c, err := Dial(ctx, fastClient(ClientConfig{URL: srv.url(), Signer: signer}))
	require.NoError(t, err)
	defer c.Close()
	sc := srv.next(t)
	require.Equal(t, signal.RoleDevice, sc.hello.Role)
	require.Equal(t, "dev-1", sc.hello.Device)

	in := nextInbound(t, c)
	require.Equal(t, signal.TypeWelcome, in.Message.Type)
	require.True(t, c.Connected())
	require.Equal(t, "Ward 3", c.Config().Ward)

	// Presence updates the stored contacts.
	online := true
	require.NoError(t, writeMessage(ctx, sc.ws, signal.Message{Type: signal.TypePresence, Peer: "c1", Online: &online}))
	in = nextInbound(t, c)
	require.Equal(t, signal.TypePresence, in.Message.Type)
	require.True(t, c.Config().Contacts[0].Online)

	// A malformed message from the server is skipped; the connection stays up.
	require.NoError(t, sc.ws.Write(ctx, websocket.MessageText, []byte(`{"type":"ring"}`)))
	require.NoError(t, writeMessage(ctx, sc.ws, signal.Message{Type: signal.TypeRinging, Call: "call-1"}))
	require.Equal(t, signal.TypeRinging, nextInbound(t, c).Message.Type)

	require.NoError(t, c.Send(ctx, signal.Message{Type: signal.TypeInvite, To: "c1"}))
	got := <-sc.recv
	require.Equal(t, signal.TypeInvite, got.Type)
	require.Equal(t, "c1", got.To)

	// Invalid messages are refused before they reach the wire.
	err = c.Send(ctx, signal.Message{Type: signal.TypeOffer, Call: "call-1"})
	require.ErrorIs(t, err, signal.Errorf(signal.CodeBadMessage, ""))
	err = c.Send(ctx, signal.Message{Type: signal.TypeOffer, Call: "call-1", SDP: strings.Repeat("x", signal.MaxMessageSize)})
	require.Error(t, err)
}

func TestClientFamilyToken(t *testing.T) {
	srv := newWSServer(t, nil, "secret-token")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := Dial(ctx, ClientConfig{URL: srv.url(), FamilyToken: "secret-token"})
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, signal.RoleFamily, srv.next(t).hello.Role)
}

func TestClientAuthRefused(t *testing.T) {
	signer := newTestSigner(t, "dev-1")
	other := newTestSigner(t, "dev-1")
	srv := newWSServer(t, other.key.Public().(ed25519.PublicKey), "good")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := Dial(ctx, ClientConfig{URL: srv.url(), Signer: signer})
	require.ErrorIs(t, err, ErrAuth)
	require.Equal(t, signal.CodeUnauthorized, signal.CodeOf(err))
	_, err = Dial(ctx, ClientConfig{URL: srv.url(), FamilyToken: "bad"})
	require.ErrorIs(t, err, ErrAuth)
}

func TestClientConfigErrors(t *testing.T) {
	for name, cfg := range map[string]ClientConfig{
		"no url":         {FamilyToken: "x"},
		"http url":       {URL: "http://127.0.0.1/ws", FamilyToken: "x"},
		"no identity":    {URL: "ws://127.0.0.1/ws"},
		"two identities": {URL: "ws://127.0.0.1/ws", FamilyToken: "x", Signer: newTestSigner(t, "d")},
		"bad device id":  {URL: "ws://127.0.0.1/ws", Signer: newTestSigner(t, "no spaces")},
	} {
		_, err := NewClient(cfg)
		require.ErrorIs(t, err, ErrConfig, name)
	}
}

func TestClientReconnects(t *testing.T) {
	signer := newTestSigner(t, "dev-1")
	srv := newWSServer(t, signer.key.Public().(ed25519.PublicKey), "")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := Dial(ctx, fastClient(ClientConfig{URL: srv.url(), Signer: signer, Logger: testLogger(t)}))
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, signal.TypeWelcome, nextInbound(t, c).Message.Type)

	expectReconnect := func(why string) *serverConn {
		t.Helper()
		in := nextInbound(t, c)
		require.True(t, in.Disconnected, why)
		require.Error(t, in.Err, why)
		sc := srv.next(t)
		require.Equal(t, signal.TypeWelcome, nextInbound(t, c).Message.Type, why)
		return sc
	}

	// 1. The server drops the connection.
	sc := srv.next(t)
	sc.ws.CloseNow()
	sc = expectReconnect("dropped")

	// 2. The server sends a message over the size limit: the client refuses it and reconnects.
	huge := `{"type":"config","config":{"ward":"` + strings.Repeat("x", signal.MaxMessageSize) + `"}}`
	require.NoError(t, sc.ws.Write(ctx, websocket.MessageText, []byte(huge)))
	sc = expectReconnect("oversized")

	// 3. The server restarts.
	srv.restart(t, sc)
	sc = expectReconnect("restarted")
	require.NoError(t, c.Send(ctx, signal.Message{Type: signal.TypeHangup, Call: "call-9"}))
	require.Equal(t, signal.TypeHangup, (<-sc.recv).Type)

	// Every connection was authenticated afresh, each with its own nonce.
	srv.mu.Lock()
	require.GreaterOrEqual(t, len(srv.nonces), 4)
	srv.mu.Unlock()
}

func TestClientRunEnds(t *testing.T) {
	signer := newTestSigner(t, "dev-1")
	srv := newWSServer(t, signer.key.Public().(ed25519.PublicKey), "")
	c, err := NewClient(ClientConfig{URL: srv.url(), Signer: signer})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	sc := srv.next(t)
	require.Equal(t, signal.TypeWelcome, nextInbound(t, c).Message.Type)
	cancel()
	require.NoError(t, <-done)
	<-sc.done // the server saw the connection close
	_, open := <-c.Inbound()
	require.False(t, open)
	require.ErrorIs(t, c.Send(context.Background(), signal.Message{Type: signal.TypeHangup, Call: "x"}), ErrNotConnected)
	require.ErrorIs(t, c.Run(context.Background()), ErrConfig)
	var nilErr error
	require.False(t, errors.Is(nilErr, ErrAuth))
}
