package server

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are HMAC-SHA1 by specification
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pion/logging"
	"github.com/pion/turn/v5"

	"bedside/call/signal"
)

// TURNConfig configures the embedded TURN relay.
type TURNConfig struct {
	// Listen is the UDP address to serve TURN (and STUN) on, e.g. ":3478".
	Listen string
	// PublicIP is the address clients reach the relay at; it is also the address of the
	// relayed candidates. Required.
	PublicIP net.IP
	// RelayAddress is the local address relay sockets bind to; "0.0.0.0" when empty.
	RelayAddress string
	// Realm is the TURN realm; "bedside" when empty.
	Realm string
	// Secret is the shared secret of the time-limited credentials; random when nil (then
	// credentials do not survive a restart, which only matters for calls in progress).
	Secret []byte
	// AllowLoopback lets the relay reach loopback peers (tests only).
	AllowLoopback bool
	Logger        *slog.Logger
	Now           func() time.Time
	Rand          io.Reader
}

// TURN is the ward server's embedded TURN relay: when a family phone and a tablet cannot reach
// each other directly, media flows through it, still DTLS-SRTP encrypted end to end. Clients
// get short-lived credentials (the TURN REST scheme: username "expiry:tag", password
// base64(HMAC-SHA1(secret, username))) in their welcome.
type TURN struct {
	srv    *turn.Server
	conn   net.PacketConn
	secret []byte
	realm  string
	host   string // PublicIP:port
	now    func() time.Time
}

// NewTURN starts a TURN relay.
func NewTURN(cfg TURNConfig) (*TURN, error) {
	if cfg.PublicIP == nil {
		return nil, fmt.Errorf("server: turn: %w: PublicIP is required", ErrConfig)
	}
	if cfg.RelayAddress == "" {
		cfg.RelayAddress = "0.0.0.0"
	}
	if cfg.Realm == "" {
		cfg.Realm = "bedside"
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
	conn, err := net.ListenPacket("udp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("server: turn: %w", err)
	}
	t := &TURN{conn: conn, secret: cfg.Secret, realm: cfg.Realm, now: cfg.Now}
	_, port, _ := net.SplitHostPort(conn.LocalAddr().String())
	t.host = net.JoinHostPort(cfg.PublicIP.String(), port)
	logs := &logging.DefaultLoggerFactory{
		Writer:          slogWriter{cfg.Logger.With("component", "turn")},
		DefaultLogLevel: logging.LogLevelWarn,
		ScopeLevels:     map[string]logging.LogLevel{},
	}
	allowLoopback := cfg.AllowLoopback
	t.srv, err = turn.NewServer(turn.ServerConfig{
		Realm:         cfg.Realm,
		AuthHandler:   t.authenticate,
		LoggerFactory: logs,
		PacketConnConfigs: []turn.PacketConnConfig{{
			PacketConn:            conn,
			RelayAddressGenerator: &turn.RelayAddressGeneratorStatic{RelayAddress: cfg.PublicIP, Address: cfg.RelayAddress},
			PermissionHandler: func(_ net.Addr, peer net.IP) bool {
				return permittedPeer(peer, allowLoopback)
			},
		}},
	})
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("server: turn: %w", err)
	}
	return t, nil
}

// permittedPeer keeps the relay from being turned on the server itself or on link-local and
// multicast addresses. Private addresses stay allowed: the tablets live on them.
func permittedPeer(ip net.IP, allowLoopback bool) bool {
	switch {
	case ip.IsLoopback():
		return allowLoopback
	case ip.IsUnspecified(), ip.IsMulticast(), ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return false
	}
	return true
}

// Addr is the relay's local UDP address.
func (t *TURN) Addr() net.Addr { return t.conn.LocalAddr() }

// Close stops the relay and ends its allocations.
func (t *TURN) Close() error { return t.srv.Close() }

// ICEServers returns the STUN and TURN entries for one client, with credentials valid for ttl.
// tag names the client in the username (an id, never a name).
func (t *TURN) ICEServers(tag string, ttl time.Duration) []signal.ICEServer {
	user := strconv.FormatInt(t.now().Add(ttl).Unix(), 10) + ":" + tag
	return []signal.ICEServer{
		{URLs: []string{"stun:" + t.host}},
		{URLs: []string{"turn:" + t.host + "?transport=udp"}, Username: user, Credential: t.password(user)},
	}
}

func (t *TURN) password(user string) string {
	mac := hmac.New(sha1.New, t.secret)
	mac.Write([]byte(user))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// authenticate checks a time-limited username and returns the key of its password.
func (t *TURN) authenticate(ra *turn.RequestAttributes) (string, []byte, bool) {
	expiry, _, _ := strings.Cut(ra.Username, ":")
	unix, err := strconv.ParseInt(expiry, 10, 64)
	if err != nil || t.now().Unix() > unix {
		return "", nil, false
	}
	return ra.Username, turn.GenerateAuthKey(ra.Username, t.realm, t.password(ra.Username)), true
}

// slogWriter turns pion's log lines into slog records.
type slogWriter struct{ log *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.log.Warn(string(bytes.TrimSpace(p)))
	return len(p), nil
}
