package call

import (
	"context"
	"fmt"

	"bedside/call/media"
	"bedside/call/signal"
)

// LiveCall is a call of a family end's patient in progress, as the server's live message says.
type LiveCall struct {
	Call         string         // empty: none
	Participants []signal.Party // who is in it
	CanJoin      bool           // this end may join it (Join)
}

func (lc LiveCall) clone() LiveCall {
	lc.Participants = append([]signal.Party(nil), lc.Participants...)
	return lc
}

// RemoteSinks gives the sinks of one participant's picture and sound in a group call, and a
// function to release them once that pair is over (it may be nil). See Config.RemoteFor.
type RemoteSinks func(peer string) (video media.VideoSink, audio media.AudioSink, release func())

// Join joins the call in progress callID (a family end, from Snapshot.Live). It returns once
// the server let this end in: from then on the call shows in the snapshots, and this end offers
// to everyone in it. A refusal (not allowed, full, over) is a *signal.Error wrapped in an
// *EndedError; ErrBusy when this phone already has a call.
func (p *Phone) Join(ctx context.Context, callID string) error {
	if !signal.ValidID(callID) {
		return fmt.Errorf("%w: malformed call id", ErrConfig)
	}
	reply := make(chan dialOutcome, 1)
	o, err := ask(ctx, p, reply, func(l *loop) { l.join(callID, reply) })
	if err != nil {
		if ctx.Err() != nil {
			p.post(func(l *loop) { l.abandonJoin(reply) })
		}
		return fmt.Errorf("call: join: %w", err)
	}
	return o.err
}

// Add rings contactID into the current call (the tablet, or a family member allowed to). The
// ringing, and whether they join, decline or miss it, shows in the snapshot's Participants.
func (p *Phone) Add(ctx context.Context, contactID string) error {
	if !signal.ValidID(contactID) {
		return fmt.Errorf("%w: malformed contact id", ErrConfig)
	}
	reply := make(chan error, 1)
	err, askErr := ask(ctx, p, reply, func(l *loop) { reply <- l.add(contactID) })
	if askErr != nil {
		return fmt.Errorf("call: add: %w", askErr)
	}
	return err
}

// PeerStats returns the media figures of each pair of the current call, by participant id.
func (p *Phone) PeerStats(ctx context.Context) (map[string]Stats, error) {
	reply := make(chan map[string]Stats, 1)
	return ask(ctx, p, reply, func(l *loop) {
		out := map[string]Stats{}
		if c := l.call; c != nil {
			if c.sess != nil {
				out[l.firstPeer(c)] = c.sess.Stats()
			}
			for id, gp := range c.grp.peers {
				out[id] = gp.sess.Stats()
			}
		}
		reply <- out
	})
}

func (l *loop) join(callID string, reply chan dialOutcome) {
	switch {
	case l.stopped:
		reply <- dialOutcome{err: ErrClosed}
		return
	case l.call != nil:
		reply <- dialOutcome{err: ErrBusy}
		return
	case !l.connected:
		reply <- dialOutcome{err: ErrNotConnected}
		return
	}
	c := &activeCall{info: CallInfo{Direction: Outgoing}, dialed: reply, origin: reply}
	c.grp.joinCall = callID
	c.grp.grouped = true
	l.call = c
	l.applyMedia()
	l.send(signal.Message{Type: signal.TypeJoin, Call: callID})
}

// abandonJoin forgets a Join that gave up before the server let it in (its joined, if it
// comes, is answered with a hang-up), or hangs up the call it was let into meanwhile.
func (l *loop) abandonJoin(origin chan dialOutcome) {
	if c := l.call; c != nil && c.origin == origin {
		l.hangup()
	}
}

// cancelJoin gives up a Join that the server has not answered yet.
func (l *loop) cancelJoin(c *activeCall) {
	if c.dialed != nil {
		c.dialed <- dialOutcome{err: &EndedError{Reason: signal.ReasonCancelled}}
		c.dialed = nil
	}
	l.call = nil
	l.applyMedia()
}

// joinRefused handles the server's refusal of a Join. It reports whether m was that.
func (l *loop) joinRefused(m signal.Message, err *signal.Error) bool {
	c := l.call
	if c == nil || c.grp.joinCall == "" || (m.Call != "" && m.Call != c.grp.joinCall) {
		return false
	}
	l.p.log.Info("join refused", "call", c.grp.joinCall, "code", m.Code)
	if c.dialed != nil {
		c.dialed <- dialOutcome{err: &EndedError{Reason: reasonFor(m.Code), Err: err}}
		c.dialed = nil
	}
	l.call = nil
	l.applyMedia()
	return true
}

func (l *loop) add(contactID string) error {
	c := l.call
	if c == nil || c.info.ID == "" || c.info.State.Over() {
		return ErrNoSuchCall
	}
	if c.info.State == Ringing {
		return fmt.Errorf("%w: add while ringing", ErrBadState)
	}
	l.send(signal.Message{Type: signal.TypeAdd, Call: c.info.ID, To: contactID})
	return nil
}

// onLive notes a call of this family end's patient in progress (or its end).
func (l *loop) onLive(m signal.Message) {
	if len(m.Participants) == 0 {
		if l.live.Call == m.Call || m.Call == "" {
			l.live = LiveCall{}
		}
	} else {
		l.live = LiveCall{Call: m.Call, Participants: append([]signal.Party(nil), m.Participants...), CanJoin: m.CanJoin}
	}
	l.dirty = true
}
