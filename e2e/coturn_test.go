package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"
	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/call/signal"
	"bedside/internal/testkit"
	"bedside/server"
)

// coturn is a real coturn (Debian's turnserver) that a test started on 127.0.0.1, in a temp
// dir, with use-auth-secret and the given static-auth-secret. It stops with the test, and its
// log is shown when the test fails.
type coturn struct {
	addr string // 127.0.0.1:port, UDP and TCP
	log  string // its log file
	pid  int    // its process, for benchmarks that read its CPU time
}

func startCoturn(tb testing.TB, secret string) *coturn {
	tb.Helper()
	testkit.Need(tb, "turnserver")
	dir := tb.TempDir()
	port := freeUDPAndTCPPort(tb)
	c := &coturn{addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), log: filepath.Join(dir, "turn.log")}
	// The settings deploy/server.md gives, but on loopback: this relay's peers are the other
	// end's relayed addresses on 127.0.0.1, which a production relay refuses.
	conf := strings.Join([]string{
		"listening-ip=127.0.0.1",
		"relay-ip=127.0.0.1",
		"listening-port=" + strconv.Itoa(port),
		"no-tls", "no-dtls",
		"use-auth-secret",
		"static-auth-secret=" + secret,
		"realm=bedside.test",
		"fingerprint",
		"no-tcp-relay",
		"no-multicast-peers",
		"allow-loopback-peers",
		"no-cli",
		"no-rfc5780", "no-stun-backward-compatibility", "response-origin-only-with-rfc5780",
		"userdb=" + filepath.Join(dir, "turndb"),
		"pidfile=" + filepath.Join(dir, "turnserver.pid"),
		"log-file=" + c.log,
		"simple-log",
		"verbose", // logs each allocation and its user: the test checks who allocated
		"",
	}, "\n")
	confFile := filepath.Join(dir, "turnserver.conf")
	require.NoError(tb, os.WriteFile(confFile, []byte(conf), 0o600))
	cmd := exec.Command("turnserver", "-c", confFile)
	out, err := os.Create(filepath.Join(dir, "stdout"))
	require.NoError(tb, err)
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(tb, cmd.Start())
	c.pid = cmd.Process.Pid
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait(); out.Close() }()
	tb.Cleanup(func() {
		if tb.Failed() {
			for _, f := range []string{c.log, out.Name()} {
				b, _ := os.ReadFile(f)
				tb.Logf("%s:\n%s", filepath.Base(f), b)
			}
		}
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	testkit.Poll(tb, "coturn answers a STUN binding request on "+c.addr, 100*time.Millisecond, func() bool {
		select {
		case err := <-exited:
			exited <- err
			tb.Fatalf("turnserver exited: %v", err)
		default:
		}
		return stunAnswers(c.addr)
	})
	return c
}

// freeUDPAndTCPPort is a port that is free on 127.0.0.1 for UDP and TCP now (coturn cannot
// take port 0).
func freeUDPAndTCPPort(tb testing.TB) int {
	tb.Helper()
	for range 20 {
		pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
		require.NoError(tb, err)
		port := pc.LocalAddr().(*net.UDPAddr).Port
		l, err := net.Listen("tcp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		pc.Close()
		if err == nil {
			l.Close()
			return port
		}
	}
	tb.Fatal("no port free for both UDP and TCP on 127.0.0.1")
	return 0
}

// stunAnswers says whether a STUN binding request to addr gets a success answer.
func stunAnswers(addr string) bool {
	conn, err := net.Dial("udp4", addr)
	if err != nil {
		return false
	}
	defer conn.Close()
	req := stun.MustBuild(stun.TransactionID, stun.BindingRequest)
	if _, err := conn.Write(req.Raw); err != nil {
		return false
	}
	_ = conn.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	buf := make([]byte, 1500)
	n, err := conn.Read(buf)
	if err != nil {
		return false
	}
	res := &stun.Message{Raw: buf[:n]}
	return res.Decode() == nil && res.Type == stun.BindingSuccess
}

// allocate asks the relay at addr, over UDP, for a relayed address with the TURN credentials
// of servers.
func (c *coturn) allocate(tb testing.TB, servers []signal.ICEServer) error {
	tb.Helper()
	var user, pass string
	for _, s := range servers {
		if strings.HasPrefix(s.URLs[0], "turn:") {
			user, pass = s.Username, s.Credential
		}
	}
	require.NotEmpty(tb, user, "%+v", servers)
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	require.NoError(tb, err)
	defer pc.Close()
	cl, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: c.addr, TURNServerAddr: c.addr, Conn: pc,
		Username: user, Password: pass, Realm: "bedside.test"})
	require.NoError(tb, err)
	defer cl.Close()
	require.NoError(tb, cl.Listen())
	relayed, err := cl.Allocate()
	if err != nil {
		return err
	}
	return relayed.Close()
}

// A tablet and a family member whose engines may only use relayed candidates call each other
// through a real coturn, with the credentials the ward server issued for it; credentials of
// another secret are refused.
func TestGoCallThroughCoturn(t *testing.T) {
	secret := make([]byte, 24)
	_, err := rand.Read(secret)
	require.NoError(t, err)
	relaySecret := hex.EncodeToString(secret)
	ct := startCoturn(t, relaySecret)
	urls := []string{"turn:" + ct.addr + "?transport=udp", "turn:" + ct.addr + "?transport=tcp"}

	relay, err := server.NewExternalTURN(server.ExternalTURNConfig{URLs: urls, Secret: []byte(relaySecret)})
	require.NoError(t, err)
	t.Cleanup(func() { relay.Close() })
	w := newWard(t, withConfig(func(c *server.Config) { c.TURN = relay }))
	api, err := call.NewAPI(call.APIOptions{LoopbackOnly: true, RelayOnly: true, Logger: testLogger(t)})
	require.NoError(t, err)
	shared := func(c *call.Config) { c.API = api }
	tab, fam := newTablet(t, w, shared), newFamily(t, w, shared)
	for _, s := range fam.phone.Config().ICEServers {
		require.Contains(t, urls, s.URLs[0], "the family gets coturn's URLs")
	}

	setup := callSetup(t, tab, fam)
	t.Logf("set-up through coturn: %v from answer to both in call (a figure, not a bound)", setup)
	tab.waitMedia(t, "the tablet", 30)
	fam.waitMedia(t, "the family", 30)
	require.NoError(t, fam.phone.Hangup(context.Background()))
	waitIdle(t, tab, fam)
	// Both ends allocated on coturn under the holder their credentials name.
	log, err := os.ReadFile(ct.log)
	require.NoError(t, err)
	for _, who := range []string{":d.", ":f."} {
		require.True(t, allocatedAs(string(log), who), "coturn's log has an allocation by %s*", who)
	}

	// The server's credentials allocate; the same kind of credentials signed with another
	// secret do not.
	require.NoError(t, ct.allocate(t, relay.ICEServers(signal.RoleFamily, w.demo.ContactID, time.Hour)))
	wrong, err := server.NewExternalTURN(server.ExternalTURNConfig{URLs: urls, Secret: []byte("not the static-auth-secret")})
	require.NoError(t, err)
	defer wrong.Close()
	err = ct.allocate(t, wrong.ICEServers(signal.RoleFamily, w.demo.ContactID, time.Hour))
	require.Error(t, err, "coturn refuses credentials of another secret")
	t.Logf("wrong secret: %v", err)
}

// allocatedAs says whether coturn logged a successful allocation by a user containing who.
func allocatedAs(log, who string) bool {
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, "ALLOCATE processed, success") && strings.Contains(line, who) {
			return true
		}
	}
	return false
}
