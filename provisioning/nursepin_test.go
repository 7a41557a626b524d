package provisioning_test

import (
	"crypto/rand"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"bedside/provisioning"
)

// memPrefs are preferences in memory.
type memPrefs map[string]string

func (p memPrefs) String(key string) string    { return p[key] }
func (p memPrefs) SetString(key, value string) { p[key] = value }

func hashPIN(t *testing.T, pin string) string {
	t.Helper()
	h, err := provisioning.HashNursePIN(pin, rand.Reader)
	require.NoError(t, err)
	return h
}

func TestNursePINHash(t *testing.T) {
	h := hashPIN(t, "975310")
	assert.True(t, strings.HasPrefix(h, "$argon2id$v=19$m=65536,t=1,p=1$"), h)
	assert.True(t, provisioning.IsNursePINHash(h))
	ok, err := provisioning.CheckNursePIN(h, "975310")
	require.NoError(t, err)
	assert.True(t, ok)
	for _, wrong := range []string{"975311", "97531", "", "9753100", "97531a", strings.Repeat("9", 13)} {
		ok, err := provisioning.CheckNursePIN(h, wrong)
		require.NoError(t, err)
		assert.False(t, ok, wrong)
	}
	assert.NotEqual(t, h, hashPIN(t, "975310"), "salted")

	for _, bad := range []string{"1234", "12345", "1234567890123", "12a456", " 123456", "１２３４５６"} {
		_, err := provisioning.HashNursePIN(bad, rand.Reader)
		assert.ErrorIs(t, err, provisioning.ErrNursePIN, bad)
	}
}

func TestNursePINHashRefusesWeakOrHostileCosts(t *testing.T) {
	good := hashPIN(t, "975310")
	tail := good[strings.LastIndex(good[:strings.LastIndex(good, "$")], "$"):] // $salt$key
	legacy, err := bcrypt.GenerateFromPassword([]byte("975310"), bcrypt.MinCost)
	require.NoError(t, err)
	for name, h := range map[string]string{
		"bcrypt (older servers)": string(legacy),
		"too little memory":      "$argon2id$v=19$m=8192,t=1,p=1" + tail,
		"too few passes for it":  "$argon2id$v=19$m=20480,t=1,p=1" + tail,
		"4 GiB of memory":        "$argon2id$v=19$m=4194304,t=1,p=1" + tail,
		"too many passes":        "$argon2id$v=19$m=65536,t=100,p=1" + tail,
		"too many threads":       "$argon2id$v=19$m=65536,t=1,p=64" + tail,
		"argon2i":                "$argon2i$v=19$m=65536,t=1,p=1" + tail,
		"another version":        "$argon2id$v=16$m=65536,t=1,p=1" + tail,
		"junk in the costs":      "$argon2id$v=19$m=65536,t=1,p=1,x=2" + tail,
		"no key":                 "$argon2id$v=19$m=65536,t=1,p=1$c2FsdHNhbHRzYWx0c2FsdA",
		"empty":                  "",
	} {
		assert.False(t, provisioning.IsNursePINHash(h), name)
		_, err := provisioning.CheckNursePIN(h, "975310")
		assert.ErrorIs(t, err, provisioning.ErrNursePINHash, name)
	}
	assert.True(t, provisioning.IsNursePINHash("$argon2id$v=19$m=20480,t=3,p=1"+tail), "OWASP's smallest setting")
}

// TestNursePINNoDefault: a tablet whose ward set no PIN and that has no local one has no PIN at
// all (the panel stays locked); the old default 2580 opens nothing.
func TestNursePINNoDefault(t *testing.T) {
	c, err := provisioning.NewNursePIN(memPrefs{}, "", rand.Reader, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	assert.False(t, c.Known())
	for _, pin := range []string{"2580", "", "000000"} {
		assert.False(t, c.Check(pin), pin)
	}
	c.SetWard("")
	assert.False(t, c.Known(), "a ward without a PIN gives none")
}

func TestNursePINFromTheWard(t *testing.T) {
	prefs := memPrefs{}
	log := slog.New(slog.DiscardHandler)
	c, err := provisioning.NewNursePIN(prefs, "", rand.Reader, log)
	require.NoError(t, err)

	c.SetWard(hashPIN(t, "975310"))
	assert.True(t, c.Known())
	assert.True(t, c.Check("975310"))
	assert.False(t, c.Check("2580"))

	legacy, err := bcrypt.GenerateFromPassword([]byte("4444"), bcrypt.MinCost)
	require.NoError(t, err)
	c.SetWard(string(legacy))
	c.SetWard("not a hash")
	assert.True(t, c.Check("975310"), "a hash the tablet does not accept changes nothing")
	assert.False(t, c.Check("4444"))

	// The ward's PIN survives a restart (and a discharge, which wipes the data dir, not these).
	again, err := provisioning.NewNursePIN(prefs, "", rand.Reader, log)
	require.NoError(t, err)
	assert.True(t, again.Check("975310"))
	for _, v := range prefs {
		assert.NotContains(t, v, "975310", "only the hash is kept")
	}

	// The ward's PIN wins over the local one; without it, the local one applies.
	local, err := provisioning.NewNursePIN(prefs, "444444", rand.Reader, log)
	require.NoError(t, err)
	assert.True(t, local.Check("975310"))
	assert.False(t, local.Check("444444"))
	local.SetWard("")
	assert.True(t, local.Check("444444"), "the ward has no PIN any more: the local one")

	for _, bad := range []string{"4444", "12a456", "1234567890123"} {
		_, err = provisioning.NewNursePIN(prefs, bad, rand.Reader, log)
		assert.ErrorIs(t, err, provisioning.ErrNursePIN, bad)
	}
}

// TestNursePINDropsOlderHashes: hashes an older kiosk kept (bcrypt: the local -nurse-pin and the
// ward's) are not used any more; the PIN must be set again.
func TestNursePINDropsOlderHashes(t *testing.T) {
	old, err := bcrypt.GenerateFromPassword([]byte("4444"), bcrypt.DefaultCost)
	require.NoError(t, err)
	prefs := memPrefs{"nursePINHash": string(old), "wardNursePINHash": string(old)}
	c, err := provisioning.NewNursePIN(prefs, "", rand.Reader, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	assert.False(t, c.Known())
	assert.False(t, c.Check("4444"))
	assert.Empty(t, prefs["nursePINHash"])
	assert.Empty(t, prefs["wardNursePINHash"])
}
