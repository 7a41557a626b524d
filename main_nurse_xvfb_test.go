package main

import (
	"bedside/internal/testkit"
	"context"
	"crypto/rand"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"bedside/provisioning"
)

// TestKioskNursePanelLockedUntilTheWardsPINUnderXvfb runs the real kiosk paired to a ward whose
// tablet PIN was set before tablets took argon2id (a bcrypt hash, which they refuse), with no
// local PIN: the settings button shows the nurse panel locked, with no keypad, and the old
// public default 2580 opens nothing. The console then sets the ward's PIN; the locked screen
// turns into the keypad by itself, and that PIN opens the panel.
func TestKioskNursePanelLockedUntilTheWardsPINUnderXvfb(t *testing.T) {
	requireKioskTools(t)
	bin := buildKiosk(t)
	ward := startWard(t)
	display := startXvfb(t)
	ctx := context.Background()
	legacy, err := bcrypt.GenerateFromPassword([]byte("4321"), bcrypt.MinCost)
	require.NoError(t, err)
	require.NoError(t, ward.st.SetNursePIN(ctx, ward.demo.WardID, legacy))

	log, _ := launchKiosk(t, bin, display, []string{"-server", ward.url, "-data", t.TempDir(), "-media", "test",
		"-pair", ward.demo.PairingCode}, nil)
	testkit.Eventually(t, "home", func() bool { return lastScreen(log.String()) == "home" })
	testkit.Eventually(t, "online and on screen", func() bool {
		return strings.Contains(log.String(), `msg="signaling connected"`) && strings.Contains(log.String(), `msg="kiosk started"`)
	})
	assert.Contains(t, log.String(), "not one this tablet accepts", "the ward's old hash is refused")

	xdo := func(args ...string) {
		t.Helper()
		cmd := exec.Command("xdotool", args...)
		cmd.Env = append(cmd.Environ(), "DISPLAY="+display)
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "xdotool %v: %s", args, out)
	}
	shot(t, display, "kiosk-home.png")
	// The settings button, top right of the 1280×800 home screen. The window may take a moment
	// to take input: tap until the PIN screen shows.
	testkit.Eventually(t, "the PIN screen", func() bool {
		xdo("mousemove", "--sync", strconv.Itoa(1236), strconv.Itoa(44), "click", "1")
		return lastScreen(log.String()) == "pin"
	})
	testkit.Eventually(t, "locked", func() bool { return strings.Contains(log.String(), "nurse panel locked: no nurse PIN yet") })
	shot(t, display, "kiosk-nurse-locked.png")
	xdo("type", "--delay", "50", "2580")
	xdo("key", "Return")
	assert.NotEqual(t, "nurse", lastScreen(log.String()))

	// The console sets the ward's PIN (what its form stores), and the ward's tablets get it.
	hash, err := provisioning.HashNursePIN("864200", rand.Reader)
	require.NoError(t, err)
	require.NoError(t, ward.st.SetNursePIN(ctx, ward.demo.WardID, []byte(hash)))
	ward.srv.WardChanged(ctx, ward.demo.WardID)
	testkit.Eventually(t, "the keypad, once the PIN arrived", func() bool {
		return strings.Contains(log.String(), "the PIN pad replaces the locked panel")
	})
	shot(t, display, "kiosk-nurse-pin-pad.png")
	xdo("type", "--delay", "50", "864200")
	xdo("key", "Return")
	testkit.Eventually(t, "the nurse panel", func() bool { return lastScreen(log.String()) == "nurse" })
	shot(t, display, "kiosk-nurse-panel.png")
	for _, secret := range []string{"864200", hash} {
		assert.NotContains(t, log.String(), secret, "never logged")
	}
}
