// Package server is the Bedside ward server: the HTTP endpoints (family page, enrollment,
// photos, health), the WebSocket signaling hub that connects bedside tablets and family pages,
// and the call state machine that every call between them goes through.
//
// Each WebSocket connection is an actor: one loop goroutine owns its session, a reader
// goroutine feeds it messages, and a writer goroutine drains a bounded send queue with write
// deadlines. The hub routes messages between connections under one mutex and never blocks on
// a client: a client whose queue is full is dropped. Store writes (the call log) happen outside
// the hub's lock.
//
// A call starts between the tablet and one family page (calls.go, callstate.go) and becomes a
// group call at its first join or add (group.go, group_calls.go): up to signal.MaxFamilyInCall
// family members and signal.MaxGuestsInCall guests, each pair with its own peer connection,
// signaling routed by Peer. Guest links (guest.go) open the family page for one call.
//
// Errors are package sentinels (ErrLinkExpired, ErrBusy, ...) mapped to protocol codes and
// HTTP statuses in exactly one place (errors.go).
package server

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"bedside/call/signal"
	"bedside/server/store"
)

// Timer is what Config.AfterFunc returns: a pending call that can be stopped.
type Timer interface {
	Stop() bool
}

// RateLimit is a token bucket per remote address: Burst requests at once, refilled at
// PerMinute. The zero value means the default; a negative PerMinute means no limit.
type RateLimit struct {
	PerMinute float64
	Burst     int
}

// Config is what New needs. Store is required; everything else has a default.
type Config struct {
	Store  store.Store
	Logger *slog.Logger     // discards when nil
	Now    func() time.Time // time.Now when nil
	Rand   io.Reader        // crypto/rand when nil: nonces, call ids, link tokens
	// AfterFunc schedules the ring and media-setup timeouts; time.AfterFunc when nil.
	AfterFunc func(d time.Duration, f func()) Timer
	// OutageLimit is how long a connected call waits for an end whose connection went to
	// come back and resume it, before it ends as failed; 60 s when zero.
	OutageLimit time.Duration
	// RingTimeout is how long a call rings before it is missed; 45 s when zero.
	RingTimeout time.Duration
	// ConnectTimeout is how long an accepted call may take to report "connected" before it
	// fails; 30 s when zero.
	ConnectTimeout time.Duration
	// HelloTimeout is how long a new connection has to send hello; 10 s when zero.
	HelloTimeout time.Duration
	// PingInterval is how often the server pings each connection; 25 s when zero.
	PingInterval time.Duration
	// WriteTimeout is how long the write of a message to a client may wait (a client that
	// does not read, a dead link) before the client is dropped; 10 s when zero.
	WriteTimeout time.Duration
	ICEServers   []signal.ICEServer
	// TURN, when set, adds the embedded relay with per-client credentials to ICEServers; New
	// binds it to this server, which tells it who is valid and who may be reached.
	TURN *TURN
	// TURNCredentialTTL is how long those credentials last for a new allocation; 1 h when
	// zero. Every welcome and config message carries fresh ones.
	TURNCredentialTTL time.Duration
	// BaseURL is the server's public URL (scheme://host[:port]): pages from its host may open
	// the WebSocket even behind a proxy that rewrites Host.
	BaseURL string
	// Web holds the family page: family.html, family.js, ... at its root. /j/ and /static/
	// answer 404 when nil.
	Web fs.FS

	// LinkLookups is ignored: family hellos with a working link are never refused, and
	// failed ones count in FailedHellos. Kept so that configurations that set it build.
	LinkLookups RateLimit
	// FailedHellos limits the failed hellos per address; default 10/min, burst 10. Past it a
	// failed hello is answered rate-limited; a good one still passes.
	FailedHellos RateLimit
	Enrollments  RateLimit // enrollment attempts per address; default 10/min, burst 5
	// DeviceStatus limits the status reports written per device; default 1/min, burst 1.
	// Reports in between are not lost: the latest is written with the next one allowed, or
	// when the device disconnects.
	DeviceStatus RateLimit
	// Invites limits the calls one person places: per contact (all of a contact's family
	// pages together) and per tablet; default 3/min, burst 6. An invite over it is answered
	// with rate-limited and neither rings anyone nor writes a call-log row.
	Invites RateLimit
	// MaxConnsPerIP caps the WebSocket connections open from one address; 500 when zero.
	MaxConnsPerIP int
	// Retention is how long a discharged admission's personal data (its contacts, links,
	// photos and the patient's name) is kept; 30 days when zero. Purge runs a minute after
	// New and then every PurgeEvery (1 h when zero).
	Retention  time.Duration
	PurgeEvery time.Duration

	// Bus joins this server to the other instances on the same database (cluster.go); nil
	// for a single server. New takes it over: Close closes it.
	Bus Bus
	// LeaseTTL is how long a ward's owner holds it without renewing; 5 s when zero. A ward
	// whose owner died moves to another instance within about LeaseTTL.
	LeaseTTL time.Duration
}

// Server is the ward server. Create it with New, serve Handler, and Close it before closing
// its store.
type Server struct {
	cfg Config
	log *slog.Logger
	hub *hub
	// cluster is this instance's part of a deployment of several; nil for a single server.
	cluster *cluster

	helloLimit  *limiter
	enrollLimit *limiter
	statusLimit *limiter // keyed by device id
	inviteLimit *limiter // keyed by role and contact or device id
	origins     []string // extra allowed WebSocket origins (the BaseURL's host)
	metrics     *metrics
	draining    atomic.Bool  // see Drain
	readyWas    atomic.Int32 // the readiness /readyz found last (noteReady)

	mu         sync.Mutex
	closing    bool
	purgeTimer Timer
	clients    map[*client]struct{}
	perIP      map[string]int // open connections per remote address
	wg         sync.WaitGroup // one per connection, and one for a retention purge under way
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("server: %w: Config.Store is nil", ErrConfig)
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
	if cfg.AfterFunc == nil {
		cfg.AfterFunc = func(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
	}
	if cfg.OutageLimit <= 0 {
		cfg.OutageLimit = 60 * time.Second
	}
	if cfg.RingTimeout <= 0 {
		cfg.RingTimeout = 45 * time.Second
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	if cfg.HelloTimeout <= 0 {
		cfg.HelloTimeout = 10 * time.Second
	}
	if cfg.TURNCredentialTTL <= 0 {
		cfg.TURNCredentialTTL = time.Hour
	}
	if cfg.MaxConnsPerIP <= 0 {
		cfg.MaxConnsPerIP = 500
	}
	if cfg.PingInterval <= 0 {
		cfg.PingInterval = 25 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = writeTimeout
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.PurgeEvery <= 0 {
		cfg.PurgeEvery = time.Hour
	}
	s := &Server{
		cfg:         cfg,
		log:         cfg.Logger,
		clients:     make(map[*client]struct{}),
		perIP:       make(map[string]int),
		helloLimit:  newLimiter(cfg.FailedHellos, RateLimit{PerMinute: 10, Burst: 10}, cfg.Now),
		enrollLimit: newLimiter(cfg.Enrollments, RateLimit{PerMinute: 10, Burst: 5}, cfg.Now),
		statusLimit: newLimiter(cfg.DeviceStatus, RateLimit{PerMinute: 1, Burst: 1}, cfg.Now),
		inviteLimit: newLimiter(cfg.Invites, RateLimit{PerMinute: 3, Burst: 6}, cfg.Now),
		metrics:     newMetrics(),
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || u.Host == "" {
			return nil, fmt.Errorf("server: %w: BaseURL %q is not an absolute URL", ErrConfig, cfg.BaseURL)
		}
		// Pages served under the public name may open the WebSocket even when a proxy
		// changes the Host header.
		s.origins = []string{u.Host}
	}
	s.hub = newHub(s)
	if cfg.Bus != nil {
		if cfg.LeaseTTL <= 0 {
			cfg.LeaseTTL = 5 * time.Second
			s.cfg.LeaseTTL = cfg.LeaseTTL
		}
		s.cluster = newCluster(s, cfg.Bus, cfg.LeaseTTL)
	}
	s.schedulePurge(time.Minute)
	if cfg.TURN != nil {
		cfg.TURN.bind(relayAuthorityOf{s})
	}
	return s, nil
}

// Close tells every connected client the server is shutting down and waits for the
// connections to finish: each gets closeWait for its goodbye, so that a client that does not
// read does not hold Close. Connected calls are forgotten, not ended: their media goes on and
// their ends resume them with the next server; calls still being set up end as failed (each
// leaves its call-log row). The store stays open.
func (s *Server) Close() {
	s.mu.Lock()
	s.closing = true
	s.purgeTimer.Stop()
	clients := make([]*client, 0, len(s.clients))
	for c := range s.clients {
		clients = append(clients, c)
	}
	s.mu.Unlock()
	// The connected calls are forgotten first, not ended: their media goes on, and their ends
	// resume them with the next server; their connections going must not end them. Calls
	// still being set up end as failed.
	s.hub.close()
	if s.cluster != nil {
		s.cluster.release() // the wards go to other instances; the proxies' clients go too
	}
	for _, c := range clients {
		c.sendError("", ErrShuttingDown)
	}
	// Each client gets closeWait to take what is queued for it, the goodbye and the close
	// frame: one that does not read (a phone gone from the network with messages on the way)
	// must not keep Close for a write timeout or two.
	until := time.Now().Add(closeWait)
	for _, c := range clients {
		if ws := c.ws.Load(); ws != nil {
			ws.hurry(until)
		}
		c.stop(websocket.StatusGoingAway, string(signal.CodeShuttingDown), false)
	}
	s.wg.Wait()
	if s.cluster != nil {
		s.cluster.close()
	}
}

// addClient registers c so that Close reaches it; it fails when the server is closing or
// c's address has too many connections open.
func (s *Server) addClient(c *client) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || s.draining.Load() {
		return ErrShuttingDown
	}
	if s.perIP[c.ip] >= s.cfg.MaxConnsPerIP {
		return fmt.Errorf("%w: too many connections from one address", ErrRateLimited)
	}
	s.perIP[c.ip]++
	s.clients[c] = struct{}{}
	s.wg.Add(1)
	return nil
}

func (s *Server) removeClient(c *client) {
	s.mu.Lock()
	delete(s.clients, c)
	if s.perIP[c.ip]--; s.perIP[c.ip] <= 0 {
		delete(s.perIP, c.ip)
	}
	s.mu.Unlock()
	s.wg.Done()
}

// random returns n random bytes from the configured source.
func (s *Server) random(n int) ([]byte, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(s.cfg.Rand, b); err != nil {
		return nil, fmt.Errorf("server: random: %w", err)
	}
	return b, nil
}

// iceServers is the ICE configuration of the client of this role and id: the configured
// servers and, with the embedded relay, fresh credentials for it.
func (s *Server) iceServers(role signal.Role, id string) []signal.ICEServer {
	out := append([]signal.ICEServer(nil), s.cfg.ICEServers...)
	if s.cfg.TURN != nil {
		out = append(out, s.cfg.TURN.ICEServers(role, id, s.cfg.TURNCredentialTTL)...)
	}
	return out
}

// storeCtx bounds a store call that must not be cut short by a client going away.
func storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}
