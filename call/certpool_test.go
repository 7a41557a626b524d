package call_test

import (
	"encoding/pem"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/internal/testkit"
)

func TestLoadCertPool(t *testing.T) {
	ca := testkit.CAPEM(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	good := write("ca.pem", append(append([]byte("# the hospital's CA\n"), ca...), testkit.CAPEM(t)...))
	pool, err := call.LoadCertPool(good)
	require.NoError(t, err)
	require.NotNil(t, pool)

	for _, c := range []struct {
		name, file, want string
	}{
		{"missing", filepath.Join(dir, "none.pem"), "no such file"},
		{"empty", write("empty.pem", nil), "no PEM certificate"},
		{"DER, not PEM", write("ca.der", []byte{0x30, 0x82, 0x01, 0x0a}), "no PEM certificate"},
		{"a key", write("key.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: []byte{1}})), "block 1 is a PRIVATE KEY, not a CERTIFICATE"},
		{"corrupt", write("bad.pem", append(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte("garbage")})...)), "certificate 2:"},
	} {
		_, err := call.LoadCertPool(c.file)
		require.ErrorIs(t, err, call.ErrCertFile, c.name)
		require.ErrorContains(t, err, c.want, c.name)
	}
}
