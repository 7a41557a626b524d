package provisioning_test

import (
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"bedside/provisioning"
)

func TestNursePINFromTheWard(t *testing.T) {
	prefs := memPrefs{}
	log := slog.New(slog.DiscardHandler)
	c, err := provisioning.NewNursePIN(prefs, "", log)
	require.NoError(t, err)
	assert.True(t, c.Check(provisioning.DefaultNursePIN), "the default PIN until the ward sends one")

	h, err := bcrypt.GenerateFromPassword([]byte("97531"), bcrypt.MinCost)
	require.NoError(t, err)
	c.SetWard(string(h))
	assert.True(t, c.Check("97531"))
	assert.False(t, c.Check(provisioning.DefaultNursePIN), "the ward's PIN replaces the default")

	c.SetWard("not a hash")
	assert.True(t, c.Check("97531"), "a malformed hash changes nothing")

	// The ward's PIN survives a restart (and a discharge, which wipes the data dir).
	again, err := provisioning.NewNursePIN(prefs, "", log)
	require.NoError(t, err)
	assert.True(t, again.Check("97531"))

	again.SetWard("")
	assert.True(t, again.Check(provisioning.DefaultNursePIN), "the ward cleared its PIN")

	local, err := provisioning.NewNursePIN(prefs, "4444", log)
	require.NoError(t, err)
	assert.True(t, local.Check("4444"))
	_, err = provisioning.NewNursePIN(prefs, "12a4", log)
	assert.Error(t, err)
}

// memPrefs are preferences in memory.
type memPrefs map[string]string

func (p memPrefs) String(key string) string    { return p[key] }
func (p memPrefs) SetString(key, value string) { p[key] = value }
