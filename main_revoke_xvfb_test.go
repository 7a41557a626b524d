package main

import (
	"bedside/internal/testkit"
	"bytes"
	"context"
	"crypto/rand"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/provisioning"
	"bedside/server/store"
)

// TestKioskRevokedThenPairedByANurseUnderXvfb runs the real kiosk, paired with a typed code and
// without a camera (-media test). The console revokes it: it must go back to setup at once with
// a new key. Having no camera it shows its own pairing request; the test reads that QR code off
// the screen as a nurse's phone would, approves it for the bed (the enrollment the console makes
// for a pairing request, bound to the key's fingerprint), and the kiosk must pair by itself.
func TestKioskRevokedThenPairedByANurseUnderXvfb(t *testing.T) {
	requireKioskTools(t)
	bin := buildKiosk(t)
	ward := startWard(t)
	display := startXvfb(t)
	ctx := context.Background()
	data := t.TempDir()
	log, _ := launchKiosk(t, bin, display, []string{"-server", ward.url, "-data", data, "-media", "test",
		"-pair", ward.demo.PairingCode}, nil)
	testkit.Eventually(t, "home", func() bool { return lastScreen(log.String()) == "home" })
	devices, err := ward.st.Devices(ctx, ward.demo.WardID)
	require.NoError(t, err)
	require.Len(t, devices, 1)
	testkit.Eventually(t, "online", func() bool { return ward.srv.DeviceOnline(devices[0].ID) })
	oldKey, err := os.ReadFile(filepath.Join(data, provisioning.KeyFile))
	require.NoError(t, err)

	require.NoError(t, ward.st.RevokeDevice(ctx, devices[0].ID))
	ward.srv.RevokeDevice(ctx, devices[0].ID)
	testkit.Eventually(t, "the revoked kiosk shows setup", func() bool { return lastScreen(log.String()) == "setup" })
	_, err = os.Stat(filepath.Join(data, provisioning.DeviceIDFile))
	assert.True(t, os.IsNotExist(err), "the device id is gone")
	newKey, err := os.ReadFile(filepath.Join(data, provisioning.KeyFile))
	require.NoError(t, err)
	assert.False(t, bytes.Equal(oldKey, newKey), "a new key for the next pairing")

	// The nurse's phone scans the tablet's screen.
	var request *url.URL
	testkit.Eventually(t, "a pairing request QR code on the screen", func() bool {
		text, err := provisioning.ScanQR(grab(t, display))
		if err != nil {
			return false
		}
		request, err = url.Parse(text)
		return err == nil
	})
	assert.True(t, strings.HasPrefix(request.String(), ward.url+provisioning.ConsolePairPath), request.String())
	code, fingerprint, err := provisioning.ParsePairingRequest(request.Query())
	require.NoError(t, err)
	shot(t, display, "kiosk-show-code.png")

	// The console approves it for the demo bed.
	token, _, err := provisioning.NewEnrollmentSecrets(rand.Reader)
	require.NoError(t, err)
	now := time.Now()
	require.NoError(t, ward.st.CreateEnrollment(ctx, store.Enrollment{
		TokenHash: provisioning.HashSecret(token), CodeHash: provisioning.HashSecret(code),
		WardID: ward.demo.WardID, BedID: ward.demo.BedID, Created: now, Expires: now.Add(15 * time.Minute),
		Fingerprint: fingerprint}))
	testkit.Eventually(t, "the kiosk pairs by itself", func() bool {
		return strings.Count(log.String(), "msg=enrolled") >= 2 && lastScreen(log.String()) == "home"
	})
	devices, err = ward.st.Devices(ctx, ward.demo.WardID)
	require.NoError(t, err)
	var live []string
	for _, d := range devices {
		if !d.Revoked {
			live = append(live, d.ID)
		}
	}
	require.Len(t, live, 1, "one live tablet in the ward: the new pairing")
	testkit.Eventually(t, "the new pairing is online", func() bool { return ward.srv.DeviceOnline(live[0]) })
}

// TestKioskRestartsWithoutServerUnderXvfb pairs the kiosk once with -server, then starts it
// again with only its data dir: the saved pairing knows the server, and the kiosk goes online.
func TestKioskRestartsWithoutServerUnderXvfb(t *testing.T) {
	requireKioskTools(t)
	bin := buildKiosk(t)
	ward := startWard(t)
	display := startXvfb(t)
	data := t.TempDir()
	log, stop := launchKiosk(t, bin, display, []string{"-server", ward.url, "-data", data, "-media", "test",
		"-pair", ward.demo.PairingCode}, nil)
	testkit.Eventually(t, "paired", func() bool { return strings.Contains(log.String(), "msg=enrolled") })
	devices, err := ward.st.Devices(context.Background(), ward.demo.WardID)
	require.NoError(t, err)
	require.Len(t, devices, 1)
	testkit.Eventually(t, "online", func() bool { return ward.srv.DeviceOnline(devices[0].ID) })
	stop()
	testkit.Eventually(t, "offline", func() bool { return !ward.srv.DeviceOnline(devices[0].ID) })

	log, _ = launchKiosk(t, bin, display, []string{"-data", data, "-media", "test"}, nil)
	testkit.Eventually(t, "home", func() bool { return lastScreen(log.String()) == "home" })
	testkit.Eventually(t, "online again, without -server", func() bool { return ward.srv.DeviceOnline(devices[0].ID) })
	assert.NotContains(t, log.String(), "msg=enrolled", "no new pairing")
}
