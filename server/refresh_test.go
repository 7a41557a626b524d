package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server"
	"bedside/server/store"
)

func TestRefresh(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)

	// A new contact reaches the tablet.
	_, err := e.st.CreateContact(ctx, store.Contact{PatientID: e.demo.PatientID, Name: "Paolo", Relation: "son"})
	require.NoError(t, err)
	require.NoError(t, e.srv.Refresh(ctx, e.demo.BedID))
	cfg := dev.expect(signal.TypeConfig).Config
	require.Len(t, cfg.Contacts, 2)
	require.Equal(t, server.DemoPatient, cfg.Patient)
	fcfg := fam.expect(signal.TypeConfig).Config
	require.True(t, fcfg.DeviceOnline)
	require.Equal(t, e.demo.ContactID, fcfg.Self.ID)

	// Discharge: family pages are closed, the tablet forgets the patient.
	require.NoError(t, e.st.Discharge(ctx, e.demo.PatientID, e.clock.Now()))
	require.NoError(t, e.srv.Refresh(ctx, e.demo.BedID))
	fam.expectError(signal.CodeLinkRevoked)
	fam.expectClosed()
	cfg = dev.expect(signal.TypeConfig).Config
	require.Empty(t, cfg.Patient)
	require.Empty(t, cfg.Contacts)
	dev.send(signal.Message{Type: signal.TypeInvite, To: e.demo.ContactID})
	dev.expectError(signal.CodeNoPatient)

	// Revoking the tablet closes it.
	require.NoError(t, e.st.RevokeDevice(ctx, d.id))
	require.NoError(t, e.srv.Refresh(ctx, e.demo.BedID))
	dev.expectError(signal.CodeRevoked)
	dev.expectClosed()
}

func ExampleSeedDemo() {
	ctx := context.Background()
	path, cleanup := tempDB()
	defer cleanup()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	info, err := server.SeedDemo(ctx, st, server.DemoOptions{BaseURL: "https://ward.example"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(len(info.FamilyURL) == len("https://ward.example/j/")+22, len(info.PairingCode))
	// Output: true 9
}

func ExampleNewFamilyLink() {
	ctx := context.Background()
	path, cleanup := tempDB()
	defer cleanup()
	st, err := store.Open(ctx, path, store.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer st.Close()
	info, err := server.SeedDemo(ctx, st, server.DemoOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	token, err := server.NewFamilyLink(ctx, st, info.ContactID, 7*24*time.Hour, server.LinkOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(server.FamilyURL("https://ward.example/", token) == "https://ward.example/j/"+token)
	// Output: true
}

// hub is the nurse console's view of the live server (console.Hub).
type hub interface {
	DeviceOnline(deviceID string) bool
	ConfigChanged(ctx context.Context, bedID string)
	Discharged(ctx context.Context, deviceID string)
	RevokeDevice(ctx context.Context, deviceID string)
	WardChanged(ctx context.Context, wardID string)
	RevokeGuest(ctx context.Context, guestID string)
}

func TestConsoleHub(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	var h hub = e.srv
	d := e.enroll(e.demo.PairingCode)
	require.False(t, h.DeviceOnline(d.id))
	dev := e.device(d)
	require.True(t, h.DeviceOnline(d.id))
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)

	// The patient moves to bed 2: bed 1's tablet forgets her, her family reconnects.
	bed2, err := e.st.CreateBed(ctx, store.Bed{WardID: e.demo.WardID, Name: "2"})
	require.NoError(t, err)
	require.NoError(t, e.st.Transfer(ctx, e.demo.PatientID, bed2.ID))
	h.Discharged(ctx, d.id)
	require.Empty(t, dev.expect(signal.TypeConfig).Config.Patient)
	fam.expectError(signal.CodeShuttingDown)
	fam.expectClosed()
	fam = e.family(e.demo.FamilyToken)
	require.False(t, fam.cfg.DeviceOnline)

	h.ConfigChanged(ctx, "no-such-bed")
	h.RevokeDevice(ctx, "no-such-device")
	h.Discharged(ctx, "no-such-device")
	h.RevokeDevice(ctx, d.id)
	dev.expectError(signal.CodeRevoked)
	dev.expectClosed()
}
