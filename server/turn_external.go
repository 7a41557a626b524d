package server

import (
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"bedside/call/signal"
)

// ExternalTURNConfig hands out an external relay (coturn) instead of the embedded one.
type ExternalTURNConfig struct {
	// URLs are the relay's ICE server URLs as clients get them: "stun:host:port",
	// "turn:host:port?transport=udp", "turn:host:port?transport=tcp",
	// "turns:host:port?transport=tcp". At least one turn: or turns: URL is required.
	URLs []string
	// Secret is coturn's static-auth-secret (coturn runs with use-auth-secret); at least 16
	// bytes. Required: credentials signed with another secret are refused by the relay.
	Secret []byte
	Now    func() time.Time
}

// NewExternalTURN returns a relay that runs elsewhere: the ward server only issues its
// credentials (the same TURN REST credentials as the embedded relay's, naming their holder),
// for coturn's use-auth-secret to check. Nothing is listened on; Addr, TCPAddr and TLSAddr are
// nil and Allocations is always 0 (coturn counts its own). What coturn does not enforce of the
// embedded relay's rules is listed in turn_auth.go.
func NewExternalTURN(cfg ExternalTURNConfig) (*TURN, error) {
	if len(cfg.Secret) < 16 {
		return nil, fmt.Errorf("server: turn: %w: an external relay needs its shared secret (16 bytes or more)", ErrConfig)
	}
	urls, err := checkRelayURLs(cfg.URLs)
	if err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	t := &TURN{secret: cfg.Secret, external: urls, now: cfg.Now, log: slog.New(slog.DiscardHandler),
		ops: make(chan func(*relayState)), done: make(chan struct{}), ran: make(chan struct{})}
	go t.run()
	return t, nil
}

// External says whether the relay runs elsewhere (NewExternalTURN).
func (t *TURN) External() bool { return t.external != nil }

// checkRelayURLs validates ICE server URLs (RFC 7064 and RFC 7065) and returns them cleaned of
// spaces; an error names the first bad one.
func checkRelayURLs(in []string) ([]string, error) {
	var out []string
	seen := make(map[string]bool)
	turns := 0
	for _, raw := range in {
		u := strings.TrimSpace(raw)
		if u == "" {
			continue
		}
		if err := checkRelayURL(u); err != nil {
			return nil, fmt.Errorf("server: turn: %w: relay URL %q: %v", ErrConfig, u, err)
		}
		if seen[u] {
			return nil, fmt.Errorf("server: turn: %w: relay URL %q given twice", ErrConfig, u)
		}
		seen[u] = true
		if !strings.HasPrefix(u, "stun:") {
			turns++
		}
		out = append(out, u)
	}
	if turns == 0 {
		return nil, fmt.Errorf("server: turn: %w: an external relay needs a turn: or turns: URL", ErrConfig)
	}
	return out, nil
}

// checkRelayURL checks one URL: a known scheme, a host, a port if any in range, and for TURN
// at most a transport that the scheme allows.
func checkRelayURL(u string) error {
	scheme, rest, ok := strings.Cut(u, ":")
	if !ok {
		return fmt.Errorf("want stun:, turn: or turns: host:port")
	}
	hostPort, query, hasQuery := strings.Cut(rest, "?")
	switch scheme {
	case "stun", "turn", "turns":
	default:
		return fmt.Errorf("scheme %q: want stun, turn or turns", scheme)
	}
	if strings.HasPrefix(hostPort, "//") || strings.ContainsAny(hostPort, "/@") {
		return fmt.Errorf("want scheme:host:port, without // or a path")
	}
	host, port := hostPort, ""
	if h, p, err := net.SplitHostPort(hostPort); err == nil {
		host, port = h, p
	} else if strings.Count(hostPort, ":") > 0 && !strings.HasPrefix(hostPort, "[") {
		return fmt.Errorf("host:port %q: %v", hostPort, err)
	}
	if strings.HasPrefix(host, "[") {
		return fmt.Errorf("an IPv6 address takes brackets and a port: [::1]:3478")
	}
	if host == "" {
		return fmt.Errorf("no host")
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("host %s: clients need the relay's own address", host)
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("port %q: want 1 to 65535", port)
		}
	}
	if !hasQuery {
		return nil
	}
	if scheme == "stun" {
		return fmt.Errorf("a stun: URL takes no ?transport")
	}
	q, err := url.ParseQuery(query)
	if err != nil || len(q) != 1 || len(q["transport"]) != 1 {
		return fmt.Errorf("the only parameter is ?transport=udp or ?transport=tcp")
	}
	switch tr := q.Get("transport"); {
	case tr == "tcp":
	case tr == "udp" && scheme == "turn":
	case tr == "udp":
		return fmt.Errorf("turns: runs over TLS: ?transport=tcp (browsers have no DTLS to a relay)")
	default:
		return fmt.Errorf("transport %q: want udp or tcp", tr)
	}
	return nil
}

// externalICEServers is ICEServers for an external relay: each URL, with the credentials on
// the TURN ones.
func (t *TURN) externalICEServers(user, pass string) []signal.ICEServer {
	out := make([]signal.ICEServer, 0, len(t.external))
	for _, u := range t.external {
		if strings.HasPrefix(u, "stun:") {
			out = append(out, signal.ICEServer{URLs: []string{u}})
			continue
		}
		out = append(out, signal.ICEServer{URLs: []string{u}, Username: user, Credential: pass})
	}
	return out
}
