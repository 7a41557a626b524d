package call

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"bedside/call/media"
	"bedside/call/signal"
)

// Config configures a Phone. ServerURL and exactly one of Signer and FamilyToken are required.
type Config struct {
	// ServerURL is the ward server's WebSocket endpoint, like "ws://127.0.0.1:8080/ws".
	ServerURL string
	// ServerURLs are other instances of the same deployment, tried in turn after ServerURL
	// when a connection is lost (see ClientConfig.URLs).
	ServerURLs []string
	// Signer authenticates as the bedside device; FamilyToken as a family link.
	Signer      Signer
	FamilyToken string
	// Media is the outgoing camera and microphone (or test source); the app starts and closes it.
	// The phone owns its microphone and camera switches: each call starts with both on. Nil
	// makes a receive-only phone.
	Media *media.Local
	// RemoteVideo and RemoteAudio get the other end's decoded pictures and sound; they must not
	// block. Either may be nil.
	RemoteVideo media.VideoSink
	RemoteAudio media.AudioSink
	// RemoteFor, when set, replaces RemoteVideo and RemoteAudio: it gives the sinks of each
	// other participant of a call (the other end of a call of two included), so that a group
	// call shows one picture per participant and mixes their sounds (each its own stream of a
	// media.Player, say). Without it, a group call's pairs beyond the first are decoded and
	// counted only.
	RemoteFor RemoteSinks
	// MaxVideoIn is how many other participants' pictures a group call decodes at most
	// (default DefaultMaxVideoIn); the others are asked to send none (their sound still comes).
	MaxVideoIn int
	Logger     *slog.Logger

	// AutoAnswer answers every incoming call at once (headless peers, load tools, tests). The
	// kiosk leaves it off and decides per call from the configuration and the caller's Party.
	AutoAnswer bool

	// API is a shared pion API; when nil the phone builds one from LoopbackOnly, PortMin and
	// PortMax. LoopbackOnly keeps ICE on 127.0.0.1 (tests).
	API              *API
	LoopbackOnly     bool
	PortMin, PortMax uint16
	// NoMDNS: see APIOptions.NoMDNS.
	NoMDNS bool
	// TURNRoots: see APIOptions.TURNRoots (LoadCertPool reads a PEM file into one).
	TURNRoots *x509.CertPool
	// ICEServers are added to the ones the server hands out.
	ICEServers []signal.ICEServer

	// DisconnectGrace is how long a call whose other end closed its media waits for the
	// server's word before it ends as failed (default 5 s); ConnectTimeout how long from
	// answer to InCall (default 30 s).
	DisconnectGrace time.Duration
	ConnectTimeout  time.Duration
	// OutageLimit is how long a call in progress may go without media (a network cut, a
	// tablet roaming to another access point) while the phone gets it back before the call
	// ends as failed (default DefaultOutageLimit). The caller restarts ICE every RestartEvery (default 5 s)
	// while it lasts.
	OutageLimit  time.Duration
	RestartEvery time.Duration

	// NetworkCheckEvery is how often the phone looks at the host's network addresses (default
	// 500 ms; negative: never): when one goes, the host changed networks, and the phone
	// reconnects to the server and restarts its call's ICE at once. Addrs lists them (nil: the
	// host's interfaces, loopback left out); tests inject their own.
	NetworkCheckEvery time.Duration
	Addrs             func() ([]netip.Addr, error)

	// Status, for a device, reports its battery (percent, or signal.BatteryUnknown) and app
	// version; the phone sends them when it connects and every StatusEvery (default 5 min) so
	// that the nurse console shows them. Nil sends nothing.
	Status      func() (battery int, appVersion string)
	StatusEvery time.Duration

	// AfterFunc starts the phone's timers (connect timeout, disconnect grace); tests inject
	// one to fire them by hand. Nil uses time.AfterFunc.
	AfterFunc func(d time.Duration, f func()) Timer

	// Signaling client tuning; see ClientConfig.
	HTTPClient             *http.Client
	MinBackoff, MaxBackoff time.Duration
}

// ICE timers of the API a Phone builds itself: a call's media counts as lost after
// iceDisconnected without a packet from the other end (pion's default is 5 s), with ICE
// keepalives every iceKeepAlive (2 s) so that a quiet path is not taken for a lost one.
const (
	iceDisconnected = 2500 * time.Millisecond
	iceKeepAlive    = 500 * time.Millisecond
)

// DefaultOutageLimit is how long a call in progress may go without media by default: a cut
// of up to 60 s (issue 10), plus the time to notice it (iceDisconnected) and to get the media
// back once the network returns. With a limit of 60 s counted from noticing, a 60 s cut left
// 2.5 s for that, and the testbed's call failed just before its tablet was back.
const DefaultOutageLimit = 75 * time.Second

// Timer is a timer the phone can stop: *time.Timer is one.
type Timer interface{ Stop() bool }

// Phone is the call engine as the kiosk app (or a test, or a load tool) sees it: place, answer,
// decline and hang up calls, mute and turn the camera off, and follow what happens through
// Updates. It makes one call at a time. Its methods are safe for concurrent use.
//
// One goroutine (Run's) owns all of the phone's state. The methods, the server's messages, the
// peer connection's callbacks and the timers all reach it as messages, handled one at a time
// in order; messages to the server leave through one ordered queue. After every change the
// phone publishes a Snapshot of its state, latest first: a reader that falls behind skips to
// the newest, and so never shows a state that is no longer true.
type Phone struct {
	cfg    Config
	log    *slog.Logger
	api    *API
	client *Client

	inbox   mailbox[op]             // work for the loop: API calls, callbacks, timers
	outbox  mailbox[signal.Message] // messages for the server, in order
	updates chan Snapshot           // the latest snapshot not yet read (capacity 1)
	snap    atomic.Pointer[Snapshot]
	session atomic.Pointer[Session] // the current call's session, for Stats
	done    chan struct{}           // closed when Run's loop has finished
	running atomic.Bool
	closers sync.WaitGroup // sessions being closed
}

// op is one unit of work for the loop; it runs on the loop's goroutine.
type op func(*loop)

// New checks cfg and returns a Phone; call Run to connect it.
func New(cfg Config) (*Phone, error) {
	if cfg.DisconnectGrace <= 0 {
		cfg.DisconnectGrace = 5 * time.Second
	}
	if cfg.ConnectTimeout <= 0 {
		cfg.ConnectTimeout = 30 * time.Second
	}
	if cfg.StatusEvery <= 0 {
		cfg.StatusEvery = 5 * time.Minute
	}
	if cfg.OutageLimit <= 0 {
		cfg.OutageLimit = DefaultOutageLimit
	}
	if cfg.RestartEvery <= 0 {
		cfg.RestartEvery = 5 * time.Second
	}
	if cfg.NetworkCheckEvery == 0 {
		cfg.NetworkCheckEvery = 500 * time.Millisecond
	}
	if cfg.Addrs == nil {
		cfg.Addrs = hostAddrs
	}
	if cfg.AfterFunc == nil {
		cfg.AfterFunc = func(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }
	}
	log := logger(cfg.Logger)
	client, err := NewClient(ClientConfig{
		URL:         cfg.ServerURL,
		URLs:        cfg.ServerURLs,
		Signer:      cfg.Signer,
		FamilyToken: cfg.FamilyToken,
		Logger:      log,
		HTTPClient:  cfg.HTTPClient,
		MinBackoff:  cfg.MinBackoff,
		MaxBackoff:  cfg.MaxBackoff,
	})
	if err != nil {
		return nil, err
	}
	api := cfg.API
	if api == nil {
		// ICE gives up on a lost path only after the outage limit: until then a path that
		// comes back carries the call again by itself, without a restart. It says the path
		// is lost after iceDisconnected without a packet (keepalives every iceKeepAlive),
		// so that the caller restarts soon after a network change it cannot see.
		if api, err = NewAPI(APIOptions{
			LoopbackOnly: cfg.LoopbackOnly, NoMDNS: cfg.NoMDNS, PortMin: cfg.PortMin, PortMax: cfg.PortMax, Logger: log,
			TURNRoots:     cfg.TURNRoots,
			FailedTimeout: cfg.OutageLimit, DisconnectedTimeout: iceDisconnected, KeepAlive: iceKeepAlive,
		}); err != nil {
			return nil, err
		}
	}
	p := &Phone{
		cfg:     cfg,
		log:     log.With("component", "phone"),
		api:     api,
		client:  client,
		updates: make(chan Snapshot, 1),
		done:    make(chan struct{}),
	}
	p.inbox.init()
	p.outbox.init()
	p.snap.Store(&Snapshot{})
	return p, nil
}

// Updates returns the channel of snapshots. It holds at most the newest snapshot not read yet:
// one that was not read before the next replaces it. It is closed, after a last snapshot,
// when Run returns.
func (p *Phone) Updates() <-chan Snapshot { return p.updates }

// Snapshot returns the phone's latest snapshot.
func (p *Phone) Snapshot() Snapshot {
	s := *p.snap.Load()
	s.Config = copyConfig(s.Config)
	return s
}

// Config returns a copy of the latest configuration from the server.
func (p *Phone) Config() signal.Config { return p.client.Config() }

// Connected reports whether the phone is connected to the server right now.
func (p *Phone) Connected() bool { return p.snap.Load().Connected }

// State returns the current call's state: Idle when there is none, also after one ended.
func (p *Phone) State() State {
	if s := p.snap.Load().Call.State; !s.Over() {
		return s
	}
	return Idle
}

// Stats returns the current call's media figures, or the zero Stats between calls.
func (p *Phone) Stats() Stats {
	if sess := p.session.Load(); sess != nil {
		return sess.Stats()
	}
	return Stats{}
}

// post hands o to the loop. It never blocks and never drops o while the phone runs; it
// reports false once Run has finished.
func (p *Phone) post(o op) bool { return p.inbox.put(o) }

// ask runs o on the loop and waits for its answer on reply, or for ctx, or for the phone to
// stop.
func ask[T any](ctx context.Context, p *Phone, reply chan T, o op) (T, error) {
	var zero T
	if !p.running.Load() {
		return zero, ErrNotConnected
	}
	if !p.post(o) {
		return zero, ErrClosed
	}
	select {
	case v := <-reply:
		return v, nil
	case <-p.done:
		select {
		case v := <-reply: // answered as the loop finished
			return v, nil
		default:
			return zero, ErrClosed
		}
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// Run connects to the server and serves calls until ctx is done; it reconnects by itself. It
// returns nil when ctx is done, or an error wrapping ErrAuth when the server refuses us. A call
// still up when Run returns is ended.
func (p *Phone) Run(ctx context.Context) error {
	if !p.running.CompareAndSwap(false, true) {
		return fmt.Errorf("%w: Run called twice", ErrConfig)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- p.client.Run(ctx) }()
	sent := make(chan struct{})
	go func() { defer close(sent); p.sendLoop(ctx) }()
	watched := make(chan struct{})
	go func() { defer close(watched); p.watchNetwork(ctx) }()

	l := newLoop(p)
	l.run(ctx)
	err := <-runErr
	cancel()
	<-sent
	<-watched
	p.closers.Wait()
	close(p.updates)
	return err
}

// sendLoop sends, in order, the messages the loop queued, until ctx is done.
func (p *Phone) sendLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.outbox.ready:
		}
		for _, m := range p.outbox.take() {
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := p.client.Send(sctx, m); err != nil {
				p.log.Warn("send failed", "type", m.Type, "call", m.Call, "err", err)
			}
			cancel()
		}
	}
}

// Dial calls to (a contact id; empty for a family page calling its patient) and returns the new
// call's id once the server says it rings. The call's progress then shows in the snapshots. If
// the call cannot ring (the callee is offline or busy, say) Dial returns an *EndedError with
// the reason; ErrBusy when this phone already has a call, ErrNotConnected when it is not
// connected to the server.
func (p *Phone) Dial(ctx context.Context, to string) (string, error) {
	if to != "" && !signal.ValidID(to) {
		return "", fmt.Errorf("%w: malformed contact id", ErrConfig)
	}
	reply := make(chan dialOutcome, 1)
	o, err := ask(ctx, p, reply, func(l *loop) { l.dial(to, reply) })
	if err == nil {
		return o.call, o.err
	}
	if ctx.Err() != nil {
		// Give up: the loop cancels the invite, or hangs its call up once the server names it.
		p.post(func(l *loop) { l.abandon(reply) })
		return "", fmt.Errorf("call: dial: %w", err)
	}
	return "", fmt.Errorf("call: dial: %w", err)
}

// Answer picks up the ringing incoming call.
func (p *Phone) Answer(ctx context.Context, callID string) error {
	reply := make(chan error, 1)
	err, askErr := ask(ctx, p, reply, func(l *loop) { reply <- l.answer(callID) })
	if askErr != nil {
		return fmt.Errorf("call: answer: %w", askErr)
	}
	return err
}

// Decline refuses the ringing incoming call.
func (p *Phone) Decline(ctx context.Context, callID string) error {
	reply := make(chan error, 1)
	err, askErr := ask(ctx, p, reply, func(l *loop) { reply <- l.decline(callID) })
	if askErr != nil {
		return fmt.Errorf("call: decline: %w", askErr)
	}
	return err
}

// Hangup ends the current call, whatever its state: it cancels an unanswered outgoing call,
// declines a ringing incoming one, and hangs up a connected one. With no call it does nothing.
// The call ends here at once; the server is told through the phone's queue.
func (p *Phone) Hangup(ctx context.Context) error {
	reply := make(chan struct{}, 1)
	if _, err := ask(ctx, p, reply, func(l *loop) { l.hangup(); reply <- struct{}{} }); err != nil {
		if errors.Is(err, ErrNotConnected) || errors.Is(err, ErrClosed) {
			return nil // no call can be up
		}
		return fmt.Errorf("call: hangup: %w", err)
	}
	return nil
}

// SetMuted mutes or unmutes the current call's microphone; SetCameraOn turns its camera on or
// off. They return at once; the next snapshot says what the call sends. Without a call they do
// nothing: every call starts with both on.
func (p *Phone) SetMuted(muted bool) { p.post(func(l *loop) { l.setSwitch(mutedSwitch, muted) }) }

// SetCameraOn turns the current call's camera on or off; see SetMuted.
func (p *Phone) SetCameraOn(on bool) { p.post(func(l *loop) { l.setSwitch(cameraOffSwitch, !on) }) }
