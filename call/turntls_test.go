package call

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// selfSignedTLS returns a TLS certificate for 127.0.0.1 and a pool that trusts it.
func selfSignedTLS(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "relay"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// The relay dialer speaks TLS to the turns: servers it learnt, checking their certificate
// against the roots it was given, and plain TCP to the others.
func TestTURNDialer(t *testing.T) {
	cert, roots := selfSignedTLS(t)
	tl, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	require.NoError(t, err)
	defer tl.Close()
	go func() {
		for {
			c, err := tl.Accept()
			if err != nil {
				return
			}
			go func() { defer c.Close(); _, _ = io.Copy(c, c) }()
		}
	}()
	plain, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer plain.Close()
	go func() {
		if c, err := plain.Accept(); err == nil {
			_ = c.Close()
		}
	}()
	tlsAddr := tl.Addr().String()

	d := newTURNDialer(roots)
	d.learn([]string{"turns:" + tlsAddr + "?transport=tcp", "turn:" + plain.Addr().String() + "?transport=tcp"})
	c, err := d.Dial("udp4", tlsAddr)
	require.NoError(t, err)
	_, isTLS := c.(*tls.Conn)
	assert.True(t, isTLS, "TLS to a turns: server")
	_, err = c.Write([]byte("ping"))
	require.NoError(t, err)
	buf := make([]byte, 4)
	_, err = io.ReadFull(c, buf)
	require.NoError(t, err)
	assert.Equal(t, "ping", string(buf))
	require.NoError(t, c.Close())

	c, err = d.Dial("udp4", plain.Addr().String())
	require.NoError(t, err)
	_, isTCP := c.(*net.TCPConn)
	assert.True(t, isTCP, "plain TCP to a turn: server")
	require.NoError(t, c.Close())

	// Without the roots (the system's), the relay's certificate is refused.
	d = newTURNDialer(nil)
	d.learn([]string{"turns:" + tlsAddr + "?transport=tcp"})
	_, err = d.Dial("udp4", tlsAddr)
	var unknown x509.UnknownAuthorityError
	require.ErrorAs(t, err, &unknown)
}
