package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"bedside/call/signal"
	"bedside/provisioning"
	"bedside/server"
)

// nextRaw reads one message as the server sent it.
func (w *ws) nextRaw() []byte {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, data, err := w.c.Read(ctx)
	require.NoError(w.t, err)
	return data
}

// expectRaw reads until a message of type typ, skipping presence, and returns its bytes.
func (w *ws) expectRaw(typ signal.Type) []byte {
	w.t.Helper()
	for {
		data := w.nextRaw()
		var m signal.Message
		require.NoError(w.t, json.Unmarshal(data, &m), string(data))
		if m.Type == typ {
			return data
		}
		require.Equal(w.t, signal.TypePresence, m.Type, string(data))
	}
}

// familyRaw says hello with a link token and returns the welcome as sent.
func (e *env) familyRaw(token string) (*ws, []byte) {
	e.t.Helper()
	w := e.dial()
	w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: token})
	return w, w.expectRaw(signal.TypeWelcome)
}

// TestNursePINAndVisitingHours checks what each side gets of the ward's nurse PIN and the
// patient's visiting hours: the tablet both, at hello and on every change; the family page
// the visiting hours and never the PIN hash, in any message.
func TestNursePINAndVisitingHours(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	p, err := e.st.Patient(ctx, e.demo.PatientID)
	require.NoError(t, err)
	p.VisitingHours = "09:00-20:00"
	require.NoError(t, e.st.UpdatePatient(ctx, p))
	hash, err := bcrypt.GenerateFromPassword([]byte("4321"), bcrypt.MinCost)
	require.NoError(t, err)
	require.NoError(t, e.st.SetNursePIN(ctx, e.demo.WardID, hash))

	d := e.enroll(e.demo.PairingCode)
	dev := e.device(d)
	require.Equal(t, "09:00-20:00", dev.cfg.VisitingHours)
	require.Equal(t, string(hash), dev.cfg.NursePINHash)
	require.NoError(t, bcrypt.CompareHashAndPassword([]byte(dev.cfg.NursePINHash), []byte("4321")))

	fam, welcome := e.familyRaw(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	var fm signal.Message
	require.NoError(t, json.Unmarshal(welcome, &fm))
	require.Equal(t, "09:00-20:00", fm.Config.VisitingHours)
	require.Empty(t, fm.Config.NursePINHash)
	requireNoPIN(t, welcome, hash)

	// A ward-only tablet gets the PIN too.
	token, _, err := server.NewEnrollment(ctx, e.st, e.demo.WardID, "", time.Hour, server.EnrollmentOptions{Now: e.clock.Now})
	require.NoError(t, err)
	spare := e.device(e.enroll(token))
	require.Equal(t, string(hash), spare.cfg.NursePINHash)
	require.Empty(t, spare.cfg.VisitingHours, "no bed, no patient")

	// A new PIN reaches every tablet of the ward at once; the family page hears nothing of it.
	hash2, err := bcrypt.GenerateFromPassword([]byte("98765"), bcrypt.MinCost)
	require.NoError(t, err)
	require.NoError(t, e.st.SetNursePIN(ctx, e.demo.WardID, hash2))
	e.srv.WardChanged(ctx, e.demo.WardID)
	require.Equal(t, string(hash2), dev.expect(signal.TypeConfig).Config.NursePINHash)
	require.Equal(t, string(hash2), spare.expect(signal.TypeConfig).Config.NursePINHash)
	e.srv.WardChanged(ctx, "no-such-ward")

	// Changed visiting hours reach both; the family's config still has no PIN hash.
	p.VisitingHours = "15:00-18:00"
	require.NoError(t, e.st.UpdatePatient(ctx, p))
	e.srv.ConfigChanged(ctx, e.demo.BedID)
	cfg := dev.expect(signal.TypeConfig).Config
	require.Equal(t, "15:00-18:00", cfg.VisitingHours)
	require.Equal(t, string(hash2), cfg.NursePINHash)
	raw := fam.expectRaw(signal.TypeConfig)
	require.NoError(t, json.Unmarshal(raw, &fm))
	require.Equal(t, "15:00-18:00", fm.Config.VisitingHours)
	requireNoPIN(t, raw, hash)
	requireNoPIN(t, raw, hash2)
	// Nor does anything else the page is sent, up to the end of a call.
	fam.send(signal.Message{Type: signal.TypeInvite})
	raw = fam.expectRaw(signal.TypeRinging)
	requireNoPIN(t, raw, hash2)
	id := dev.expect(signal.TypeRing).Call
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
	requireNoPIN(t, fam.expectRaw(signal.TypeEnded), hash2)
	require.NotContains(t, e.logs.String(), string(hash2))
}

func requireNoPIN(t *testing.T, raw []byte, hash []byte) {
	t.Helper()
	require.NotContains(t, string(raw), "nursePinHash")
	require.NotContains(t, string(raw), string(hash))
	require.False(t, strings.Contains(string(raw), "$2a$"), "no bcrypt hash at all: %s", raw)
	require.False(t, strings.Contains(string(raw), "$argon2id$"), "no PIN hash at all: %s", raw)
}

func TestDemoNursePIN(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	require.Equal(t, server.DemoNursePIN, e.demo.NursePIN)
	w, err := e.st.Ward(ctx, e.demo.WardID)
	require.NoError(t, err)
	ok, err := provisioning.CheckNursePIN(string(w.NursePINHash), server.DemoNursePIN)
	require.NoError(t, err)
	require.True(t, ok, "the demo's PIN, under the tablets' hash")

	// Seeding again keeps a PIN that a nurse chose.
	hash, err := bcrypt.GenerateFromPassword([]byte("97531"), bcrypt.MinCost)
	require.NoError(t, err)
	require.NoError(t, e.st.SetNursePIN(ctx, e.demo.WardID, hash))
	info, err := server.SeedDemo(ctx, e.st, server.DemoOptions{Now: e.clock.Now})
	require.NoError(t, err)
	require.Empty(t, info.NursePIN)
	w, err = e.st.Ward(ctx, e.demo.WardID)
	require.NoError(t, err)
	require.Equal(t, hash, w.NursePINHash)
}
