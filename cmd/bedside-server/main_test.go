package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are HMAC-SHA1 by specification
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/provisioning"
)

func TestRunDemo(t *testing.T) {
	dir := t.TempDir()
	secretFile := filepath.Join(t.TempDir(), "turn-secret")
	const secret = "a shared secret, as coturn's static-auth-secret"
	require.NoError(t, os.WriteFile(secretFile, []byte(secret+"\n"), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-demo", "-addr", "127.0.0.1:0", "-data", dir, "-log-level", "warn",
			"-turn", "127.0.0.1:0", "-turn-tcp", "127.0.0.1:0", "-turn-secret-file", secretFile}, outW, io.Discard)
		outW.Close()
		done <- err
	}()
	lines := bufio.NewScanner(outR)
	got := map[string]string{}
	for len(got) < 7 && lines.Scan() {
		k, v, ok := strings.Cut(lines.Text(), ": ")
		require.True(t, ok, lines.Text())
		got[k] = v
	}
	go io.Copy(io.Discard, outR)
	link, code, token := got["family link"], got["device pairing code"], got["enrollment token"]
	require.True(t, strings.HasPrefix(link, "http://127.0.0.1:"), link)
	require.NotContains(t, link, ":0/")
	require.Len(t, strings.ReplaceAll(code, "-", ""), 8)
	require.NotEmpty(t, token)
	require.NotEmpty(t, got["family contact"])

	// The printed secrets work: the page loads, the code pairs a tablet, the link says hello.
	resp, err := http.Get(link)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	base := link[:strings.Index(link, "/j/")]

	// The demo bed's QR payload carries the server and the token.
	p, err := provisioning.ParsePayload(got["enrollment payload"])
	require.NoError(t, err)
	require.Equal(t, base, p.Server)
	require.Equal(t, token, p.Token)

	// The console is served, with a working login.
	require.Equal(t, base+"/console/", got["nurse console"])
	require.Regexp(t, `^admin \S{8,}$`, got["nurse login"])
	resp, err = http.Get(base + "/console/login")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	body, _ := json.Marshal(signal.EnrollRequest{Code: code, PublicKey: base64.StdEncoding.EncodeToString(pub)})
	resp, err = http.Post(base+signal.EnrollPath, "application/json", strings.NewReader(string(body)))
	require.NoError(t, err)
	var er signal.EnrollResponse
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&er))
	resp.Body.Close()
	require.NotEmpty(t, er.Device)

	dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer dcancel()
	wsURL := "ws" + strings.TrimPrefix(base, "http") + "/ws"
	dev, _, err := websocket.Dial(dctx, wsURL, nil)
	require.NoError(t, err)
	defer dev.CloseNow()
	ch := read(t, dctx, dev)
	require.Equal(t, signal.TypeChallenge, ch.Type)
	sig := ed25519.Sign(priv, signal.HelloPayload(ch.Nonce))
	write(t, dctx, dev, signal.Message{Type: signal.TypeHello, Role: signal.RoleDevice, Device: er.Device, Sig: base64.StdEncoding.EncodeToString(sig)})
	w := read(t, dctx, dev)
	require.Equal(t, signal.TypeWelcome, w.Type, "%+v", w)
	require.Equal(t, "Maria", w.Config.Patient)

	fam, _, err := websocket.Dial(dctx, wsURL, nil)
	require.NoError(t, err)
	defer fam.CloseNow()
	read(t, dctx, fam)
	write(t, dctx, fam, signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: link[strings.LastIndex(link, "/")+1:]})
	w = read(t, dctx, fam)
	require.Equal(t, signal.TypeWelcome, w.Type, "%+v", w)
	require.True(t, w.Config.DeviceOnline)
	require.Len(t, w.Config.ICEServers, 3) // the embedded relay: STUN, and TURN over UDP and TCP with credentials
	require.True(t, strings.HasPrefix(w.Config.ICEServers[1].URLs[0], "turn:127.0.0.1:"))
	require.True(t, strings.HasSuffix(w.Config.ICEServers[1].URLs[0], "?transport=udp"))
	require.True(t, strings.HasSuffix(w.Config.ICEServers[2].URLs[0], "?transport=tcp"))
	require.NotEmpty(t, w.Config.ICEServers[1].Credential)
	require.Equal(t, w.Config.ICEServers[1].Credential, w.Config.ICEServers[2].Credential)
	// TURN REST credentials of the given secret: what coturn with use-auth-secret checks.
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(w.Config.ICEServers[1].Username))
	require.Equal(t, base64.StdEncoding.EncodeToString(mac.Sum(nil)), w.Config.ICEServers[1].Credential)

	// A SIGTERM-style cancel shuts down cleanly and tells the clients.
	cancel()
	m := read(t, dctx, fam)
	require.Equal(t, signal.TypeError, m.Type)
	require.Equal(t, signal.CodeShuttingDown, m.Code)
	require.NoError(t, <-done)

	// Starting again on the same data directory prints working lines again.
	ctx2, cancel2 := context.WithCancel(context.Background())
	out := &cancelAfter{lines: 6, cancel: cancel2}
	require.NoError(t, run(ctx2, []string{"-demo", "-addr", "127.0.0.1:0", "-data", dir, "-log-level", "error"}, out, io.Discard))
	require.Contains(t, out.String(), "family link: http://127.0.0.1:")
	require.Contains(t, out.String(), "device pairing code: ")
	require.Contains(t, out.String(), "nurse login: admin ", "every demo start prints a login that works")
	require.NotContains(t, out.String(), got["nurse login"], "the demo admin gets a fresh password")
}

// cancelAfter is a stdout that cancels the run once it has printed its lines.
type cancelAfter struct {
	strings.Builder
	lines  int
	cancel context.CancelFunc
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	n, err := c.Builder.Write(p)
	if strings.Count(c.String(), "\n") >= c.lines {
		c.cancel()
	}
	return n, err
}

func TestRunBadFlags(t *testing.T) {
	ctx := context.Background()
	require.Error(t, run(ctx, []string{"-nope"}, io.Discard, io.Discard))
	require.Error(t, run(ctx, []string{"-tls-cert", "x.pem"}, io.Discard, io.Discard))
	require.Error(t, run(ctx, []string{"-log-level", "loud", "-data", t.TempDir()}, io.Discard, io.Discard))
	require.Error(t, run(ctx, []string{"-addr", "256.0.0.1:99999", "-data", t.TempDir()}, io.Discard, io.Discard))
	require.Error(t, run(ctx, []string{"-addr", "127.0.0.1:0", "-turn", "127.0.0.1:0", "-turn-ip", "ward.example", "-data", t.TempDir()}, io.Discard, io.Discard))
	require.Error(t, run(ctx, []string{"-retention-days", "0", "-data", t.TempDir()}, io.Discard, io.Discard))
	o, err := parseFlags([]string{"-retention-days", "7"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 7, o.retentionDays)
	require.Error(t, run(ctx, []string{"-max-conns", "-1", "-data", t.TempDir()}, io.Discard, io.Discard))
	_, err = parseFlags([]string{"-max-conns", "1048576"}, io.Discard)
	require.ErrorContains(t, err, "open-file limit", "more than the file limit allows")
	o, err = parseFlags([]string{"-max-conns", "100"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 100, o.maxConns)
	require.Error(t, run(ctx, []string{"-addr", "127.0.0.1:0", "-turn-tls", "127.0.0.1:0", "-data", t.TempDir()}, io.Discard, io.Discard))
	short := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(short, []byte("tiny\n"), 0o600))
	require.Error(t, run(ctx, []string{"-addr", "127.0.0.1:0", "-turn", "127.0.0.1:0", "-turn-secret-file", short, "-data", t.TempDir()}, io.Discard, io.Discard))
}

func read(t *testing.T, ctx context.Context, c *websocket.Conn) signal.Message {
	t.Helper()
	_, data, err := c.Read(ctx)
	require.NoError(t, err)
	m, err := signal.Decode(data)
	require.NoError(t, err)
	return m
}

func write(t *testing.T, ctx context.Context, c *websocket.Conn, m signal.Message) {
	t.Helper()
	data, err := signal.Encode(m)
	require.NoError(t, err)
	require.NoError(t, c.Write(ctx, websocket.MessageText, data))
}
