package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/turn/v5"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server"
)

// relayEnv is a ward server with its embedded relay serving UDP, TCP and TLS on 127.0.0.1.
type relayEnv struct {
	*env
	relay *server.TURN
	roots *x509.CertPool // trusts the relay's self-signed certificate
}

// newRelayEnv starts the relay and the server. allowLoopback is the tests' escape hatch, for
// those that send data to a peer on 127.0.0.1.
func newRelayEnv(t *testing.T, allowLoopback bool, tweak func(*server.TURNConfig)) *relayEnv {
	t.Helper()
	certFile, keyFile, roots := selfSigned(t)
	var ep atomic.Pointer[env] // the relay starts before the env that has the clock
	cfg := server.TURNConfig{Listen: "127.0.0.1:0", TCPListen: "127.0.0.1:0", TLSListen: "127.0.0.1:0",
		TLSCertFile: certFile, TLSKeyFile: keyFile, PublicIP: net.IPv4(127, 0, 0, 1),
		RelayAddress: "127.0.0.1", AllowLoopback: allowLoopback,
		Now: func() time.Time { return ep.Load().clock.Now() }}
	if tweak != nil {
		tweak(&cfg)
	}
	relay, err := server.NewTURN(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { relay.Close() })
	e := newEnv(t, func(c *server.Config) { c.TURN = relay })
	ep.Store(e)
	return &relayEnv{env: e, relay: relay, roots: roots}
}

// selfSigned writes a certificate for 127.0.0.1 and its key to PEM files in a temp dir.
func selfSigned(t *testing.T) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "bedside relay test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	require.NoError(t, err)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	require.NoError(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600))
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	roots = x509.NewCertPool()
	roots.AddCert(cert)
	return certFile, keyFile, roots
}

// creds are the TURN credentials of a welcome or config.
type creds struct {
	user, pass string
	urls       []string
}

func turnCreds(t *testing.T, servers []signal.ICEServer) creds {
	t.Helper()
	var c creds
	for _, s := range servers {
		if strings.HasPrefix(s.URLs[0], "turn") {
			c.user, c.pass = s.Username, s.Credential
			c.urls = append(c.urls, s.URLs...)
		}
	}
	require.NotEmpty(t, c.user, "%+v", servers)
	return c
}

// turnClient connects to the relay over transport ("udp", "tcp" or "tls") with c.
func (r *relayEnv) turnClient(t *testing.T, transport string, c creds) *turn.Client {
	t.Helper()
	var conn net.PacketConn
	var addr string
	switch transport {
	case "udp":
		addr = r.relay.Addr().String()
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		require.NoError(t, err)
		conn = pc
	case "tcp":
		addr = r.relay.TCPAddr().String()
		tc, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		conn = turn.NewSTUNConn(tc)
	case "tls":
		addr = r.relay.TLSAddr().String()
		tc, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: r.roots, ServerName: "127.0.0.1", MinVersion: tls.VersionTLS12})
		require.NoError(t, err)
		conn = turn.NewSTUNConn(tc)
	}
	cl, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: addr, TURNServerAddr: addr, Conn: conn,
		Username: c.user, Password: c.pass, Realm: "bedside"})
	require.NoError(t, err)
	require.NoError(t, cl.Listen())
	t.Cleanup(func() { cl.Close(); conn.Close() })
	return cl
}

// allocate asks the relay for a UDP relay over transport; nil when it refuses.
func (r *relayEnv) allocate(t *testing.T, transport string, c creds) net.PacketConn {
	t.Helper()
	relayed, err := r.turnClient(t, transport, c).Allocate()
	if err != nil {
		return nil
	}
	t.Cleanup(func() { relayed.Close() })
	return relayed
}

// inCall starts a call from the family page to the tablet and returns both and its id.
func (r *relayEnv) inCall(t *testing.T) (dev, fam *ws, id string) {
	t.Helper()
	dev = r.device(r.enroll(r.demo.PairingCode))
	fam = r.family(r.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	fam.send(signal.Message{Type: signal.TypeInvite})
	id = fam.expect(signal.TypeRinging).Call
	dev.expect(signal.TypeRing)
	dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
	fam.expect(signal.TypeAccepted)
	return dev, fam, id
}

// announce sends a trickled candidate from one end and waits for the other to get it.
func announce(from, to *ws, id, candidate string) {
	from.send(signal.Message{Type: signal.TypeCandidate, Call: id, Candidate: &signal.Candidate{Candidate: candidate}})
	to.expect(signal.TypeCandidate)
}

func hostCandidate(ip string) string {
	return "candidate:1 1 udp 2122260223 " + ip + " 50000 typ host generation 0"
}

// permit asks for a permission to ip through a fresh UDP allocation of c.
func permit(t *testing.T, cl *turn.Client, ip string) error {
	t.Helper()
	return cl.CreatePermission(&net.UDPAddr{IP: net.ParseIP(ip), Port: 50000})
}

// echoThrough sends through relayed to a peer socket on 127.0.0.1 and back. The peer repeats
// its answer until it arrives: the first one may race the client's channel binding.
func echoThrough(t *testing.T, relayed net.PacketConn, peer net.PacketConn) {
	t.Helper()
	_, err := relayed.WriteTo([]byte("hello"), peer.LocalAddr())
	require.NoError(t, err)
	buf := make([]byte, 64)
	require.NoError(t, peer.SetReadDeadline(time.Now().Add(wait)))
	n, from, err := peer.ReadFrom(buf)
	require.NoError(t, err)
	require.Equal(t, "hello", string(buf[:n]))
	require.Equal(t, relayed.LocalAddr().String(), from.String())
	done := make(chan struct{})
	defer close(done)
	go func() {
		for {
			_, _ = peer.WriteTo([]byte("back"), from)
			select {
			case <-done:
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}()
	require.NoError(t, relayed.SetReadDeadline(time.Now().Add(wait)))
	n, _, err = relayed.ReadFrom(buf)
	require.NoError(t, err)
	require.Equal(t, "back", string(buf[:n]))
}

// Before: the relay served UDP only, and the ICE servers listed only turn:...?transport=udp.
func TestTURNRelaysOverUDPTCPAndTLS(t *testing.T) {
	r := newRelayEnv(t, true, nil)
	dev, fam, id := r.inCall(t)
	c := turnCreds(t, fam.cfg.ICEServers)
	require.True(t, strings.HasSuffix(c.user, ":f."+r.demo.ContactID), c.user)
	require.Equal(t, []string{
		"turn:" + r.relay.Addr().String() + "?transport=udp",
		"turn:" + r.relay.TCPAddr().String() + "?transport=tcp",
		"turns:" + r.relay.TLSAddr().String() + "?transport=tcp",
	}, c.urls)
	require.Equal(t, "stun:"+r.relay.Addr().String(), fam.cfg.ICEServers[1].URLs[0]) // after the configured one
	dc := turnCreds(t, dev.cfg.ICEServers)
	require.NotEqual(t, c.user, dc.user)

	announce(dev, fam, id, hostCandidate("127.0.0.1"))
	for _, tr := range []string{"udp", "tcp", "tls"} {
		t.Run(tr, func(t *testing.T) {
			peer, err := net.ListenPacket("udp", "127.0.0.1:0")
			require.NoError(t, err)
			defer peer.Close()
			relayed := r.allocate(t, tr, c)
			require.NotNil(t, relayed, "allocation over %s refused", tr)
			echoThrough(t, relayed, peer)
		})
	}
}

// until polls cond until it holds, failing after wait (a guard, not a timing assertion).
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Before: a TCP allocation (RFC 6062) was granted, and CONNECT reached any port.
func TestTURNRefusesTCPAllocations(t *testing.T) {
	r := newRelayEnv(t, false, nil)
	fam := r.family(r.demo.FamilyToken)
	c := turnCreds(t, fam.cfg.ICEServers)
	for _, tr := range []string{"udp", "tcp", "tls"} {
		_, err := r.turnClient(t, tr, c).AllocateTCP()
		require.Error(t, err, tr)
	}
	require.NotNil(t, r.allocate(t, "tcp", c), "a UDP relay over TCP is still granted")
}

// Before: one user could hold 100 allocations (pion's default: no quota at all).
func TestTURNQuotaPerHolder(t *testing.T) {
	r := newRelayEnv(t, false, func(c *server.TURNConfig) { c.Quota = 3 })
	fam := r.family(r.demo.FamilyToken)
	c := turnCreds(t, fam.cfg.ICEServers)
	var held []net.PacketConn
	for i := range 3 {
		relayed := r.allocate(t, "udp", c)
		require.NotNil(t, relayed, "allocation %d", i)
		held = append(held, relayed)
	}
	require.Nil(t, r.allocate(t, "tcp", c), "over the quota")
	// Releasing one makes room for one.
	require.NoError(t, held[0].Close())
	until(t, "the relay forgets the released allocation", func() bool { return r.relay.Allocations() == 2 })
	require.NotNil(t, r.allocate(t, "tcp", c))
	require.Nil(t, r.allocate(t, "udp", c), "over the quota again")
	// Fresh credentials of the same holder count against the same quota.
	r.clock.Advance(time.Second)
	fam2 := r.family(r.demo.FamilyToken)
	c2 := turnCreds(t, fam2.cfg.ICEServers)
	require.NotEqual(t, c.user, c2.user)
	require.Nil(t, r.allocate(t, "udp", c2))
	// Another holder has its own.
	dev := r.device(r.enroll(r.demo.PairingCode))
	require.NotNil(t, r.allocate(t, "udp", turnCreds(t, dev.cfg.ICEServers)))
}

// Before: any address but loopback and link-local could be reached, the hospital's network
// included.
func TestTURNRelaysOnlyToTheOtherEndOfTheCall(t *testing.T) {
	r := newRelayEnv(t, false, nil)
	dev, fam, id := r.inCall(t)
	fc, dc := turnCreds(t, fam.cfg.ICEServers), turnCreds(t, dev.cfg.ICEServers)
	famTURN, devTURN := r.turnClient(t, "udp", fc), r.turnClient(t, "udp", dc)
	_, err := famTURN.Allocate()
	require.NoError(t, err)
	_, err = devTURN.Allocate()
	require.NoError(t, err)

	require.Error(t, permit(t, famTURN, "10.20.30.40"), "nobody announced it")
	announce(dev, fam, id, hostCandidate("10.20.30.40"))
	require.NoError(t, permit(t, famTURN, "10.20.30.40"))
	require.Error(t, permit(t, devTURN, "10.20.30.40"), "the device announced it, not the family")

	// Addresses from an SDP count; malformed candidates and mDNS names are ignored.
	fam.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "v=0\r\na=candidate:2 1 UDP 1 192.0.2.7 4000 typ srflx raddr 10.0.0.1 rport 9\r\n"})
	dev.expect(signal.TypeOffer)
	for _, bad := range []string{"candidate:", "candidate:1 1 udp", "garbage", "candidate:1 1 udp 1 198.51.100.1 notaport typ host",
		"candidate:1 1 udp 1 abcd.local 5000 typ host", "candidate:1 1 sctp 1 198.51.100.2 5000 typ host",
		"candidate:1 1 udp 1 198.51.100.3 5000 host typ"} {
		announce(fam, dev, id, bad)
	}
	require.NoError(t, permit(t, devTURN, "192.0.2.7"))
	require.Error(t, permit(t, devTURN, "10.0.0.1"), "a related address is not the candidate's")
	for _, ip := range []string{"198.51.100.1", "198.51.100.2", "198.51.100.3"} {
		require.Error(t, permit(t, devTURN, ip))
	}

	// Once the call is over, nothing more.
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
	fam.expect(signal.TypeEnded)
	dev.expect(signal.TypeEnded)
	require.Error(t, permit(t, famTURN, "10.20.30.40"))
}

// Before: "this network" (0.0.0.0/8) was reachable; loopback needed no call at all.
func TestTURNNeverRelaysToTheServerOrMetadata(t *testing.T) {
	r := newRelayEnv(t, false, nil)
	dev, fam, id := r.inCall(t)
	famTURN := r.turnClient(t, "udp", turnCreds(t, fam.cfg.ICEServers))
	_, err := famTURN.Allocate()
	require.NoError(t, err)
	for _, ip := range []string{"127.0.0.1", "169.254.169.254", "0.1.2.3", "224.0.0.251", "169.254.10.10"} {
		announce(dev, fam, id, hostCandidate(ip))
		require.Error(t, permit(t, famTURN, ip), ip)
	}
}

// Before: a link's 24-hour credentials outlived its revocation.
func TestTURNRefusesRevokedHolders(t *testing.T) {
	r := newRelayEnv(t, false, nil)
	ctx := context.Background()
	fam := r.family(r.demo.FamilyToken)
	d := r.enroll(r.demo.PairingCode)
	dev := r.device(d)
	fc, dc := turnCreds(t, fam.cfg.ICEServers), turnCreds(t, dev.cfg.ICEServers)
	require.NotNil(t, r.allocate(t, "udp", fc))
	require.NotNil(t, r.allocate(t, "udp", dc))

	links, err := r.st.Links(ctx, r.demo.ContactID)
	require.NoError(t, err)
	for _, l := range links {
		require.NoError(t, r.st.RevokeLink(ctx, l.ID, r.clock.Now()))
	}
	require.Nil(t, r.allocate(t, "udp", fc), "revoked link")
	require.NoError(t, r.st.RevokeDevice(ctx, d.id))
	require.Nil(t, r.allocate(t, "tcp", dc), "revoked device")
}

// Before: credentials lasted 24 hours.
func TestTURNRefusesExpiredCredentials(t *testing.T) {
	r := newRelayEnv(t, false, nil)
	dev, fam, id := r.inCall(t)
	c := turnCreds(t, fam.cfg.ICEServers)
	require.NotNil(t, r.allocate(t, "udp", c))
	// In a call, an allocation made in time may still be given permissions after its
	// credentials expire: it lives as long as its call does.
	famTURN := r.turnClient(t, "udp", c)
	_, err := famTURN.Allocate()
	require.NoError(t, err)
	dev.send(signal.Message{Type: signal.TypeConnected, Call: id})
	fam.send(signal.Message{Type: signal.TypeConnected, Call: id})
	dev.sync()
	fam.sync()
	r.clock.Advance(time.Hour + time.Second)
	announce(dev, fam, id, hostCandidate("10.20.30.40"))
	require.NoError(t, permit(t, famTURN, "10.20.30.40"))
	// Its holder still in the call, they even allocate again (an ICE restart reuses the
	// credentials a PeerConnection started with).
	require.NotNil(t, r.allocate(t, "udp", c))
	// Once the call is over, a new allocation needs valid ones.
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
	fam.expect(signal.TypeEnded)
	dev.expect(signal.TypeEnded)
	require.Nil(t, r.allocate(t, "udp", c))
	require.Nil(t, r.allocate(t, "tls", c))
	// A wrong password gets nothing either.
	require.Nil(t, r.allocate(t, "udp", creds{user: c.user, pass: "d3Jvbmc="}))
	// The next welcome carries fresh ones.
	fresh := turnCreds(t, r.family(r.demo.FamilyToken).cfg.ICEServers)
	require.NotNil(t, r.allocate(t, "udp", fresh))
}
