package provisioning

import (
	"crypto/ed25519"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"bedside/call/signal"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// signer is the call engine's interface; Identity must satisfy it.
type signer interface {
	DeviceID() string
	Sign(msg []byte) []byte
}

var _ signer = (*Identity)(nil)

func TestIdentityPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	id, err := LoadOrCreateIdentity(dir)
	require.NoError(t, err)
	assert.Empty(t, id.DeviceID())
	assert.Len(t, id.PublicKey(), ed25519.PublicKeySize)

	msg := signal.HelloPayload("nonce-1")
	assert.True(t, ed25519.Verify(id.PublicKey(), msg, id.Sign(msg)))

	fi, err := os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
	fi, err = os.Stat(filepath.Join(dir, KeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	require.NoError(t, id.SetDeviceID("dev_42"))
	fi, err = os.Stat(filepath.Join(dir, DeviceIDFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	again, err := LoadOrCreateIdentity(dir)
	require.NoError(t, err)
	assert.Equal(t, id.PublicKey(), again.PublicKey())
	assert.Equal(t, id.Fingerprint(), again.Fingerprint())
	assert.Equal(t, "dev_42", again.DeviceID())
	assert.True(t, ed25519.Verify(id.PublicKey(), msg, again.Sign(msg)))

	// No temporary files left behind.
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{KeyFile, DeviceIDFile}, names)

	assert.ErrorIs(t, again.SetDeviceID("bad id!"), ErrBadDeviceID)
	assert.Equal(t, "dev_42", again.DeviceID())
	require.NoError(t, again.SetDeviceID(""))
	assert.Empty(t, again.DeviceID())
	third, err := LoadOrCreateIdentity(dir)
	require.NoError(t, err)
	assert.Empty(t, third.DeviceID())
}

func TestIdentityTightensPermissions(t *testing.T) {
	dir := t.TempDir()
	_, err := LoadOrCreateIdentity(dir)
	require.NoError(t, err)
	require.NoError(t, os.Chmod(filepath.Join(dir, KeyFile), 0o644))
	require.NoError(t, os.Chmod(dir, 0o755))
	_, err = LoadOrCreateIdentity(dir)
	require.NoError(t, err)
	fi, err := os.Stat(filepath.Join(dir, KeyFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	fi, err = os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())
}

func TestIdentityCorrupt(t *testing.T) {
	good := t.TempDir()
	_, err := LoadOrCreateIdentity(good)
	require.NoError(t, err)
	goodKey, err := os.ReadFile(filepath.Join(good, KeyFile))
	require.NoError(t, err)

	cases := map[string][]byte{
		"empty":     {},
		"garbage":   []byte("not a key at all"),
		"truncated": goodKey[:len(goodKey)/2],
		"wrong PEM": []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"),
		"bad DER":   []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"),
		"trailing":  append(append([]byte{}, goodKey...), "junk"...),
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			p := filepath.Join(dir, KeyFile)
			require.NoError(t, os.WriteFile(p, data, 0o600))
			_, err := LoadOrCreateIdentity(dir)
			require.ErrorIs(t, err, ErrIdentityCorrupt)
			after, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.Equal(t, data, after, "a corrupt key must never be replaced silently")
		})
	}

	t.Run("device id", func(t *testing.T) {
		require.NoError(t, os.WriteFile(filepath.Join(good, DeviceIDFile), []byte("no spaces allowed"), 0o600))
		_, err := LoadOrCreateIdentity(good)
		require.ErrorIs(t, err, ErrIdentityCorrupt)
	})
}

func TestIdentityNewKeyForgetsStaleDeviceID(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, DeviceIDFile), []byte("dev_old\n"), 0o600))
	id, err := LoadOrCreateIdentity(dir)
	require.NoError(t, err)
	assert.Empty(t, id.DeviceID())
}

func TestKeyFingerprint(t *testing.T) {
	a, err := LoadOrCreateIdentity(t.TempDir())
	require.NoError(t, err)
	b, err := LoadOrCreateIdentity(t.TempDir())
	require.NoError(t, err)
	fp := a.Fingerprint()
	assert.Len(t, fp, FingerprintLen+3)
	assert.Equal(t, 3, strings.Count(fp, "-"))
	assert.Equal(t, strings.ToUpper(fp), fp)
	assert.Equal(t, fp, KeyFingerprint(a.PublicKey()))
	assert.NotEqual(t, fp, b.Fingerprint())
	assert.True(t, IsFingerprint(fp))
	assert.False(t, IsFingerprint(strings.ReplaceAll(fp, "-", "")))
}
