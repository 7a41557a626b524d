package main

import (
	"log/slog"
	"testing"

	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

func TestNursePINFromTheWard(t *testing.T) {
	a := test.NewTempApp(t)
	log := slog.New(slog.DiscardHandler)
	c, err := newPINCheck(a.Preferences(), "", log)
	require.NoError(t, err)
	assert.True(t, c.Check(defaultNursePIN), "the default PIN until the ward sends one")

	h, err := bcrypt.GenerateFromPassword([]byte("97531"), bcrypt.MinCost)
	require.NoError(t, err)
	c.SetWard(string(h))
	assert.True(t, c.Check("97531"))
	assert.False(t, c.Check(defaultNursePIN), "the ward's PIN replaces the default")

	c.SetWard("not a hash")
	assert.True(t, c.Check("97531"), "a malformed hash changes nothing")

	// The ward's PIN survives a restart (and a discharge, which wipes the data dir).
	again, err := newPINCheck(a.Preferences(), "", log)
	require.NoError(t, err)
	assert.True(t, again.Check("97531"))

	again.SetWard("")
	assert.True(t, again.Check(defaultNursePIN), "the ward cleared its PIN")

	local, err := newPINCheck(a.Preferences(), "4444", log)
	require.NoError(t, err)
	assert.True(t, local.Check("4444"))
	_, err = newPINCheck(a.Preferences(), "12a4", log)
	assert.Error(t, err)
}
