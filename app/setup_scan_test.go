package app_test

import (
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/app"
	"bedside/app/apptest"
	"bedside/provisioning"
)

// scanRig is an unpaired kiosk with a fake camera that shows whatever the test holds up.
func scanRig(t *testing.T) (*rig, *apptest.Camera) {
	cam := &apptest.Camera{}
	r := newRig(t, unpaired, func(c *app.Config) { c.Camera = cam })
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	go cam.Run(ctx, 15)
	return r, cam
}

// withServer gives the fake Pairer a server, for the tablet's own pairing request.
func withServer(c *app.Config) { c.Pairer.(*apptest.Pairer).Server = "https://ward3.example:8443" }

// enrollmentText is the text of an enrollment QR code for a fresh token.
func enrollmentText(t *testing.T) (token, text string) {
	t.Helper()
	token, _, err := provisioning.NewEnrollmentSecrets(rand.Reader)
	require.NoError(t, err)
	text, err = provisioning.EncodePayload(provisioning.Payload{Server: "https://ward3.example:8443",
		Token: token, Pin: make([]byte, 32), Ward: "Ward 3", Bed: "12"})
	require.NoError(t, err)
	return token, text
}

// hold shows the camera a frame with text as a QR code, rotated about 15° with noise.
func hold(t *testing.T, cam *apptest.Camera, text string) {
	t.Helper()
	frame, err := apptest.QRFrame(text, apptest.FrameOptions{Degrees: 15, Noise: 24, Seed: 1})
	require.NoError(t, err)
	cam.Show(frame)
}

// waitScanning runs UI work and moves the fake clock on (the scanner rests between frames on
// it) until cond holds.
func (r *rig) waitScanning(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s; the screen shows %q", what, r.texts())
		}
		r.drain()
		if cond() {
			return
		}
		r.clock.Advance(50 * time.Millisecond)
	}
}

func TestScanPairsFromARotatedNoisyFrame(t *testing.T) {
	r, cam := scanRig(t)
	token, text := enrollmentText(t)
	r.pair.Approve(token)
	require.Equal(t, "setup", r.k.Screen())
	r.requireShows("Hold the pairing QR code")
	r.requireShows("Looking for a pairing code")
	require.True(t, cam.Active(), "the scan screen shows the camera")

	hold(t, cam, text)
	r.waitScanning("paired", func() bool { return r.shows("Paired to Ward 3, bed 12") })
	pl := r.pair.Payloads()
	require.Len(t, pl, 1, "one enrollment for the code in view")
	assert.Equal(t, token, pl[0].Token)
	assert.Equal(t, "https://ward3.example:8443", pl[0].Server)
	assert.Len(t, pl[0].Pin, 32, "the pin travels with the payload")
	assert.False(t, cam.Active(), "the camera stops once paired")

	r.advance(2 * time.Second)
	r.waitScreen("home")
}

func TestScanBadCodesSayWhyAndScanOn(t *testing.T) {
	r, cam := scanRig(t)
	expired, expiredText := enrollmentText(t)
	used, usedText := enrollmentText(t)
	other, otherText := enrollmentText(t)
	_, unknownText := enrollmentText(t)
	busy, busyText := enrollmentText(t)
	r.pair.Codes[busy] = fmt.Errorf("enroll: %w", app.ErrPairBusy)
	r.pair.Codes[expired] = fmt.Errorf("enroll: %w", app.ErrPairExpired)
	r.pair.Codes[used] = fmt.Errorf("enroll: %w", app.ErrPairUsed)
	r.pair.Codes[other] = fmt.Errorf("enroll: %w", app.ErrPairServer)
	// A tampered payload: one character of the token changed, or the text cut.
	_, good := enrollmentText(t)
	i := strings.Index(good, ";T=") + 5
	swap := byte('A')
	if good[i] == 'A' {
		swap = 'B'
	}
	tampered := good[:i] + string(swap) + good[i+1:]

	for _, c := range []struct{ text, says string }{
		{"https://example.com/menu", "not a Bedside pairing code"},
		{"BSD9:S=https://x.example;T=ABC", "needs a newer Bedside app"},
		{good[:len(good)-20], "not a Bedside pairing code"},
		{expiredText, "has expired"},
		{usedText, "already used"},
		{otherText, "another ward server"},
		{unknownText, "not known"},
		{busyText, "Too many tries"},
		{tampered, "not known"},
	} {
		hold(t, cam, c.text)
		r.waitScanning(c.says, func() bool { return r.shows(c.says) })
		assert.Equal(t, "setup", r.k.Screen())
		assert.True(t, cam.Active(), "the scan goes on after %q", c.says)
	}
	// Nothing was half-paired: the kiosk still waits for a good code, and takes it.
	token, text := enrollmentText(t)
	r.pair.Approve(token)
	hold(t, cam, text)
	r.waitScanning("paired", func() bool { return r.shows("Paired to Ward 3, bed 12") })
}

func TestScanSwitchesToShowingACode(t *testing.T) {
	r, cam := scanRig(t)
	r.pair.Server = "http://127.0.0.1:8080"
	r.tap("No camera? Show a code instead")
	assert.False(t, cam.Active(), "the camera stops when the scan screen goes")
	require.Len(t, r.pair.Requests(), 1)
	r.tap("Scan a QR code")
	assert.True(t, cam.Active())
	r.tap("Type a code")
	assert.False(t, cam.Active())
	r.entry()
}

func TestShowCodeWaitsForApproval(t *testing.T) {
	r := newRig(t, unpaired, withServer)
	require.Equal(t, "setup", r.k.Screen())
	reqs := r.pair.Requests()
	require.Len(t, reqs, 1, "a tablet without a camera shows its own code at once")
	code := reqs[0]
	require.True(t, provisioning.IsCode(code))
	r.requireShows(code[:4] + "-" + code[4:])
	r.requireShows("Waiting for a nurse")

	// Not approved yet, then the server asks to slow down: the tablet asks every few
	// seconds, quietly.
	for n := 1; n <= 2; n++ {
		r.advance(7 * time.Second)
		r.waitFor("a poll", func() bool { return len(r.pair.Tried()) == n })
		r.drain()
		r.pair.Codes[code] = app.ErrPairBusy
	}
	assert.False(t, r.shows("Too many"))
	for _, c := range r.pair.Tried() {
		assert.Equal(t, code, c)
	}
	r.requireShows("Waiting for a nurse")
	assert.False(t, r.shows("not known"))

	r.pair.Approve(code)
	r.advance(7 * time.Second)
	r.waitFor("paired", func() bool { return r.shows("Paired to Ward 3, bed 12") })
	n := len(r.pair.Tried())
	r.advance(2 * time.Second)
	r.waitScreen("home")
	r.advance(10 * time.Second)
	assert.Equal(t, n, len(r.pair.Tried()), "polling stops once paired")
}

func TestShowCodeRenewsALapsedCode(t *testing.T) {
	r := newRig(t, unpaired, withServer)
	first := r.pair.Requests()[0]
	r.pair.Codes[first] = app.ErrPairExpired
	r.advance(7 * time.Second)
	r.waitFor("a new code", func() bool { return len(r.pair.Requests()) == 2 })
	second := r.pair.Requests()[1]
	assert.NotEqual(t, first, second)
	r.requireShows(second[:4] + "-" + second[4:])
}

func TestShowCodeWithoutAServer(t *testing.T) {
	r := newRig(t, unpaired)
	r.requireShows("does not know its ward server")
}

// BenchmarkScanCameraFrame measures the scanner's work on one 640×480 camera frame holding an
// enrollment QR code rotated 15° with noise: the luminance copy and the decode. The pairing
// goal is 2 s from the code coming into view; the scanner looks at most 4 frames a second.
func BenchmarkScanCameraFrame(b *testing.B) {
	text, err := provisioning.EncodePayload(provisioning.Payload{Server: "https://ward3.example:8443",
		Token: "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", Pin: make([]byte, 32), Ward: "Ward 3", Bed: "12"})
	require.NoError(b, err)
	frame, err := apptest.QRFrame(text, apptest.FrameOptions{Degrees: 15, Noise: 24, Seed: 1})
	require.NoError(b, err)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := provisioning.ScanQR(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPairedSaysWhereBeforeHome: main attaches the phone while pairing, and the server's
// configuration arrives at once; the tablet still says where it was paired before going home.
func TestPairedSaysWhereBeforeHome(t *testing.T) {
	r, cam := scanRig(t)
	token, text := enrollmentText(t)
	r.pair.Approve(token)
	r.pair.OnPaired = func() { r.k.AttachPhone(r.phone) }
	hold(t, cam, text)
	r.waitScanning("paired", func() bool { return r.shows("Paired to Ward 3, bed 12") })
	r.send(app.ConfigEvent{Patient: app.Patient{Name: "Maria", Ward: "Ward 3", Bed: "12", Contacts: family}})
	assert.Equal(t, "setup", r.k.Screen(), "the pairing is said for a moment first")
	r.requireShows("Paired to Ward 3, bed 12")
	r.advance(2 * time.Second)
	r.waitScreen("home")
	r.requireShows("Maria")
	r.tile("Anna")
}
