package call

import (
	"errors"

	"bedside/call/signal"
)

// errOutage is why a call that lost its media for longer than Config.OutageLimit failed.
var errOutage = errors.New("the network did not come back in time")

// outage reacts to a call in progress losing its media: the snapshot says it is reconnecting,
// the caller restarts ICE (now, and every RestartEvery while it lasts), and the call fails if
// the media is not back within OutageLimit. The callee waits for the caller's restart offer,
// so that the two ends never offer at once.
func (l *loop) outage(c *activeCall) {
	if c.info.Reconnecting {
		return
	}
	c.info.Reconnecting = true
	l.dirty = true
	l.p.log.Info("call media lost; reconnecting", "call", c.info.ID)
	c.outage = l.after(c, l.p.cfg.OutageLimit, func(l *loop) { l.fail(c, errOutage) })
	// The network may have changed under us (a tablet roaming to another access point): the
	// server connection is then dead too, and noticing it would take a missed ping or two.
	// Reconnect now; the call is resumed on the new connection (see resume).
	// Until the new connection's welcome (resume) nothing can reach the other end.
	l.p.client.Reconnect()
	l.connected = false
	l.restartICE(c)
}

// recovered ends an outage once the media flows again.
func (l *loop) recovered(c *activeCall) {
	if !c.info.Reconnecting {
		return
	}
	c.info.Reconnecting = false
	l.dirty = true
	for _, t := range []Timer{c.outage, c.retry} {
		if t != nil {
			t.Stop()
		}
	}
	c.outage, c.retry = nil, nil
	l.p.log.Info("call media back", "call", c.info.ID)
}

// restartICE sends the other end an offer that restarts ICE, if this end offered the pair and
// the server can carry it; otherwise it tries again when the server is back (see resume). It
// tries again every RestartEvery while the call is reconnecting: a restart offer or its
// answer can be lost with the network.
func (l *loop) restartICE(c *activeCall) {
	if !c.info.Reconnecting || !c.grp.offerer || c.sess == nil {
		return
	}
	if c.retry != nil {
		c.retry.Stop()
	}
	c.retry = l.after(c, l.p.cfg.RestartEvery, func(l *loop) {
		c.retry = nil
		l.restartICE(c)
	})
	if !l.connected {
		return
	}
	sdp, err := c.sess.RestartICE()
	if err != nil {
		l.p.log.Warn("ICE restart", "call", c.info.ID, "err", err)
		return
	}
	l.p.log.Info("restarting ICE", "call", c.info.ID)
	l.send(signal.Message{Type: signal.TypeOffer, Call: c.info.ID, SDP: sdp})
}

// resume tells a server we (re)connected to that our call in progress goes on, and restarts
// its ICE if its media is lost.
func (l *loop) resume() {
	c := l.call
	if c == nil || c.info.ID == "" || c.info.State != InCall {
		return
	}
	m := signal.Message{Type: signal.TypeResume, Call: c.info.ID, Side: signal.SideCallee}
	if c.info.Direction == Outgoing {
		m.Side = signal.SideCaller
	}
	if l.p.cfg.Signer != nil {
		m.To = c.info.Party.ID // the contact at the other end
	}
	l.send(m)
	l.restartICE(c)
}
