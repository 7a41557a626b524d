package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/internal/pgtest"
	"bedside/server/store"
)

// lockedBuffer is a log that goroutines may write at once.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRunOnPostgres runs the demo on a PostgreSQL database given by -db, with a password in
// the URL (the test server trusts its socket and never asks for it): the log names the engine
// and never shows the password, and the commands reach the same database.
func TestRunOnPostgres(t *testing.T) {
	const password = "not-to-be-logged"
	url := strings.Replace(pgtest.URL(t), "postgres://postgres@", "postgres://postgres:"+password+"@", 1)
	require.Contains(t, url, password)
	dir := t.TempDir()

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var logs lockedBuffer
	out := &cancelAfter{lines: 6, cancel: cancel}
	require.NoError(t, run(ctx, []string{"-demo", "-addr", "127.0.0.1:0", "-data", dir, "-db", url, "-log-level", "info"}, out, &logs))
	require.Contains(t, out.String(), "family link: http://127.0.0.1:")
	require.Contains(t, logs.String(), "engine=postgres")
	require.Contains(t, logs.String(), "postgres:xxxxx@")
	require.NotContains(t, logs.String(), password)

	var cmdOut bytes.Buffer
	ok, err := subcommand(context.Background(), []string{"user", "add", "-db", url, "-name", "giulia", "-role", "nurse", "-ward", "Demo ward"}, &cmdOut, io.Discard)
	require.True(t, ok)
	require.NoError(t, err)

	st, err := store.Open(context.Background(), url, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	s, err := st.StaffByName(context.Background(), "GIULIA")
	require.NoError(t, err)
	require.Equal(t, store.RoleNurse, s.Role)
	require.Len(t, s.WardIDs, 1, "the demo ward, made by the server, found by the command")

	// A bad URL's error does not show its password either.
	_, err = store.Open(context.Background(), "postgres://u:"+password+"@/db?host=/nonexistent-dir&sslmode=disable", store.Options{})
	require.Error(t, err)
	require.NotContains(t, err.Error(), password)
}
