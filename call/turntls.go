package call

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/stun/v4"
)

// turnDialer opens the TCP connections of pion's ICE agent to TURN servers (pion's supported
// hook for them: SettingEngine.SetICEProxyDialer). Left to itself, pion checks a turns:
// server's certificate against the system's roots only; through this dialer it is checked
// against roots (nil: the system's), so a ward whose relay has a certificate from the
// hospital's own CA, or a test CA, works. Addresses named by a turns: URL get TLS; every
// other TCP relay (turn:...?transport=tcp) a plain connection, as pion would make it.
type turnDialer struct {
	roots   *x509.CertPool
	timeout time.Duration

	mu  sync.Mutex
	tls map[string]string // host:port of turns: servers → the name their certificate has
}

func newTURNDialer(roots *x509.CertPool) *turnDialer {
	return &turnDialer{roots: roots, timeout: 5 * time.Second, tls: map[string]string{}}
}

// learn notes the turns: servers among urls (a session's ICE servers, before pion gathers).
func (d *turnDialer) learn(urls []string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, raw := range urls {
		u, err := stun.ParseURI(raw)
		if err != nil || u.Scheme != stun.SchemeTypeTURNS {
			continue
		}
		d.tls[net.JoinHostPort(u.Host, strconv.Itoa(u.Port))] = u.Host
	}
}

// Dial connects to a TURN server at addr (pion gives the network of the candidates it
// gathers, "udp4" say: the connection is TCP over the same IP version).
func (d *turnDialer) Dial(network, addr string) (net.Conn, error) {
	tcp := "tcp"
	switch {
	case strings.HasSuffix(network, "4"):
		tcp = "tcp4"
	case strings.HasSuffix(network, "6"):
		tcp = "tcp6"
	}
	ctx, cancel := context.WithTimeout(context.Background(), d.timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, tcp, addr)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	name, secure := d.tls[addr]
	d.mu.Unlock()
	if !secure {
		return conn, nil
	}
	tc := tls.Client(conn, &tls.Config{ServerName: name, RootCAs: d.roots, MinVersion: tls.VersionTLS12})
	if err := tc.HandshakeContext(ctx); err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("call: TLS to the relay %s: %w", addr, err)
	}
	return tc, nil
}
