package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/server"
)

// testCA makes a CA and a certificate it signed for 127.0.0.1, writes the certificate and its
// key as PEM files, and returns them with a pool that holds the CA alone: what a hospital whose
// relay has a certificate from its own CA gives its tablets.
func testCA(tb testing.TB) (certFile, keyFile string, roots *x509.CertPool) {
	tb.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(tb, err)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bedside test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	require.NoError(tb, err)
	ca, err := x509.ParseCertificate(caDER)
	require.NoError(tb, err)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(tb, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "bedside relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	require.NoError(tb, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(tb, err)
	dir := tb.TempDir()
	certFile, keyFile = filepath.Join(dir, "relay.pem"), filepath.Join(dir, "relay.key")
	require.NoError(tb, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(tb, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	roots = x509.NewCertPool()
	roots.AddCert(ca)
	return certFile, keyFile, roots
}

// relayWardTLS is relayWard with a relay on TLS only, its certificate from a test CA that the
// engines are given (call.APIOptions.TURNRoots); the engines use relayed candidates only.
func relayWardTLS(tb testing.TB) (relay *server.TURN, tab, fam *peer) {
	tb.Helper()
	certFile, keyFile, roots := testCA(tb)
	relay, err := server.NewTURN(server.TURNConfig{TLSListen: "127.0.0.1:0", TLSCertFile: certFile, TLSKeyFile: keyFile,
		PublicIP: net.IPv4(127, 0, 0, 1), RelayAddress: "127.0.0.1", AllowLoopback: true, Logger: testLogger(tb)})
	require.NoError(tb, err)
	tb.Cleanup(func() { relay.Close() })
	w := newWard(tb, withConfig(func(c *server.Config) { c.TURN = relay }))
	api, err := call.NewAPI(call.APIOptions{LoopbackOnly: true, RelayOnly: true, TURNRoots: roots, Logger: testLogger(tb)})
	require.NoError(tb, err)
	shared := func(c *call.Config) { c.API = api }
	return relay, newTablet(tb, w, shared), newFamily(tb, w, shared)
}

// A call between two Go engines that may only use the relay, reached over TLS, whose
// certificate only the test CA vouches for.
func TestGoCallThroughTheRelayOverTLSWithOwnCA(t *testing.T) {
	relay, tab, fam := relayWardTLS(t)
	for _, s := range fam.phone.Config().ICEServers {
		for _, u := range s.URLs {
			require.True(t, strings.HasPrefix(u, "turns:"), u)
		}
	}
	setup := callSetup(t, tab, fam)
	t.Logf("set-up through the relay over TLS: %v from answer to both in call (a figure, not a bound)", setup)
	tab.waitMedia(t, "the tablet", 30)
	fam.waitMedia(t, "the family", 30)
	require.GreaterOrEqual(t, relay.Allocations(), 2, "both ends hold allocations")
	require.NoError(t, fam.phone.Hangup(context.Background()))
	waitIdle(t, tab, fam)
}
