package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"

	"bedside/call/signal"
)

// TURNConfig configures the embedded TURN relay. At least one of Listen, TCPListen and
// TLSListen is required.
type TURNConfig struct {
	// Listen is the UDP address to serve TURN (and STUN) on, e.g. ":3478"; no UDP when empty.
	Listen string
	// TCPListen is the TCP address of TURN over TCP, e.g. ":3478"; none when empty.
	TCPListen string
	// TLSListen is the address of TURN over TLS, e.g. ":5349", or ":443" for networks that let
	// nothing else out; none when empty. It needs TLSCertFile and TLSKeyFile (PEM), whose
	// certificate must name Host.
	TLSListen               string
	TLSCertFile, TLSKeyFile string
	// PublicIP is the address clients reach the relay at; it is also the address of the
	// relayed candidates. Required.
	PublicIP net.IP
	// Host is the name (or address) in the ICE servers' URLs; PublicIP when empty. A client
	// checks the TLS certificate against it.
	Host string
	// RelayAddress is the local address relay sockets bind to; "0.0.0.0" when empty.
	RelayAddress string
	// Realm is the TURN realm; "bedside" when empty.
	Realm string
	// Secret is the shared secret of the time-limited credentials; random when nil (then
	// credentials do not survive a restart, which only matters for calls in progress).
	Secret []byte
	// Quota is how many allocations one holder (a device, or a contact's pages) may have at
	// once; 10 when zero: a browser allocates once per transport and network interface.
	Quota int
	// UDPBuffer is the kernel receive and send buffer, in bytes, asked for on the UDP
	// listener; 2 MiB (as coturn) when zero. The kernel grants at most net.core.rmem_max and
	// net.core.wmem_max (208 KiB by default on Linux: raise them, see README.md);
	// NewTURN logs a warning when it got less.
	UDPBuffer int
	// AllowLoopback lets the relay reach loopback peers (tests only).
	AllowLoopback bool
	Logger        *slog.Logger
	Now           func() time.Time
	Rand          io.Reader
}

// TURN is the ward server's embedded TURN relay: when a family phone and a tablet cannot reach
// each other directly, media flows through it, still DTLS-SRTP encrypted end to end. It serves
// UDP, TCP and TLS, each when configured. Clients get short-lived credentials in their welcome
// and config messages (see ICEServers and turn_auth.go); the relay refuses TCP allocations
// (RFC 6062), keeps to a quota per holder, and forwards only to the addresses that the other
// end of the holder's call announced (see turn_policy.go). The ward server binds itself to it
// (New does) to answer who is valid and who may be reached; until then it allocates nothing.
type TURN struct {
	srv           *turn.Server
	secret        []byte
	realm         string
	host          string // Host or PublicIP, for the URLs
	quota         int
	allowLoopback bool
	now           func() time.Time
	log           *slog.Logger
	external      []string // an external relay's URLs (NewExternalTURN); nil for the embedded one

	udp       net.PacketConn
	udpBuffer int // the receive buffer the kernel granted udp, bytes; 0 when unknown
	tcp, tls  net.Listener
	authority atomic.Pointer[authorityBox]

	// The allocations' bookkeeping belongs to one goroutine (run); pion's callbacks post to it.
	ops  chan func(*relayState)
	done chan struct{}
	ran  chan struct{}
}

// NewTURN starts a TURN relay.
func NewTURN(cfg TURNConfig) (*TURN, error) {
	if cfg.PublicIP == nil {
		return nil, fmt.Errorf("server: turn: %w: PublicIP is required", ErrConfig)
	}
	if cfg.Listen == "" && cfg.TCPListen == "" && cfg.TLSListen == "" {
		return nil, fmt.Errorf("server: turn: %w: no listen address", ErrConfig)
	}
	if cfg.TLSListen != "" && (cfg.TLSCertFile == "" || cfg.TLSKeyFile == "") {
		return nil, fmt.Errorf("server: turn: %w: TLS needs a certificate and a key", ErrConfig)
	}
	if cfg.RelayAddress == "" {
		cfg.RelayAddress = "0.0.0.0"
	}
	if cfg.Realm == "" {
		cfg.Realm = "bedside"
	}
	if cfg.Host == "" {
		cfg.Host = cfg.PublicIP.String()
	}
	if cfg.UDPBuffer <= 0 {
		cfg.UDPBuffer = defaultUDPBuffer
	}
	if cfg.Quota <= 0 {
		cfg.Quota = 10
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Secret == nil {
		cfg.Secret = make([]byte, 32)
		if _, err := io.ReadFull(cfg.Rand, cfg.Secret); err != nil {
			return nil, fmt.Errorf("server: turn: random: %w", err)
		}
	}
	t := &TURN{secret: cfg.Secret, realm: cfg.Realm, host: cfg.Host, quota: cfg.Quota,
		allowLoopback: cfg.AllowLoopback, now: cfg.Now, log: cfg.Logger.With("component", "turn"),
		ops: make(chan func(*relayState)), done: make(chan struct{}), ran: make(chan struct{})}
	if err := t.listen(cfg); err != nil {
		t.closeListeners()
		return nil, err
	}
	gen := func() turn.RelayAddressGenerator {
		return udpRelayOnly{&turn.RelayAddressGeneratorStatic{RelayAddress: cfg.PublicIP, Address: cfg.RelayAddress}}
	}
	sc := turn.ServerConfig{
		Realm:        cfg.Realm,
		AuthHandler:  t.authenticate,
		QuotaHandler: t.allowAllocation,
		EventHandler: turn.EventHandler{
			OnAllocationCreated: t.allocationCreated,
			OnAllocationDeleted: t.allocationDeleted,
		},
		LoggerFactory: &logging.DefaultLoggerFactory{
			Writer:          slogWriter{t.log},
			DefaultLogLevel: logging.LogLevelWarn,
			ScopeLevels:     map[string]logging.LogLevel{},
		},
	}
	if t.udp != nil {
		sc.PacketConnConfigs = []turn.PacketConnConfig{{PacketConn: t.udp, RelayAddressGenerator: gen(),
			PermissionHandler: t.permissionHandler(t.udp.LocalAddr())}}
	}
	for _, l := range []net.Listener{t.tcp, t.tls} {
		if l != nil {
			sc.ListenerConfigs = append(sc.ListenerConfigs, turn.ListenerConfig{Listener: l,
				RelayAddressGenerator: gen(), PermissionHandler: t.permissionHandler(l.Addr())})
		}
	}
	go t.run()
	srv, err := turn.NewServer(sc)
	if err != nil {
		close(t.done)
		t.closeListeners()
		return nil, fmt.Errorf("server: turn: %w", err)
	}
	t.srv = srv
	return t, nil
}

// listen opens the configured listeners.
func (t *TURN) listen(cfg TURNConfig) error {
	var err error
	if cfg.Listen != "" {
		if t.udp, err = net.ListenPacket("udp", cfg.Listen); err != nil {
			return fmt.Errorf("server: turn: %w", err)
		}
		if err := t.bufferUDP(cfg.UDPBuffer); err != nil {
			return err
		}
	}
	if cfg.TCPListen != "" {
		if t.tcp, err = net.Listen("tcp", cfg.TCPListen); err != nil {
			return fmt.Errorf("server: turn: %w", err)
		}
	}
	if cfg.TLSListen != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCertFile, cfg.TLSKeyFile)
		if err != nil {
			return fmt.Errorf("server: turn: %w: TLS certificate: %v", ErrConfig, err)
		}
		tcp, err := net.Listen("tcp", cfg.TLSListen)
		if err != nil {
			return fmt.Errorf("server: turn: %w", err)
		}
		t.tls = tls.NewListener(tcp, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12})
	}
	return nil
}

func (t *TURN) closeListeners() {
	for _, c := range []io.Closer{t.udp, t.tcp, t.tls} {
		if c != nil {
			_ = c.Close()
		}
	}
}

// Addr is the relay's local UDP address; nil without UDP.
func (t *TURN) Addr() net.Addr {
	if t.udp == nil {
		return nil
	}
	return t.udp.LocalAddr()
}

// TCPAddr is the relay's local TCP address; nil without TCP.
func (t *TURN) TCPAddr() net.Addr {
	if t.tcp == nil {
		return nil
	}
	return t.tcp.Addr()
}

// TLSAddr is the relay's local TLS address; nil without TLS.
func (t *TURN) TLSAddr() net.Addr {
	if t.tls == nil {
		return nil
	}
	return t.tls.Addr()
}

// Close stops the relay and ends its allocations.
func (t *TURN) Close() error {
	var err error
	if t.srv != nil {
		err = t.srv.Close()
	}
	select {
	case <-t.done:
	default:
		close(t.done)
	}
	<-t.ran
	return err
}

// ICEServers returns the STUN and TURN entries for one holder, with credentials valid for ttl:
// a TURN URL for each transport the relay serves.
func (t *TURN) ICEServers(role signal.Role, id string, ttl time.Duration) []signal.ICEServer {
	user := t.username(holder{role: role, id: id}, t.now().Add(ttl))
	pass := t.password(user)
	if t.external != nil {
		return t.externalICEServers(user, pass)
	}
	var out []signal.ICEServer
	if t.udp != nil {
		hp := t.hostPort(t.udp.LocalAddr())
		out = append(out, signal.ICEServer{URLs: []string{"stun:" + hp}},
			signal.ICEServer{URLs: []string{"turn:" + hp + "?transport=udp"}, Username: user, Credential: pass})
	}
	if t.tcp != nil {
		out = append(out, signal.ICEServer{URLs: []string{"turn:" + t.hostPort(t.tcp.Addr()) + "?transport=tcp"},
			Username: user, Credential: pass})
	}
	if t.tls != nil {
		out = append(out, signal.ICEServer{URLs: []string{"turns:" + t.hostPort(t.tls.Addr()) + "?transport=tcp"},
			Username: user, Credential: pass})
	}
	return out
}

func (t *TURN) hostPort(a net.Addr) string {
	_, port, _ := net.SplitHostPort(a.String())
	return net.JoinHostPort(t.host, port)
}

// relayAuthority is what the relay asks the ward server: whether a holder of credentials is
// still allowed them (device not revoked, link not revoked or expired), whether it is in a
// call, and whether it may reach an address (the other end of its call announced it).
type relayAuthority interface {
	holderValid(ctx context.Context, h holder) error
	inCall(h holder) bool
	mayRelay(h holder, ip net.IP) bool
}

type authorityBox struct{ a relayAuthority }

// bind makes a the relay's authority.
func (t *TURN) bind(a relayAuthority) { t.authority.Store(&authorityBox{a}) }

func (t *TURN) authorityOf() relayAuthority {
	if b := t.authority.Load(); b != nil {
		return b.a
	}
	return nil
}

// slogWriter turns pion's log lines into slog records.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Warn(string(bytes.TrimSpace(p)))
	return len(p), nil
}

// portOf is the port of a, or "".
func portOf(a net.Addr) string {
	_, p, err := net.SplitHostPort(a.String())
	if err != nil {
		return ""
	}
	if _, err := strconv.Atoi(p); err != nil {
		return ""
	}
	return p
}
