package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/provisioning"
	"bedside/server"
	"bedside/server/store"
)

// seedWard starts the server once with -demo so that dir holds a ward database.
func seedWard(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	out := &cancelAfter{lines: 6, cancel: cancel}
	require.NoError(t, run(ctx, []string{"-demo", "-addr", "127.0.0.1:0", "-data", dir, "-log-level", "error"}, out, io.Discard))
	return dir
}

func TestUserAdd(t *testing.T) {
	dir := seedWard(t)
	ctx := context.Background()
	var out bytes.Buffer
	ok, err := subcommand(ctx, []string{"user", "add", "-data", dir, "-name", "giulia", "-role", "nurse", "-ward", "Demo ward"}, &out, io.Discard)
	require.True(t, ok)
	require.NoError(t, err)
	require.Regexp(t, `^user giulia \(nurse\) added; one-time password: \S{8,}\n$`, out.String())

	st, err := store.Open(ctx, filepath.Join(dir, "bedside.db"), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	s, err := st.StaffByName(ctx, "giulia")
	require.NoError(t, err)
	require.Equal(t, store.RoleNurse, s.Role)
	require.Len(t, s.WardIDs, 1)
	require.NotContains(t, string(s.PasswordHash), strings.TrimSpace(out.String()[strings.LastIndex(out.String(), " ")+1:]))

	for _, args := range [][]string{
		{"user"},
		{"user", "add", "-data", dir},
		{"user", "add", "-data", dir, "-name", "x", "-role", "boss"},
		{"user", "add", "-data", dir, "-name", "giulia", "-role", "nurse", "-ward", "Demo ward"}, // taken
		{"user", "add", "-data", filepath.Join(dir, "missing"), "-name", "y"},
	} {
		ok, err := subcommand(ctx, args, io.Discard, io.Discard)
		require.True(t, ok)
		require.Error(t, err, "%v", args)
	}
}

func TestEnrollCommand(t *testing.T) {
	dir := seedWard(t)
	ctx := context.Background()
	png := filepath.Join(t.TempDir(), "qr.png")
	var out bytes.Buffer
	ok, err := subcommand(ctx, []string{"enroll", "-data", dir, "-ward", "demo WARD", "-bed", "1", "-base-url", "https://ward.example:8443", "-png", png}, &out, io.Discard)
	require.True(t, ok)
	require.NoError(t, err)
	lines := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		k, v, _ := strings.Cut(l, ": ")
		lines[k] = v
	}
	p, err := provisioning.ParsePayload(lines["enrollment payload"])
	require.NoError(t, err)
	require.Equal(t, "https://ward.example:8443", p.Server)
	require.Equal(t, "Demo ward", p.Ward)
	require.Equal(t, "1", p.Bed)
	require.True(t, provisioning.IsCode(provisioning.NormalizeCode(lines["device pairing code"])))

	// The PNG holds the same payload, readable by the tablet's scanner.
	f, err := os.Open(png)
	require.NoError(t, err)
	defer f.Close()
	img, err := decodePNG(f)
	require.NoError(t, err)
	text, err := provisioning.ScanQR(img)
	require.NoError(t, err)
	require.Equal(t, lines["enrollment payload"], text)

	for _, args := range [][]string{
		{"enroll", "-data", dir},
		{"enroll", "-data", dir, "-ward", "Nowhere"},
		{"enroll", "-data", dir, "-ward", "Demo ward", "-bed", "99"},
		{"enroll", "-data", dir, "-ward", "Demo ward", "-base-url", "ftp://x"},
	} {
		ok, err := subcommand(ctx, args, io.Discard, io.Discard)
		require.True(t, ok)
		require.Error(t, err, "%v", args)
	}
}

func decodePNG(r io.Reader) (image.Image, error) { return png.Decode(r) }

func TestDemoTabletPIN(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "bedside.db"), store.Options{})
	require.NoError(t, err)
	defer st.Close()
	var out bytes.Buffer
	require.NoError(t, demoLines(ctx, st, "http://127.0.0.1:1", nil, &out))
	require.Contains(t, out.String(), "\ntablet PIN: "+server.DemoNursePIN+"\n")

	// Once a nurse has set the ward's own PIN, the demo neither prints nor resets it.
	wards, err := st.Wards(ctx)
	require.NoError(t, err)
	require.Len(t, wards, 1)
	require.NoError(t, st.SetNursePIN(ctx, wards[0].ID, []byte("$2a$10$someothernursepinhashxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")))
	out.Reset()
	require.NoError(t, demoLines(ctx, st, "http://127.0.0.1:1", nil, &out))
	require.NotContains(t, out.String(), "tablet PIN")
	w, err := st.Ward(ctx, wards[0].ID)
	require.NoError(t, err)
	require.Contains(t, string(w.NursePINHash), "someother")
}
