package call

import (
	"errors"
	"time"

	"bedside/call/signal"
)

// errOutage is why a call that lost its media for longer than Config.OutageLimit failed.
var errOutage = errors.New("the network did not come back in time")

// serverCheck is how long an end that lost its media waits for the server to answer a ping
// before it takes its connection for dead and connects again.
const serverCheck = 2 * time.Second

// resendEvery is how often a restart offer still waiting for its answer is sent again: the
// other end may have been away from the server (a cut, a new network) when it went, and be
// back now. The same offer goes again; a new one only every RestartEvery.
const resendEvery = time.Second

// outage reacts to a call in progress losing its media: the snapshot says it is reconnecting,
// the caller restarts ICE (now, and again while it lasts, see restartICE), and the call fails
// if the media is not back within OutageLimit. The callee waits for the caller's restart offer,
// so that the two ends never offer at once (pion cannot withdraw an offer that crossed
// another); when its own network changed it asks for one at once (see askRestart). An end
// whose media went because the other end restarted ICE (remoteRestart) gives those checks
// RestartEvery before restarting itself. While the media is lost the signaling client hurries
// (client_hurry.go).
func (l *loop) outage(c *activeCall) {
	if c.info.Reconnecting {
		return
	}
	c.info.Reconnecting = true
	l.dirty = true
	l.p.client.Hurry(true)
	l.p.log.Info("call media lost; reconnecting", "call", c.info.ID, "moved", c.moved, "remote_restart", c.remoteRestart)
	c.outage = l.after(c, l.p.cfg.OutageLimit, func(l *loop) { l.fail(c, errOutage) })
	if c.remoteRestart {
		c.retry = l.after(c, l.p.cfg.RestartEvery, func(l *loop) {
			c.retry = nil
			l.restartICE(c)
		})
		return
	}
	// The network may have changed under us without the watch seeing an address go (the
	// same address on another access point): the server connection is then dead too, and
	// noticing it would take a missed ping. Ask for a pong now; a connection that does not
	// answer is dropped and the call resumed on the next one (see resume). A connection that
	// answers stays: the server holds a call for one end that left, not for both. An end
	// whose address went (moved) has reconnected already.
	if !c.moved && !c.asked {
		l.p.client.Check(serverCheck)
	}
	l.restartICE(c)
}

// recovered ends an outage once the media flows again.
func (l *loop) recovered(c *activeCall) {
	c.moved, c.away, c.remoteRestart, c.asked, c.restartedAt = false, false, false, false, time.Time{}
	if !c.info.Reconnecting {
		return
	}
	c.info.Reconnecting = false
	l.p.client.Hurry(false)
	l.dirty = true
	for _, t := range []Timer{c.outage, c.retry} {
		if t != nil {
			t.Stop()
		}
	}
	c.outage, c.retry = nil, nil
	l.p.log.Info("call media back", "call", c.info.ID)
}

// restartICE sends the other end an offer that restarts ICE, if this end offered the pair (in
// a call of two, placed the call) and the server can carry it; otherwise it tries again when
// the server is back (see resume). While the call is reconnecting it tries again: the same
// offer every resendEvery while it waits for its answer (it or its answer can be lost with the
// network), a new one once RestartEvery passed since the last and the media is still not back,
// or at once when the other end asked for one (its network changed: checks under way aim at
// its old address). An end that did not offer the pair asks the other for a restart instead.
func (l *loop) restartICE(c *activeCall) {
	if !c.info.Reconnecting || c.sess == nil {
		return
	}
	if !c.grp.offerer {
		l.askRestart(c)
		return
	}
	if c.retry != nil {
		c.retry.Stop()
	}
	now := time.Now()
	pending := c.sess.Offering()
	if !pending && !c.asked && !c.restartedAt.IsZero() && now.Sub(c.restartedAt) < l.p.cfg.RestartEvery {
		// The last restart was answered and its checks are under way: leave them time.
		c.retry = l.after(c, l.p.cfg.RestartEvery-now.Sub(c.restartedAt), func(l *loop) {
			c.retry = nil
			l.restartICE(c)
		})
		return
	}
	next := l.p.cfg.RestartEvery
	if l.connected {
		next = min(next, resendEvery) // an offer goes now: while unanswered, it goes again
	}
	c.retry = l.after(c, next, func(l *loop) {
		c.retry = nil
		l.restartICE(c)
	})
	if !l.connected {
		return
	}
	c.asked = false
	sdp, err := c.sess.RestartICE()
	if err != nil {
		l.p.log.Warn("ICE restart", "call", c.info.ID, "err", err)
		return
	}
	if !pending {
		c.restartedAt = now
		l.p.log.Info("restarting ICE", "call", c.info.ID)
	}
	l.send(signal.Message{Type: signal.TypeOffer, Call: c.info.ID, SDP: sdp})
}

// resume tells a server we (re)connected to that our call in progress goes on, and restarts
// the ICE of its pairs whose media is lost (or asks their offerers to).
func (l *loop) resume() {
	c := l.call
	if c == nil || c.info.ID == "" || c.info.State != InCall {
		return
	}
	m := signal.Message{Type: signal.TypeResume, Call: c.info.ID, Side: signal.SideCallee}
	if c.info.Direction == Outgoing {
		m.Side = signal.SideCaller
	}
	if l.p.cfg.Signer != nil && !c.grp.grouped {
		m.To = c.info.Party.ID // the contact at the other end (a group call has none)
	}
	l.send(m)
	l.restartICE(c)
	l.restartPairs(c)
}
