package main

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/internal/testkit"
)

func TestParseFlags(t *testing.T) {
	o, err := parseFlags([]string{"-data", t.TempDir()})
	require.NoError(t, err, "-server is optional: a scanned QR code carries the server")
	assert.Equal(t, "camera", o.media)
	for _, bad := range [][]string{
		{"-server", "http://x", "-media", "webcam"},
		{"-media", "file:"},
		{"-server", "ftp://ward.example"},
		{"-server", "http://user@ward.example"},
	} {
		_, err = parseFlags(append(bad, "-data", t.TempDir()))
		assert.Error(t, err, "%q", bad)
	}
	o, err = parseFlags([]string{"-media", "file:/tmp/frame.png", "-data", t.TempDir()})
	require.NoError(t, err)
	assert.Equal(t, "file:/tmp/frame.png", o.media)
	o, err = parseFlags([]string{"-server", "http://x", "-data", t.TempDir(), "-media", "test", "-auto-answer", "-windowed"})
	require.NoError(t, err)
	assert.True(t, o.autoAnswer)
	assert.True(t, o.windowed)
	o, err = parseFlags([]string{"-server", "http://a:8080,http://b:8080", "-data", t.TempDir()})
	require.NoError(t, err)
	assert.Equal(t, "http://a:8080", o.server, "the first instance pairs the tablet")
	assert.Equal(t, []string{"http://b:8080"}, o.moreServers)
	_, err = parseFlags([]string{"-server", "http://a:8080,ftp://b", "-data", t.TempDir()})
	assert.Error(t, err)
	// -turn-ca: the hospital's own CA for the relay over TLS; a file that is not one says so.
	dir := t.TempDir()
	caFile, keyFile := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(caFile, testkit.CAPEM(t), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}}), 0o600))
	o, err = parseFlags([]string{"-turn-ca", caFile, "-data", t.TempDir()})
	require.NoError(t, err)
	assert.NotNil(t, o.turnRoots)
	_, err = parseFlags([]string{"-turn-ca", keyFile, "-data", t.TempDir()})
	require.ErrorContains(t, err, "-turn-ca: call: bad certificate file: "+keyFile+": block 1 is a PRIVATE KEY, not a CERTIFICATE")
	_, err = parseFlags([]string{"-turn-ca", filepath.Join(dir, "none.pem"), "-data", t.TempDir()})
	require.ErrorContains(t, err, "-turn-ca: call: bad certificate file: open "+filepath.Join(dir, "none.pem"))
	o, err = parseFlags([]string{"-demo", "home"})
	require.NoError(t, err)
	assert.NotEmpty(t, o.data, "a default data dir")
}
