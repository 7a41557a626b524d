package call

import (
	"errors"
	"fmt"
	"time"

	"bedside/call/signal"
)

// noVideoWait is how long after ICE connects a call without any decoded frame still counts
// as in call (audio only).
const noVideoWait = 4 * time.Second

// handle acts on one message from the server. It runs on Run's goroutine.
func (p *Phone) handle(m signal.Message) {
	switch m.Type {
	case signal.TypeWelcome, signal.TypeConfig:
		p.mu.Lock()
		if m.Type == signal.TypeWelcome {
			p.emit(Event{Kind: EventServer, Connected: true})
			p.queueStatusLocked()
		}
		p.emit(Event{Kind: EventConfig, Config: p.client.Config()})
		p.mu.Unlock()
	case signal.TypePresence:
		p.mu.Lock()
		p.emit(Event{Kind: EventPresence, Peer: m.Peer, Online: *m.Online, Config: p.client.Config()})
		p.mu.Unlock()
	case signal.TypeRinging:
		p.onRinging(m)
	case signal.TypeRing:
		p.onRing(m)
	case signal.TypeAccepted:
		p.onAccepted(m)
	case signal.TypeOffer, signal.TypeAnswer, signal.TypeCandidate:
		p.onNegotiation(m)
	case signal.TypeEnded:
		p.onEnded(m)
	case signal.TypeError:
		p.onError(m)
	default:
		p.log.Debug("ignoring message", "type", m.Type)
	}
}

// current returns the call the message is about, or nil if it is not the phone's call.
func (p *Phone) currentLocked(id string) *activeCall {
	if p.call == nil || p.call.id == "" || p.call.id != id {
		return nil
	}
	return p.call
}

func (p *Phone) onRinging(m signal.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.call
	if c == nil || c.dialed == nil || c.id != "" {
		if p.abandoned > 0 {
			// The answer to an invite whose Dial gave up: cancel that call.
			p.abandoned--
			p.queue(signal.Message{Type: signal.TypeHangup, Call: m.Call})
		}
		return
	}
	c.id = m.Call
	c.dialed <- dialOutcome{call: m.Call}
	c.dialed = nil
	p.setStateLocked(c, Ringing)
}

func (p *Phone) onRing(m signal.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.call != nil && p.call.id == m.Call {
		return // a repeated ring for the call we already have
	}
	if p.call != nil {
		// One call at a time: the server may already refuse a second one as busy; if not, we do.
		p.log.Info("declining a call while busy", "call", m.Call)
		p.queue(signal.Message{Type: signal.TypeDecline, Call: m.Call})
		return
	}
	c := &activeCall{id: m.Call, dir: Incoming, party: *m.From, state: Ringing}
	p.call = c
	p.setStateLocked(c, Ringing)
	if !p.cfg.AutoAnswer {
		return
	}
	if err := p.startSessionLocked(c); err != nil {
		p.queue(signal.Message{Type: signal.TypeDecline, Call: c.id})
		p.closeSessionLater(p.endLocked(signal.ReasonFailed, err))
		return
	}
	p.setStateLocked(c, Connecting)
	p.queue(signal.Message{Type: signal.TypeAccept, Call: c.id})
}

// onAccepted starts the caller's side: the session and its offer.
func (p *Phone) onAccepted(m signal.Message) {
	p.mu.Lock()
	c := p.currentLocked(m.Call)
	if c == nil || c.dir != Outgoing || c.state != Ringing {
		p.mu.Unlock()
		return
	}
	if err := p.startSessionLocked(c); err != nil {
		p.queue(signal.Message{Type: signal.TypeHangup, Call: c.id})
		p.closeSessionLater(p.endLocked(signal.ReasonFailed, err))
		p.mu.Unlock()
		return
	}
	p.setStateLocked(c, Connecting)
	sess := c.sess
	p.mu.Unlock()

	sdp, err := sess.CreateOffer()
	if err != nil {
		p.fail(c, err)
		return
	}
	p.mu.Lock()
	if p.call == c {
		p.queue(signal.Message{Type: signal.TypeOffer, Call: c.id, SDP: sdp})
	}
	p.mu.Unlock()
}

// onNegotiation applies the other end's offer, answer or candidate.
func (p *Phone) onNegotiation(m signal.Message) {
	p.mu.Lock()
	c := p.currentLocked(m.Call)
	var sess *Session
	if c != nil {
		sess = c.sess
	}
	p.mu.Unlock()
	if sess == nil {
		p.log.Debug("negotiation for no live session", "type", m.Type, "call", m.Call)
		return
	}
	var err error
	switch m.Type {
	case signal.TypeOffer:
		var answer string
		if answer, err = sess.HandleOffer(m.SDP); err == nil {
			p.mu.Lock()
			if p.call == c {
				p.queue(signal.Message{Type: signal.TypeAnswer, Call: c.id, SDP: answer})
			}
			p.mu.Unlock()
		}
	case signal.TypeAnswer:
		err = sess.HandleAnswer(m.SDP)
	case signal.TypeCandidate:
		if err = sess.AddCandidate(*m.Candidate); err != nil {
			// One bad candidate does not doom the call; ICE failure will, if it comes to that.
			p.log.Warn("remote candidate rejected", "call", m.Call, "err", err)
			err = nil
		}
	}
	if err != nil {
		p.fail(c, err)
	}
}

func (p *Phone) onEnded(m signal.Message) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.call
	if c != nil && c.id == "" && c.dialed != nil {
		// The invite was refused outright (the callee is offline, say).
		c.dialed <- dialOutcome{err: &EndedError{Reason: m.Reason}}
		p.call = nil
		return
	}
	if c == nil && p.abandoned > 0 && m.Call != "" {
		p.abandoned-- // an abandoned invite was refused anyway
		return
	}
	if c = p.currentLocked(m.Call); c == nil {
		return
	}
	p.closeSessionLater(p.endLocked(m.Reason, nil))
}

func (p *Phone) onError(m signal.Message) {
	err := &signal.Error{Code: m.Code, Message: m.Message}
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.call
	if c != nil && c.id == "" && c.dialed != nil && m.Call == "" {
		// An error about no call in particular, while an invite waits: the invite's refusal.
		c.dialed <- dialOutcome{err: &EndedError{Reason: reasonFor(m.Code), Err: err}}
		p.call = nil
		return
	}
	p.log.Warn("server reported an error", "code", m.Code, "call", m.Call, "message", m.Message)
	if c = p.currentLocked(m.Call); c != nil && m.Code == signal.CodeNoSuchCall {
		// The server no longer knows our call (it restarted, say): it is over.
		p.closeSessionLater(p.endLocked(signal.ReasonFailed, err))
	}
}

// onDisconnected reacts to losing the server. A call whose media already flows goes on (it is
// peer to peer); one still being set up cannot, and fails.
func (p *Phone) onDisconnected(err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.emit(Event{Kind: EventServer, Connected: false})
	c := p.call
	if c == nil || c.state == InCall {
		return
	}
	if c.dialed != nil {
		c.dialed <- dialOutcome{err: &EndedError{Reason: signal.ReasonFailed, Err: fmt.Errorf("%w: %v", ErrNotConnected, err)}}
		c.dialed = nil
	}
	p.abandoned = 0 // the server forgets invites with the connection
	p.closeSessionLater(p.endLocked(signal.ReasonFailed, err))
}

// startSessionLocked creates c's Session, wired to the phone.
func (p *Phone) startSessionLocked(c *activeCall) error {
	servers := append(p.client.Config().ICEServers, p.cfg.ICEServers...)
	sess, err := NewSession(SessionConfig{
		API:          p.api,
		Local:        p.cfg.Media,
		RemoteVideo:  p.cfg.RemoteVideo,
		RemoteAudio:  p.cfg.RemoteAudio,
		ICEServers:   servers,
		Logger:       p.cfg.Logger,
		OnCandidate:  func(cand signal.Candidate) { p.onLocalCandidate(c, cand) },
		OnState:      func(s PeerState) { p.onPeerState(c, s) },
		OnFirstFrame: func() { p.onFirstFrame(c) },
	})
	if err != nil {
		return err
	}
	c.sess = sess
	c.timer = time.AfterFunc(p.cfg.ConnectTimeout, func() {
		p.mu.Lock()
		stuck := p.call == c && c.state == Connecting
		p.mu.Unlock()
		if stuck {
			p.fail(c, errors.New("media did not connect in time"))
		}
	})
	return nil
}

func (p *Phone) onLocalCandidate(c *activeCall, cand signal.Candidate) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.call == c {
		p.queue(signal.Message{Type: signal.TypeCandidate, Call: c.id, Candidate: &cand})
	}
}

func (p *Phone) onPeerState(c *activeCall, s PeerState) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.call != c {
		return
	}
	switch s {
	case PeerConnected:
		if c.grace != nil {
			c.grace.Stop() // back within the grace period
			c.grace = nil
		}
		if !c.iceUp {
			c.iceUp = true
			// A call without video (a browser without a camera) is in call once audio can
			// flow; give the first frame a moment first.
			time.AfterFunc(noVideoWait, func() { p.onFirstFrame(c) })
		}
		p.maybeInCallLocked(c)
	case PeerDisconnected, PeerClosed:
		// Lost, or closed by the other end (we close ours only after it stopped being p.call).
		// The server's "ended" usually follows with the true reason; if neither it nor the
		// media comes back within the grace period, the call failed.
		if c.grace == nil {
			c.grace = time.AfterFunc(p.cfg.DisconnectGrace, func() {
				p.mu.Lock()
				lost := p.call == c && c.sess.Stats().State != PeerConnected
				p.mu.Unlock()
				if lost {
					p.fail(c, errors.New("the other end vanished"))
				}
			})
		}
	case PeerFailed:
		p.closer.Add(1)
		go func() {
			defer p.closer.Done()
			p.fail(c, errors.New("media connection failed"))
		}()
	case PeerNew, PeerConnecting:
	}
}

func (p *Phone) onFirstFrame(c *activeCall) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.call == c {
		c.framed = true
		p.maybeInCallLocked(c)
	}
}

// maybeInCallLocked moves a connecting call to InCall once ICE is up and a frame was decoded,
// and tells the server.
func (p *Phone) maybeInCallLocked(c *activeCall) {
	if c.state != Connecting || !c.iceUp || !c.framed {
		return
	}
	c.timer.Stop()
	p.setStateLocked(c, InCall)
	p.queue(signal.Message{Type: signal.TypeConnected, Call: c.id})
}

// fail ends c, if it is still the phone's call, as Failed and tells the server.
func (p *Phone) fail(c *activeCall, err error) {
	p.mu.Lock()
	if p.call != c {
		p.mu.Unlock()
		return
	}
	if c.id != "" {
		p.queue(signal.Message{Type: signal.TypeHangup, Call: c.id})
	}
	sess := p.endLocked(signal.ReasonFailed, err)
	p.mu.Unlock()
	p.closeSession(sess)
}

func (p *Phone) setStateLocked(c *activeCall, s State) {
	c.state = s
	p.log.Info("call state", "call", c.id, "state", s.String(), "direction", c.dir.String())
	p.emit(Event{Kind: EventCall, State: s, Direction: c.dir, Call: c.id, Party: c.party})
}

// endLocked ends the current call with reason, emits Ended or Failed, and returns its session
// for the caller to close after unlocking (closing waits for callbacks that take p.mu).
func (p *Phone) endLocked(reason signal.Reason, err error) *Session {
	c := p.call
	if c == nil {
		return nil
	}
	p.call = nil
	for _, t := range []*time.Timer{c.timer, c.grace} {
		if t != nil {
			t.Stop()
		}
	}
	if c.dialed != nil {
		c.dialed <- dialOutcome{err: &EndedError{Reason: reason}}
		c.dialed = nil
	}
	if c.id == "" {
		return c.sess
	}
	state := Ended
	if reason == signal.ReasonFailed {
		state = Failed
	}
	c.state = state
	p.log.Info("call over", "call", c.id, "state", state.String(), "reason", reason, "err", err)
	p.emit(Event{Kind: EventCall, State: state, Direction: c.dir, Call: c.id, Party: c.party, Reason: reason})
	return c.sess
}

// closeSession closes sess (if any); never call it with p.mu held.
func (p *Phone) closeSession(sess *Session) {
	if sess == nil {
		return
	}
	if err := sess.Close(); err != nil {
		p.log.Warn("closing session", "err", err)
	}
}

// closeSessionLater closes sess on its own goroutine; safe with p.mu held. Run waits for it.
func (p *Phone) closeSessionLater(sess *Session) {
	if sess == nil {
		return
	}
	p.closer.Add(1)
	go func() {
		defer p.closer.Done()
		p.closeSession(sess)
	}()
}
