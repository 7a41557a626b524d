package server_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server/store"
)

func status(battery int, version string) signal.Message {
	return signal.Message{Type: signal.TypeStatus, Battery: &battery, AppVersion: version}
}

// deviceRow reads the device's row from the store.
func (e *env) deviceRow(id string) store.Device {
	e.t.Helper()
	d, err := e.st.Device(context.Background(), id)
	require.NoError(e.t, err)
	return d
}

func TestDeviceStatus(t *testing.T) {
	e := newEnv(t, nil)
	d := e.enroll(e.demo.PairingCode)
	require.Equal(t, -1, e.deviceRow(d.id).Battery, "unknown until reported")
	dev := e.device(d)

	dev.send(status(57, "1.4.2"))
	dev.sync()
	got := e.deviceRow(d.id)
	require.Equal(t, 57, got.Battery)
	require.Equal(t, "1.4.2", got.AppVersion)
	require.Equal(t, e.clock.Now(), got.LastSeen)

	// Within the minute, a report is held back, not written...
	dev.send(status(40, "1.4.3"))
	dev.sync()
	require.Equal(t, 57, e.deviceRow(d.id).Battery)
	// ... and a later one that may be written carries the newest word.
	e.clock.Advance(time.Minute)
	dev.send(status(35, ""))
	dev.sync()
	got = e.deviceRow(d.id)
	require.Equal(t, 35, got.Battery)
	require.Equal(t, "1.4.2", got.AppVersion, "an empty version keeps the known one")

	// Bad reports are refused, the connection stays.
	dev.sendRaw([]byte(`{"type":"status","battery":101}`))
	dev.expectError(signal.CodeBadMessage)
	dev.sendRaw([]byte(`{"type":"status","appVersion":"2.0"}`))
	dev.expectError(signal.CodeBadMessage)

	// A held-back report is written when the tablet goes away.
	dev.send(status(-1, "1.5.0"))
	dev.sync()
	require.Equal(t, 35, e.deviceRow(d.id).Battery)
	require.NoError(t, dev.c.Close(1000, "bye"))
	deadline := time.Now().Add(wait)
	for e.deviceRow(d.id).AppVersion != "1.5.0" && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	got = e.deviceRow(d.id)
	require.Equal(t, "1.5.0", got.AppVersion)
	require.Equal(t, -1, got.Battery)

	// A reconnecting tablet does not get a fresh allowance.
	dev = e.device(d)
	dev.send(status(90, ""))
	dev.sync()
	require.Equal(t, -1, e.deviceRow(d.id).Battery)
}

func TestStatusIsForDevicesOnly(t *testing.T) {
	e := newEnv(t, nil)
	fam := e.family(e.demo.FamilyToken)
	fam.send(status(50, "1.0"))
	fam.expectError(signal.CodeForbidden)
	// The page stays connected.
	fam.sync()

	w := e.dial()
	w.send(status(50, "1.0"))
	w.expectError(signal.CodeUnauthorized)
}
