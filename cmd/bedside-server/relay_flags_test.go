package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are HMAC-SHA1 by specification
	"encoding/base64"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
)

func TestRelayFlagsThatDoNotGoTogether(t *testing.T) {
	ext := []string{"-turn-url", "turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349?transport=tcp"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(ext, "-turn", ":3478", "-turn-secret-file", "s"), "-turn is the embedded relay's"},
		{append(ext, "-turn-tls", ":5349", "-turn-secret-file", "s"), "-turn-tls is the embedded relay's"},
		{append(ext, "-turn-ip", "192.0.2.1", "-turn-secret-file", "s"), "-turn-ip is the embedded relay's"},
		{append(ext, "-turn-host", "x", "-turn-secret-file", "s"), "-turn-host is the embedded relay's"},
		{append(ext, "-turn-tls-cert", "c", "-turn-tls-key", "k", "-turn-secret-file", "s"), "-turn-tls-cert is the embedded relay's"},
		{ext, "needs -turn-secret-file"},
		{[]string{"-turn-url", "turn:a,,turn:b"}, "empty URL"},
		{[]string{"-turn-secret-file", "s"}, "-turn-secret-file needs a relay"},
		{[]string{"-turn-ip", "192.0.2.1"}, "-turn-ip needs a relay"},
		{[]string{"-turn-credential-ttl", "2h"}, "-turn-credential-ttl needs a relay"},
		{[]string{"-turn", ":3478", "-turn-credential-ttl", "1m"}, "want 5m to 48h"},
		{append(ext, "-turn-secret-file", "s", "-turn-credential-ttl", "72h"), "want 5m to 48h"},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		require.ErrorContains(t, err, tc.want, "%q", tc.args)
	}
	// Repeated and comma-separated URLs add up; -tls-cert is the web server's and may stay.
	o, err := parseFlags(append(ext, "-turn-url", "stun:turn.example.org:3478", "-turn-secret-file", "s",
		"-tls-cert", "c", "-tls-key", "k", "-turn-credential-ttl", "12h"), io.Discard)
	require.NoError(t, err)
	require.Len(t, o.turnURLs, 3)
	require.Equal(t, 12*time.Hour, o.turnTTL)
}

// With -turn-url the welcome carries the external relay's URLs, with credentials of the
// secret in -turn-secret-file.
func TestRunHandsOutTheExternalRelay(t *testing.T) {
	secretFile := filepath.Join(t.TempDir(), "turn-secret")
	const secret = "coturn's static-auth-secret, shared"
	require.NoError(t, os.WriteFile(secretFile, []byte(secret+"\n"), 0o600))
	urls := []string{"turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:5349?transport=tcp"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	outR, outW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"-demo", "-addr", "127.0.0.1:0", "-data", t.TempDir(), "-log-level", "warn",
			"-turn-url", strings.Join(urls, ","), "-turn-secret-file", secretFile, "-turn-credential-ttl", "3h", "-drain-grace", "0s"}, outW, io.Discard)
		outW.Close()
	}()
	lines := bufio.NewScanner(outR)
	var link string
	for link == "" && lines.Scan() {
		link, _ = strings.CutPrefix(lines.Text(), "family link: ")
	}
	go io.Copy(io.Discard, outR)
	require.NotEmpty(t, link)

	dctx, dcancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer dcancel()
	base := link[:strings.Index(link, "/j/")]
	fam, _, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(base, "http")+"/ws", nil)
	require.NoError(t, err)
	defer fam.CloseNow()
	read(t, dctx, fam)
	write(t, dctx, fam, signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: link[strings.LastIndex(link, "/")+1:]})
	w := read(t, dctx, fam)
	require.Equal(t, signal.TypeWelcome, w.Type, "%+v", w)
	require.Len(t, w.Config.ICEServers, 2)
	for i, s := range w.Config.ICEServers {
		require.Equal(t, []string{urls[i]}, s.URLs)
		expiry, holder, ok := strings.Cut(s.Username, ":")
		require.True(t, ok, s.Username)
		require.True(t, strings.HasPrefix(holder, "f."), s.Username)
		unix, err := strconv.ParseInt(expiry, 10, 64)
		require.NoError(t, err)
		require.InDelta(t, time.Now().Add(3*time.Hour).Unix(), unix, 60)
		mac := hmac.New(sha1.New, []byte(secret))
		mac.Write([]byte(s.Username))
		require.Equal(t, base64.StdEncoding.EncodeToString(mac.Sum(nil)), s.Credential)
	}
	cancel()
	require.NoError(t, <-done)
}
