package main

import (
	"bufio"
	"context"
	"encoding/pem"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/internal/testkit"
	"bedside/server"
	"bedside/server/store"
)

func TestFlags(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), 0o600))
	cases := []struct {
		args []string
		want string
	}{
		{[]string{}, "-server is required"},
		{[]string{"-server", "http://x"}, "exactly one of -pair and -family-token"},
		{[]string{"-server", "http://x", "-pair", "A", "-family-token", "B"}, "exactly one"},
		{[]string{"-server", "ftp://x", "-pair", "A"}, "-server"},
		{[]string{"-server", "http://x", "-pair", "A", "-media", "camera"}, "-media is test or file:PATH"},
		{[]string{"-server", "http://x", "-family-token", "T", "-dial", "c1"}, "only -dial patient"},
		{[]string{"-server", "http://x", "-pair", "A", "-duration", "-1s"}, "cannot be negative"},
		{[]string{"-server", "http://x", "-pair", "A", "extra"}, "unexpected argument"},
		{[]string{"-nope"}, "not defined"},
		{[]string{"-server", "http://x", "-pair", "A", "-turn-ca", filepath.Join(dir, "none.pem")}, "-turn-ca: call: bad certificate file: open " + filepath.Join(dir, "none.pem")},
		{[]string{"-server", "http://x", "-pair", "A", "-turn-ca", keyFile}, "-turn-ca: call: bad certificate file: " + keyFile + ": block 1 is a PRIVATE KEY, not a CERTIFICATE"},
	}
	for _, c := range cases {
		err := run(context.Background(), c.args, io.Discard, io.Discard)
		require.ErrorIs(t, err, errUsage, "%v", c.args)
		assert.Contains(t, err.Error(), c.want)
	}
	caFile := filepath.Join(dir, "ca.pem")
	require.NoError(t, os.WriteFile(caFile, testkit.CAPEM(t), 0o600))
	o, err := parseFlags([]string{"-server", "http://x", "-pair", "A", "-turn-ca", caFile}, io.Discard)
	require.NoError(t, err)
	assert.NotNil(t, o.turnRoots, "the engine checks the relay's certificate against -turn-ca's")
	err = run(context.Background(), []string{"-server", "http://127.0.0.1:1", "-family-token", "t", "-media", "file:/nonexistent.png"}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nonexistent.png")
}

// lines collects a peer's stdout.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) feed(r io.Reader) {
	s := bufio.NewScanner(r)
	for s.Scan() {
		l.mu.Lock()
		l.all = append(l.all, s.Text())
		l.mu.Unlock()
	}
}

func (l *lines) with(prefix string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
	for _, s := range l.all {
		if strings.HasPrefix(s, prefix) {
			out = append(out, s)
		}
	}
	return out
}

func startPeer(t *testing.T, ctx context.Context, args ...string) (*lines, chan error) {
	out := &lines{}
	r, w := io.Pipe()
	go out.feed(r)
	logs := &lines{}
	lr, lw := io.Pipe()
	go logs.feed(lr)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("peer %v:\nstdout:\n%s\nstderr:\n%s", args, strings.Join(out.with(""), "\n"), strings.Join(logs.with(""), "\n"))
		}
	})
	done := make(chan error, 1)
	go func() {
		err := run(ctx, append(args, "-log-level", "info"), w, lw)
		_ = w.Close()
		_ = lw.Close()
		done <- err
	}()
	return out, done
}

// A device peer (enrolled with the pairing code) answers a family peer's call by itself; the
// family peer hangs up after its -duration and exits; both printed stats with decoded frames.
func TestPeersCallEachOther(t *testing.T) {
	if testing.Short() {
		t.Skip("a real call: skipped in -short")
	}
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "b.db"), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	srv, err := server.New(server.Config{Store: st})
	require.NoError(t, err)
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	defer func() {
		srv.Close()
		_ = hs.Close()
	}()
	demo, err := server.SeedDemo(context.Background(), st, server.DemoOptions{BaseURL: base})
	require.NoError(t, err)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dev, devDone := startPeer(t, ctx, "-server", base, "-pair", demo.PairingCode, "-data", t.TempDir(),
		"-auto-answer", "-loopback", "-stats-every", "500ms")
	require.Eventually(t, func() bool { return len(dev.with("ready device=")) == 1 }, time.Minute, 50*time.Millisecond)

	fam, famDone := startPeer(t, ctx, "-server", base, "-family-token", demo.FamilyToken, "-dial", "patient",
		"-duration", "3s", "-loopback", "-stats-every", "500ms", "-media", "test")
	select {
	case err := <-famDone:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("the family peer did not finish its call")
	}
	require.Eventually(t, func() bool { return len(dev.with("call state=ended")) == 1 }, time.Minute, 50*time.Millisecond)
	assert.Contains(t, dev.with("call state=ended")[0], "reason=hangup")
	cancel()
	require.NoError(t, <-devDone)

	for _, l := range []*lines{fam, dev} {
		assert.NotEmpty(t, l.with("call state=in-call"))
		stats := l.with("stats ")
		require.NotEmpty(t, stats)
		last := stats[len(stats)-1]
		assert.Contains(t, last, "size=640x480")
		assert.NotContains(t, last, " frames=0 ")
	}
	assert.Contains(t, fam.with("call state=ended")[0], "reason=hangup")

	// The pairing code is used up: another device cannot enroll with it.
	err = run(context.Background(), []string{"-server", base, "-pair", demo.PairingCode}, io.Discard, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "enrolling")
}
