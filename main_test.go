package main

import (
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/app"
	"bedside/call"
	"bedside/call/signal"
	"bedside/provisioning"
)

func TestWSURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":        "ws://127.0.0.1:8080/ws",
		"https://ward.example:8443/":   "wss://ward.example:8443/ws",
		"https://ward.example/bedside": "wss://ward.example/bedside/ws",
	} {
		got, err := wsURL(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	_, err := wsURL("ftp://x")
	assert.Error(t, err)
}

func TestRefusedSaysWhy(t *testing.T) {
	var r *app.RefusedError
	err := refused(fmt.Errorf("dial: %w", &call.EndedError{Reason: signal.ReasonOffline}))
	require.True(t, errors.As(err, &r))
	assert.Equal(t, app.Reason("offline"), r.Reason)
	assert.ErrorIs(t, err, call.ErrCallEnded, "the engine's error stays wrapped")

	require.True(t, errors.As(refused(call.ErrBusy), &r))
	assert.Equal(t, app.Reason("busy"), r.Reason)

	other := errors.New("network down")
	assert.Same(t, other, refused(other))
}

func TestPairErrorsMapToTheKiosks(t *testing.T) {
	// The setup screen switches on app's errors; Pair wraps provisioning's into them.
	for perr, aerr := range map[error]error{
		provisioning.ErrEnrollInvalid: app.ErrPairInvalid,
		provisioning.ErrEnrollExpired: app.ErrPairExpired,
		provisioning.ErrEnrollUsed:    app.ErrPairUsed,
	} {
		w := &wiring{opts: options{server: "http://127.0.0.1:1"}}
		err := w.mapEnrollError(fmt.Errorf("enroll: %w", perr))
		assert.ErrorIs(t, err, aerr)
		assert.ErrorIs(t, err, perr)
	}
}

func TestPatientFromConfig(t *testing.T) {
	cfg := signal.Config{Patient: "Maria", Language: "it", AutoAnswer: true, Ward: "Ward 3", Bed: "12",
		Contacts: []signal.Contact{{Party: signal.Party{ID: "c1", Name: "Anna", Relation: "figlia"}, Online: true, Photo: "nohash"}}}
	p := patientFrom(cfg, nil)
	assert.Equal(t, "Maria", p.Name)
	assert.Equal(t, "it", p.Language)
	assert.True(t, p.AutoAnswer)
	require.Len(t, p.Contacts, 1)
	assert.Equal(t, app.Contact{ID: "c1", Name: "Anna", Relation: "figlia", Online: true}, p.Contacts[0])
}

func TestParseFlags(t *testing.T) {
	_, err := parseFlags(nil)
	assert.Error(t, err, "-server is required")
	_, err = parseFlags([]string{"-server", "http://x", "-media", "webcam"})
	assert.Error(t, err)
	o, err := parseFlags([]string{"-server", "http://x", "-data", t.TempDir(), "-media", "test", "-auto-answer", "-windowed"})
	require.NoError(t, err)
	assert.True(t, o.autoAnswer)
	assert.True(t, o.windowed)
	o, err = parseFlags([]string{"-demo", "home"})
	require.NoError(t, err)
	assert.NotEmpty(t, o.data, "a default data dir")
}
