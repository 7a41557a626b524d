package call

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"bedside/call/signal"
)

// Signer is a device identity that can prove itself: the provisioning package's identity
// implements it. Sign signs msg with the device's enrolled ed25519 key.
type Signer interface {
	DeviceID() string
	Sign(msg []byte) []byte
}

// ClientConfig configures a signaling Client. URL and exactly one of Signer and FamilyToken are
// required.
type ClientConfig struct {
	// URL is the server's WebSocket endpoint, like "ws://127.0.0.1:8080/ws" or "wss://ward/ws".
	URL string
	// URLs are the endpoints of other instances of the same deployment, tried in turn after
	// URL: each lost connection or failed attempt moves on to the next (a stopped instance's
	// clients reconnect to another and resume their calls there).
	URLs []string
	// Signer authenticates as a device; FamilyToken as a family link.
	Signer      Signer
	FamilyToken string
	Logger      *slog.Logger
	// HTTPClient and HTTPHeader are used for the WebSocket handshake (custom TLS roots, cookies).
	HTTPClient *http.Client
	HTTPHeader http.Header
	// MinBackoff and MaxBackoff bound the wait between reconnection attempts; it doubles from
	// MinBackoff up to MaxBackoff and is jittered. Defaults: 250 ms and 15 s.
	MinBackoff, MaxBackoff time.Duration
	// HandshakeTimeout bounds dialing plus authentication (default 10 s); WriteTimeout each
	// write and ping (default 10 s); PingInterval the keepalive pings (default 20 s).
	HandshakeTimeout time.Duration
	WriteTimeout     time.Duration
	PingInterval     time.Duration
	// QueueSize is how many outgoing messages may wait for the writer (default 64).
	QueueSize int
}

func (cfg *ClientConfig) check() error {
	for _, u := range append([]string{cfg.URL}, cfg.URLs...) {
		if !strings.HasPrefix(u, "ws://") && !strings.HasPrefix(u, "wss://") {
			return fmt.Errorf("%w: URL must be ws:// or wss://", ErrConfig)
		}
	}
	if (cfg.Signer == nil) == (cfg.FamilyToken == "") {
		return fmt.Errorf("%w: need exactly one of Signer and FamilyToken", ErrConfig)
	}
	if cfg.Signer != nil && !signal.ValidID(cfg.Signer.DeviceID()) {
		return fmt.Errorf("%w: malformed device id", ErrConfig)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.MinBackoff, 250*time.Millisecond)
	def(&cfg.MaxBackoff, 15*time.Second)
	def(&cfg.HandshakeTimeout, 10*time.Second)
	def(&cfg.WriteTimeout, 10*time.Second)
	def(&cfg.PingInterval, 20*time.Second)
	if cfg.MaxBackoff < cfg.MinBackoff {
		cfg.MaxBackoff = cfg.MinBackoff
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 64
	}
	return nil
}

// Inbound is what a Client hands its user, in order: every message from the server (welcome
// included, once per connection), and a Disconnected marker each time a connection is lost.
type Inbound struct {
	Message      signal.Message
	Disconnected bool
	Err          error // why the connection was lost, when Disconnected
}

// Client is the signaling connection to the ward server. Run keeps it connected: it dials,
// authenticates, and after a drop or a server restart reconnects with capped, jittered backoff,
// authenticating again each time. Send queues a message on the current connection.
type Client struct {
	cfg ClientConfig
	log *slog.Logger
	in  chan Inbound

	// Set by Dial, for Close.
	stop    context.CancelFunc
	stopped chan struct{}
	runErr  error

	mu       sync.Mutex
	running  bool
	conn     *connection // the live, authenticated connection; nil when down
	config   signal.Config
	welcomed chan struct{} // closed at the first welcome
	redial   chan struct{} // Reconnect's word to skip the wait before the next attempt (capacity 1)

	hurry       atomic.Bool // reconnect quickly (client_hurry.go)
	hurriedOnce sync.Once
	hurried     *http.Client
	lastError   error
	next        int // index into the endpoints (URL, then URLs) of the next attempt
}

// endpoint is the URL of the next connection attempt; advance moves on to the one after.
func (c *Client) endpoint() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.next == 0 {
		return c.cfg.URL
	}
	return c.cfg.URLs[c.next-1]
}

func (c *Client) advance() {
	c.mu.Lock()
	c.next = (c.next + 1) % (len(c.cfg.URLs) + 1)
	c.mu.Unlock()
}

// NewClient checks cfg and returns a Client; call Run to connect.
func NewClient(cfg ClientConfig) (*Client, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &Client{
		cfg:      cfg,
		log:      logger(cfg.Logger).With("component", "signaling"),
		in:       make(chan Inbound, 64),
		welcomed: make(chan struct{}),
		redial:   make(chan struct{}, 1),
	}, nil
}

// Dial connects and authenticates, then keeps the client connected in the background until
// Close. It returns once the server has welcomed us, or with the reason it could not: an error
// wrapping ErrAuth when the server refused us, or ctx's error with the last failure.
func Dial(ctx context.Context, cfg ClientConfig) (*Client, error) {
	c, err := NewClient(cfg)
	if err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	c.stop = cancel
	c.stopped = make(chan struct{})
	go func() {
		defer close(c.stopped)
		c.runErr = c.Run(runCtx)
	}()
	select {
	case <-c.welcomed:
		return c, nil
	case <-c.stopped:
		cancel()
		return nil, c.runErr
	case <-ctx.Done():
		c.mu.Lock()
		last := c.lastError
		c.mu.Unlock()
		_ = c.Close()
		return nil, fmt.Errorf("call: dial %s: %w (last error: %v)", cfg.URL, ctx.Err(), last)
	}
}

// Close stops a client made by Dial and waits for it. It is idempotent.
func (c *Client) Close() error {
	if c.stop == nil {
		return fmt.Errorf("%w: Close is for clients made by Dial; cancel Run's context instead", ErrConfig)
	}
	c.stop()
	<-c.stopped
	return nil
}

// Inbound returns the channel of server messages and disconnections. It is closed when Run
// returns. Read it promptly: while it is full the client stops reading the socket.
func (c *Client) Inbound() <-chan Inbound { return c.in }

// Connected reports whether an authenticated connection is up right now.
func (c *Client) Connected() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn != nil
}

// Config returns a copy of the latest configuration from the server (welcome, config and
// presence messages applied), or the zero Config before the first welcome.
func (c *Client) Config() signal.Config {
	c.mu.Lock()
	defer c.mu.Unlock()
	return copyConfig(c.config)
}

// Send validates m and queues it on the current connection. It waits while the queue is full,
// and fails with ErrNotConnected when no connection is up or it drops meanwhile.
func (c *Client) Send(ctx context.Context, m signal.Message) error {
	data, err := signal.Encode(m)
	if err != nil {
		return fmt.Errorf("call: send %s: %w", m.Type, err)
	}
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return ErrNotConnected
	}
	select {
	case conn.out <- data:
		return nil
	case <-conn.done:
		return ErrNotConnected
	case <-ctx.Done():
		return fmt.Errorf("call: send %s: %w", m.Type, ctx.Err())
	}
}

// errReconnect is why a connection that Reconnect dropped ended.
var errReconnect = errors.New("call: reconnecting on request")

// Reconnect drops the current connection, if any, so that the client connects again at once,
// without the usual wait: after a change of network (a tablet roaming to another access point)
// the old connection is dead, but noticing it would take a missed ping or two, and the new
// network is there now. Later attempts, if this one fails, back off as usual.
func (c *Client) Reconnect() {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	select {
	case c.redial <- struct{}{}:
	default: // one is waiting already
	}
	if conn != nil {
		conn.drop()
	}
}

// Check pings the server now and drops the connection, to connect again at once, if the pong
// does not come within d: for an end whose media was just lost, which cannot tell whether its
// own network changed (and the connection with it died) or the other end's did. A connection
// that answers stays, so that the server does not see both ends of a call leave at once.
func (c *Client) Check(d time.Duration) {
	c.mu.Lock()
	conn := c.conn
	c.mu.Unlock()
	if conn == nil {
		return
	}
	select {
	case conn.check <- d:
	default: // a check is already on its way
	}
}

// Run connects and keeps reconnecting until ctx is done (it then returns nil) or the server
// refuses our credentials (an error wrapping ErrAuth). Run may be called once.
func (c *Client) Run(ctx context.Context) error {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return fmt.Errorf("%w: Run called twice", ErrConfig)
	}
	c.running = true
	c.mu.Unlock()
	defer close(c.in)

	backoff := c.cfg.MinBackoff
	for {
		start := time.Now()
		welcomed, err := c.connectOnce(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrAuth) {
			c.log.Warn("server refused our credentials", "code", signal.CodeOf(err))
			return err
		}
		c.mu.Lock()
		c.lastError = err
		c.mu.Unlock()
		c.advance()
		if welcomed && time.Since(start) > c.cfg.MaxBackoff {
			backoff = c.cfg.MinBackoff // it was a healthy connection: start over
		}
		wait := c.backoffWait(backoff)
		c.log.Info("signaling connection lost; reconnecting", "err", err, "in", wait)
		select {
		case <-ctx.Done():
			return nil
		case <-c.redial: // the network changed: try it now
		case <-time.After(wait):
		}
		backoff = min(backoff*2, c.cfg.MaxBackoff)
	}
}

// deliver hands one item to the user, giving up when ctx is done.
func (c *Client) deliver(ctx context.Context, item Inbound) bool {
	select {
	case c.in <- item:
		return true
	case <-ctx.Done():
		return false
	}
}

// apply updates the stored configuration from a welcome, config or presence message.
func (c *Client) apply(m signal.Message) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch m.Type {
	case signal.TypeWelcome, signal.TypeConfig:
		c.config = copyConfig(*m.Config)
	case signal.TypePresence:
		if m.Peer == signal.DevicePeer && c.cfg.Signer == nil {
			c.config.DeviceOnline = *m.Online
		}
		for i := range c.config.Contacts {
			if c.config.Contacts[i].ID == m.Peer {
				c.config.Contacts[i].Online = *m.Online
			}
		}
	}
}

// copyConfig returns a deep copy of cfg.
func copyConfig(cfg signal.Config) signal.Config {
	out := cfg
	if cfg.Self != nil {
		self := *cfg.Self
		out.Self = &self
	}
	out.Contacts = append([]signal.Contact(nil), cfg.Contacts...)
	out.ICEServers = make([]signal.ICEServer, len(cfg.ICEServers))
	for i, s := range cfg.ICEServers {
		s.URLs = append([]string(nil), s.URLs...)
		out.ICEServers[i] = s
	}
	if cfg.ICEServers == nil {
		out.ICEServers = nil
	}
	if cfg.Contacts == nil {
		out.Contacts = nil
	}
	return out
}
