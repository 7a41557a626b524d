package call_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call"
)

// testCA is a self-signed CA certificate in PEM.
func testCA(t *testing.T) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Hospital CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestLoadCertPool(t *testing.T) {
	ca := testCA(t)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b, 0o600))
		return p
	}
	good := write("ca.pem", append(append([]byte("# the hospital's CA\n"), ca...), testCA(t)...))
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
