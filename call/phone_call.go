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

// handle acts on one message from the server.
func (l *loop) handle(m signal.Message) {
	switch m.Type {
	case signal.TypeWelcome, signal.TypeConfig:
		if m.Type == signal.TypeWelcome {
			l.connected = true
			l.queueStatus()
			l.resume()
		}
		l.configSeq++
		l.dirty = true
	case signal.TypePresence:
		l.dirty = true // the client applied it to the configuration
	case signal.TypeRinging:
		l.onRinging(m)
	case signal.TypeRing:
		l.onRing(m)
	case signal.TypeAccepted:
		l.onAccepted(m)
	case signal.TypeOffer, signal.TypeAnswer, signal.TypeCandidate:
		l.onNegotiation(m)
	case signal.TypeRestart:
		l.onRestartAsked(m)
	case signal.TypeJoined:
		l.onJoined(m)
	case signal.TypeParticipant:
		l.onParticipant(m)
	case signal.TypeLive:
		l.onLive(m)
	case signal.TypeEnded:
		l.onEnded(m)
	case signal.TypeError:
		l.onError(m)
	default:
		l.p.log.Debug("ignoring message", "type", m.Type)
	}
}

// current returns the call a message is about, or nil if it is not the phone's call.
func (l *loop) current(id string) *activeCall {
	if l.call == nil || l.call.info.ID == "" || l.call.info.ID != id {
		return nil
	}
	return l.call
}

func (l *loop) onRinging(m signal.Message) {
	c := l.call
	if c == nil || c.dialed == nil || c.info.ID != "" {
		if l.abandoned > 0 {
			// The answer to an invite whose Dial gave up: cancel that call.
			l.abandoned--
			l.forget(m.Call)
			l.send(signal.Message{Type: signal.TypeHangup, Call: m.Call})
		}
		return
	}
	c.info.ID = m.Call
	c.dialed <- dialOutcome{call: m.Call}
	c.dialed = nil
	l.setState(c, Ringing)
}

func (l *loop) onRing(m signal.Message) {
	if l.call != nil && l.call.info.ID == m.Call {
		return // a repeated ring for the call we already have
	}
	if l.call != nil || l.stopped {
		// One call at a time: the server may already refuse a second one as busy; if not, we do.
		l.p.log.Info("declining a call while busy", "call", m.Call)
		l.send(signal.Message{Type: signal.TypeDecline, Call: m.Call})
		return
	}
	c := &activeCall{info: CallInfo{ID: m.Call, Direction: Incoming, Party: *m.From}}
	c.grp.rungIn = len(m.Participants) > 0 // added to a call in progress
	l.call = c
	l.applyMedia()
	l.setState(c, Ringing)
	if l.p.cfg.AutoAnswer {
		_ = l.answer(c.info.ID) // a failure ends the call, which the snapshot shows
	}
}

// onAccepted starts the caller's side: the session and its offer.
func (l *loop) onAccepted(m signal.Message) {
	c := l.current(m.Call)
	if c == nil || c.info.Direction != Outgoing || c.info.State != Ringing {
		return
	}
	if err := l.startSession(c); err != nil {
		l.fail(c, err)
		return
	}
	c.grp.offerer = true
	l.setState(c, Connecting)
	sdp, err := c.sess.CreateOffer()
	if err != nil {
		l.fail(c, err)
		return
	}
	l.send(signal.Message{Type: signal.TypeOffer, Call: c.info.ID, SDP: sdp})
}

// onNegotiation applies the other end's offer, answer or candidate.
func (l *loop) onNegotiation(m signal.Message) {
	c := l.current(m.Call)
	if c != nil && l.routeNegotiation(c, m) {
		return // a pair of a group call besides the first
	}
	if c == nil || c.sess == nil {
		l.p.log.Debug("negotiation for no live session", "type", m.Type, "call", m.Call)
		return
	}
	var err error
	switch m.Type {
	case signal.TypeOffer:
		if c.sess.Offering() {
			// An offer crossing ours (pion cannot withdraw one): ours goes first. This end
			// only offers as the caller; send it again, since the other end is there.
			l.p.log.Info("the other end's offer crossed ours; ours goes first", "call", m.Call)
			if sdp, err := c.sess.RestartICE(); err == nil {
				l.send(signal.Message{Type: signal.TypeOffer, Call: c.info.ID, SDP: sdp})
			}
			return
		}
		var answer string
		if answer, err = c.sess.HandleOffer(m.SDP); err == nil {
			c.remoteRestart = c.info.State == InCall
			l.send(signal.Message{Type: signal.TypeAnswer, Call: c.info.ID, SDP: answer})
		}
	case signal.TypeAnswer:
		if err = c.sess.HandleAnswer(m.SDP); err != nil && c.info.Reconnecting {
			// The answer to a restart offer that a later one replaced: the next restart
			// brings the media back, or the outage limit ends the call.
			l.p.log.Info("stale answer while reconnecting", "call", m.Call, "err", err)
			err = nil
		}
	case signal.TypeCandidate:
		if err = c.sess.AddCandidate(*m.Candidate); err != nil {
			// One bad candidate does not doom the call; ICE failure will, if it comes to that.
			l.p.log.Warn("remote candidate rejected", "call", m.Call, "err", err)
			err = nil
		}
	}
	if err != nil {
		l.fail(c, err)
	}
}

func (l *loop) onEnded(m signal.Message) {
	if l.isOver(m.Call) {
		return // the end of a call that is over here already
	}
	c := l.call
	if c != nil && c.info.ID == "" && c.dialed != nil {
		// The invite was refused outright (the callee is offline, say).
		c.dialed <- dialOutcome{err: &EndedError{Reason: m.Reason}}
		c.dialed = nil
		l.call = nil
		l.applyMedia()
		return
	}
	if c == nil && l.abandoned > 0 && m.Call != "" {
		l.abandoned-- // an abandoned invite was refused anyway
		return
	}
	if l.current(m.Call) == nil {
		return
	}
	l.end(m.Reason, nil)
}

func (l *loop) onError(m signal.Message) {
	err := &signal.Error{Code: m.Code, Message: m.Message}
	if l.joinRefused(m, err) {
		return
	}
	if l.isOver(m.Call) {
		return // about a call that is over here already
	}
	c := l.call
	if c != nil && c.info.ID == "" && c.dialed != nil && m.Call == "" {
		// An error about no call in particular, while an invite waits: the invite's refusal.
		c.dialed <- dialOutcome{err: &EndedError{Reason: reasonFor(m.Code), Err: err}}
		c.dialed = nil
		l.call = nil
		l.applyMedia()
		return
	}
	l.p.log.Warn("server reported an error", "code", m.Code, "call", m.Call, "message", m.Message)
	if c := l.current(m.Call); c != nil && m.Code == signal.CodeNoSuchCall {
		if c.info.Reconnecting {
			// The other end is away from the server too (changing networks, say): what we
			// sent it is lost, and the restarts go on until it resumes the call or the
			// outage limit ends it.
			return
		}
		// The server no longer knows our call (it restarted, say): it is over.
		l.end(signal.ReasonFailed, err)
	}
}

// onDisconnected reacts to losing the server. A call whose media already flows goes on (it is
// peer to peer); one still being set up cannot, and fails.
func (l *loop) onDisconnected(err error) {
	l.connected = false
	l.dirty = true
	l.abandoned = 0 // the server forgets invites with the connection
	c := l.call
	if c != nil && c.info.State == InCall && c.info.Reconnecting {
		c.away = true // what the other end sent meanwhile may be lost: ask again when back
	}
	if c == nil || c.info.State == InCall {
		return
	}
	if c.dialed != nil {
		c.dialed <- dialOutcome{err: &EndedError{Reason: signal.ReasonFailed,
			Err: fmt.Errorf("%w: %v", ErrNotConnected, err)}}
		c.dialed = nil
	}
	l.end(signal.ReasonFailed, err)
}

// startSession creates c's Session, the call's first pair. Its callbacks run on pion's
// goroutines: they only post work to the loop (see newPairSession).
func (l *loop) startSession(c *activeCall) error {
	p := l.p
	sess, err := l.newPairSession(c, l.firstPeer(c), false)
	if err != nil {
		return err
	}
	c.sess = sess
	p.session.Store(sess)
	l.applyMedia()
	l.after(c, p.cfg.ConnectTimeout, func(l *loop) {
		if c.info.State == Connecting {
			l.fail(c, errors.New("media did not connect in time"))
		}
	})
	return nil
}

func (l *loop) onPeerState(c *activeCall, s PeerState) {
	if l.call != c {
		return
	}
	switch s {
	case PeerConnected:
		if c.grace != nil {
			c.grace.Stop() // back within the grace period
			c.grace = nil
		}
		l.recovered(c)
		if !c.iceUp {
			c.iceUp = true
			// A call without video (a browser without a camera) is in call once audio can
			// flow; give the first frame a moment first.
			l.after(c, noVideoWait, func(l *loop) { l.onFirstFrame(c) })
		}
		l.maybeInCall(c)
	case PeerClosed:
		// Closed by the other end (we close ours only after it stopped being the call). The
		// server's "ended" usually follows with the true reason; if neither it nor the media
		// comes back within the grace period, the call failed.
		if c.grace == nil {
			c.grace = l.after(c, l.p.cfg.DisconnectGrace, func(l *loop) {
				c.grace = nil
				if c.sess.Stats().State != PeerConnected {
					l.fail(c, errors.New("the other end vanished"))
				}
			})
		}
	case PeerDisconnected, PeerFailed, PeerConnecting:
		// Connecting again, in call: the other end restarted ICE (its restart offer can come
		// before this end noticed the loss).
		if c.info.State != InCall {
			if s == PeerFailed {
				l.fail(c, errors.New("media connection failed"))
			}
			return // still setting up: the connect timeout covers it
		}
		l.outage(c)
	case PeerNew:
	}
}

func (l *loop) onFirstFrame(c *activeCall) {
	if l.call == c {
		c.framed = true
		l.maybeInCall(c)
	}
}

// maybeInCall moves a connecting call to InCall once ICE is up and a frame was decoded, and
// tells the server.
func (l *loop) maybeInCall(c *activeCall) {
	if c.info.State != Connecting || !c.iceUp || !c.framed {
		return
	}
	l.setState(c, InCall)
	l.send(signal.Message{Type: signal.TypeConnected, Call: c.info.ID})
}
