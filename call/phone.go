package call

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"bedside/call/media"
	"bedside/call/signal"
)

// Config configures a Phone. ServerURL and exactly one of Signer and FamilyToken are required.
type Config struct {
	// ServerURL is the ward server's WebSocket endpoint, like "ws://127.0.0.1:8080/ws".
	ServerURL string
	// Signer authenticates as the bedside device; FamilyToken as a family link.
	Signer      Signer
	FamilyToken string
	// Media is the outgoing camera and microphone (or test source); the app starts and closes it.
	// Nil makes a receive-only phone.
	Media *media.Local
	// RemoteVideo and RemoteAudio get the other end's decoded pictures and sound; they must not
	// block. Either may be nil.
	RemoteVideo media.VideoSink
	RemoteAudio media.AudioSink
	Logger      *slog.Logger

	// AutoAnswer answers every incoming call at once (headless peers, load tools, tests). The
	// kiosk leaves it off and decides per call from Config().AutoAnswer and the caller's Party.
	AutoAnswer bool

	// API is a shared pion API; when nil the phone builds one from LoopbackOnly, PortMin and
	// PortMax. LoopbackOnly keeps ICE on 127.0.0.1 (tests).
	API              *API
	LoopbackOnly     bool
	PortMin, PortMax uint16
	// ICEServers are added to the ones the server hands out.
	ICEServers []signal.ICEServer

	// DisconnectGrace is how long media may be lost before the call fails (default 5 s);
	// ConnectTimeout how long from answer to InCall (default 30 s).
	DisconnectGrace time.Duration
	ConnectTimeout  time.Duration

	// Status, for a device, reports its battery (percent, or signal.BatteryUnknown) and app
	// version; the phone sends them when it connects and every StatusEvery (default 5 min) so
	// that the nurse console shows them. Nil sends nothing.
	Status      func() (battery int, appVersion string)
	StatusEvery time.Duration

	// Signaling client tuning; see ClientConfig.
	HTTPClient             *http.Client
	MinBackoff, MaxBackoff time.Duration
}

// Phone is the call engine as the kiosk app (or a test, or a load tool) sees it: place, answer,
// decline and hang up calls, and read what happens from Events. It makes one call at a time. Its
// methods are safe for concurrent use.
type Phone struct {
	cfg    Config
	log    *slog.Logger
	api    *API
	client *Client
	events chan Event
	outbox chan signal.Message
	closer sync.WaitGroup // sessions being closed

	mu        sync.Mutex
	running   bool
	stopped   bool        // Run has returned; events is closed
	call      *activeCall // nil when idle
	abandoned int         // invites whose Dial gave up before the server named the call
}

// activeCall is the phone's one call. Its fields are guarded by Phone.mu.
type activeCall struct {
	id     string // "" until the server's ringing reply names the call we dialled
	dir    Direction
	party  signal.Party
	state  State
	sess   *Session
	iceUp  bool
	framed bool
	dialed chan dialOutcome // the pending Dial, until ringing, ended or error
	timer  *time.Timer      // connect timeout
	grace  *time.Timer      // disconnect grace, while media is lost
}

type dialOutcome struct {
	call string
	err  error
}

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
	log := logger(cfg.Logger)
	client, err := NewClient(ClientConfig{
		URL:         cfg.ServerURL,
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
		if api, err = NewAPI(APIOptions{
			LoopbackOnly: cfg.LoopbackOnly, PortMin: cfg.PortMin, PortMax: cfg.PortMax, Logger: log,
		}); err != nil {
			return nil, err
		}
	}
	return &Phone{
		cfg:    cfg,
		log:    log.With("component", "phone"),
		api:    api,
		client: client,
		events: make(chan Event, 256),
		outbox: make(chan signal.Message, 256),
	}, nil
}

// Events returns the channel of call, configuration, presence and server events. It is closed
// when Run returns. Events are dropped (and logged) if nobody reads them.
func (p *Phone) Events() <-chan Event { return p.events }

// Config returns a copy of the latest configuration from the server.
func (p *Phone) Config() signal.Config { return p.client.Config() }

// Connected reports whether the phone is connected to the server right now.
func (p *Phone) Connected() bool { return p.client.Connected() }

// State returns the current call's state, Idle when there is none.
func (p *Phone) State() State {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.call == nil {
		return Idle
	}
	return p.call.state
}

// Stats returns the current call's media figures, or the zero Stats between calls.
func (p *Phone) Stats() Stats {
	p.mu.Lock()
	var sess *Session
	if p.call != nil {
		sess = p.call.sess
	}
	p.mu.Unlock()
	if sess == nil {
		return Stats{}
	}
	return sess.Stats()
}

// Run connects to the server and serves calls until ctx is done; it reconnects by itself. It
// returns nil when ctx is done, or an error wrapping ErrAuth when the server refuses us. A call
// still up when Run returns is ended.
func (p *Phone) Run(ctx context.Context) error {
	p.mu.Lock()
	if p.running {
		p.mu.Unlock()
		return fmt.Errorf("%w: Run called twice", ErrConfig)
	}
	p.running = true
	p.mu.Unlock()
	defer func() {
		p.mu.Lock()
		p.stopped = true // late timer or pion callbacks must not emit on the closed channel
		close(p.events)
		p.mu.Unlock()
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- p.client.Run(ctx) }()
	sent := make(chan struct{})
	go func() { defer close(sent); p.sendLoop(ctx) }()
	reported := make(chan struct{})
	go func() { defer close(reported); p.statusLoop(ctx) }()

	for in := range p.client.Inbound() {
		if in.Disconnected {
			p.onDisconnected(in.Err)
			continue
		}
		p.handle(in.Message)
	}
	err := <-runErr
	cancel()
	<-sent
	<-reported
	p.mu.Lock()
	sess := p.endLocked(signal.ReasonHangup, ErrClosed)
	p.mu.Unlock()
	p.closeSession(sess)
	p.closer.Wait()
	return err
}

// sendLoop sends, in order, the messages that handlers and pion callbacks queue.
func (p *Phone) sendLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case m := <-p.outbox:
			sctx, cancel := context.WithTimeout(ctx, 10*time.Second)
			if err := p.client.Send(sctx, m); err != nil {
				p.log.Warn("send failed", "type", m.Type, "call", m.Call, "err", err)
			}
			cancel()
		}
	}
}

// queue hands m to sendLoop without blocking; safe under p.mu.
func (p *Phone) queue(m signal.Message) {
	select {
	case p.outbox <- m:
	default:
		p.log.Warn("send queue full; message dropped", "type", m.Type, "call", m.Call)
	}
}

// emit hands e to the app without blocking. It is called with p.mu held, which keeps events in
// order; it never blocks, so that is safe.
func (p *Phone) emit(e Event) {
	if p.stopped {
		return
	}
	select {
	case p.events <- e:
	default:
		p.log.Warn("event dropped: nobody reads Events", "kind", e.Kind.String())
	}
}

// Dial calls to (a contact id; empty for a family page calling its patient) and returns the new
// call's id once the server says it rings. The call's progress then comes as Events. If the
// call cannot ring (the callee is offline or busy, say) Dial returns an *EndedError with the
// reason, and no Event; ErrBusy when this phone already has a call.
func (p *Phone) Dial(ctx context.Context, to string) (string, error) {
	if to != "" && !signal.ValidID(to) {
		return "", fmt.Errorf("%w: malformed contact id", ErrConfig)
	}
	outcome := make(chan dialOutcome, 1)
	p.mu.Lock()
	if p.call != nil {
		p.mu.Unlock()
		return "", ErrBusy
	}
	c := &activeCall{dir: Outgoing, party: signal.Party{ID: to}, state: Ringing, dialed: outcome}
	for _, contact := range p.client.Config().Contacts {
		if contact.ID == to {
			c.party = contact.Party
		}
	}
	p.call = c
	p.mu.Unlock()

	if err := p.client.Send(ctx, signal.Message{Type: signal.TypeInvite, To: to}); err != nil {
		p.mu.Lock()
		if p.call == c {
			p.call = nil
		}
		p.mu.Unlock()
		return "", fmt.Errorf("call: dial: %w", err)
	}
	select {
	case o := <-outcome:
		return o.call, o.err
	case <-ctx.Done():
		p.mu.Lock()
		select {
		case o := <-outcome: // answered meanwhile
			p.mu.Unlock()
			return o.call, o.err
		default:
		}
		if p.call == c {
			p.abandonLocked()
		}
		p.mu.Unlock()
		return "", fmt.Errorf("call: dial: %w", ctx.Err())
	}
}

// Answer picks up the ringing incoming call.
func (p *Phone) Answer(ctx context.Context, callID string) error {
	p.mu.Lock()
	c, err := p.ringingLocked(callID, "answer")
	if err != nil {
		p.mu.Unlock()
		return err
	}
	if err := p.startSessionLocked(c); err != nil {
		sess := p.endLocked(signal.ReasonFailed, err)
		p.mu.Unlock()
		p.closeSession(sess)
		return err
	}
	p.setStateLocked(c, Connecting)
	p.mu.Unlock()
	if err := p.client.Send(ctx, signal.Message{Type: signal.TypeAccept, Call: callID}); err != nil {
		p.fail(c, err)
		return fmt.Errorf("call: answer: %w", err)
	}
	return nil
}

// ringingLocked returns the incoming call callID if it is ringing, for what (answer,
// decline) to act on. p.mu must be held.
func (p *Phone) ringingLocked(callID, what string) (*activeCall, error) {
	c := p.call
	if c == nil || c.id != callID || c.dir != Incoming {
		return nil, ErrNoSuchCall
	}
	if c.state != Ringing {
		return nil, fmt.Errorf("%w: %s while %s", ErrBadState, what, c.state)
	}
	return c, nil
}

// Decline refuses the ringing incoming call.
func (p *Phone) Decline(ctx context.Context, callID string) error {
	p.mu.Lock()
	if _, err := p.ringingLocked(callID, "decline"); err != nil {
		p.mu.Unlock()
		return err
	}
	p.endLocked(signal.ReasonDeclined, nil)
	p.mu.Unlock()
	if err := p.client.Send(ctx, signal.Message{Type: signal.TypeDecline, Call: callID}); err != nil {
		return fmt.Errorf("call: decline: %w", err)
	}
	return nil
}

// Hangup ends the current call, whatever its state: it cancels an unanswered outgoing call,
// declines a ringing incoming one, and hangs up a connected one. With no call it does nothing.
// The call ends here at once, even when the server cannot be told (the error then says so).
func (p *Phone) Hangup(ctx context.Context) error {
	p.mu.Lock()
	c := p.call
	if c == nil {
		p.mu.Unlock()
		return nil
	}
	if c.id == "" {
		p.abandonLocked()
		p.mu.Unlock()
		return nil
	}
	msg := signal.Message{Type: signal.TypeHangup, Call: c.id}
	reason := signal.ReasonHangup
	switch {
	case c.dir == Incoming && c.state == Ringing:
		msg.Type, reason = signal.TypeDecline, signal.ReasonDeclined
	case c.dir == Outgoing && c.state == Ringing:
		reason = signal.ReasonCancelled
	}
	sess := p.endLocked(reason, nil)
	p.mu.Unlock()
	p.closeSession(sess)
	if err := p.client.Send(ctx, msg); err != nil {
		return fmt.Errorf("call: hangup: %w", err)
	}
	return nil
}

// abandonLocked drops a dialled call the server has not named yet; its ringing, when it comes,
// is hung up. The pending Dial gets ErrCallEnded.
func (p *Phone) abandonLocked() {
	c := p.call
	p.call = nil
	p.abandoned++
	if c.dialed != nil {
		c.dialed <- dialOutcome{err: &EndedError{Reason: signal.ReasonCancelled}}
		c.dialed = nil
	}
}
