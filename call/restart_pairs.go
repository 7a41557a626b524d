package call

import "bedside/call/signal"

// Restart requests. In each pair only the end that offered it restarts ICE, so that two offers
// never cross (pion cannot withdraw one). The other end, when its own address went (it moved
// to another network, see watchNetwork), knows at once that the pair's path is dead, long
// before the offerer notices that packets stopped: once it is back on the server it asks the
// offerer with a restart message, and the offerer restarts now.

// askRestart asks the other end of c's first pair, which offered it, to restart ICE, when
// this end's address went during the outage (or its server connection did: a restart offer
// sent meanwhile was lost, and goes again at once), the server can carry the request, and no
// restart offer came since. It runs when the outage starts and each time the server
// connection comes back (resume), so a request lost with a connection goes again on the next.
func (l *loop) askRestart(c *activeCall) {
	if !(c.moved || c.away) || c.remoteRestart || !l.connected {
		return
	}
	l.p.log.Info("asking the other end to restart ICE", "call", c.info.ID)
	l.send(signal.Message{Type: signal.TypeRestart, Call: c.info.ID})
}

// onRestartAsked honours the other end's request to restart ICE on a pair this end offered:
// the call says it is reconnecting (it may not have noticed the loss yet) and the restart
// offer goes at once, or the one still waiting for its answer goes again (the other end was
// away from the server when it went).
func (l *loop) onRestartAsked(m signal.Message) {
	c := l.current(m.Call)
	if c == nil || c.info.State != InCall {
		return // a call still being set up has its connect timeout
	}
	if m.Peer != "" && m.Peer != l.firstPeer(c) && m.Peer != l.ownID() {
		if gp := c.grp.peers[m.Peer]; gp != nil {
			l.pairRestartAsked(c, gp)
			return
		}
		if c.grp.grouped || len(c.grp.peers) > 0 {
			l.p.log.Debug("restart asked for no pair", "call", m.Call, "peer", m.Peer)
			return
		}
	}
	if c.sess == nil || !c.grp.offerer {
		l.p.log.Info("restart asked of the end that did not offer", "call", m.Call)
		return
	}
	l.p.log.Info("the other end asks for an ICE restart", "call", c.info.ID)
	c.asked = true
	if !c.info.Reconnecting {
		l.outage(c) // restarts
		return
	}
	l.restartICE(c)
}

// pairRestartAsked is onRestartAsked for a group pair besides the first.
func (l *loop) pairRestartAsked(c *activeCall, gp *groupPeer) {
	if !gp.offerer || !gp.up {
		l.p.log.Info("restart asked of the end that did not offer", "call", c.info.ID, "peer", gp.party.ID)
		return
	}
	l.p.log.Info("a participant asks for an ICE restart", "call", c.info.ID, "peer", gp.party.ID)
	if !gp.reconn {
		l.pairOutage(c, gp) // restarts
		return
	}
	l.restartPeer(c, gp)
}

// restartPairs restarts ICE on the group pairs (besides the first) whose media is lost, or
// asks their offerers to: the server connection is back.
func (l *loop) restartPairs(c *activeCall) {
	for _, gp := range c.grp.peers {
		l.restartPeer(c, gp)
	}
}

// pairsAddressLost: this end's address went, so the media of every group pair is lost too.
func (l *loop) pairsAddressLost(c *activeCall) {
	for _, gp := range c.grp.peers {
		if !gp.up {
			continue // still setting up: its connect timeout covers it
		}
		gp.moved = true
		if !gp.reconn {
			l.pairOutage(c, gp)
		}
	}
}

// pairOutage reacts to a group pair losing its media: the participant shows as reconnecting,
// the pair is given up after OutageLimit, and its offerer restarts ICE.
func (l *loop) pairOutage(c *activeCall, gp *groupPeer) {
	gp.reconn = true
	if pp := c.grp.people[gp.party.ID]; pp != nil {
		pp.state = PartReconnecting
		l.dirty = true
	}
	gp.outage = l.after(c, l.p.cfg.OutageLimit, func(l *loop) {
		if c.grp.peers[gp.party.ID] == gp && gp.reconn {
			l.lostPeer(c, gp)
		}
	})
	l.restartPeer(c, gp)
}

// restartPeer restarts ICE on a group pair this end offered, now and again every RestartEvery
// while its media is lost. On a pair it did not offer, it asks the offerer for a restart when
// its own address went (see askRestart).
func (l *loop) restartPeer(c *activeCall, gp *groupPeer) {
	if !gp.reconn || c.grp.peers[gp.party.ID] != gp {
		return
	}
	if !gp.offerer {
		if gp.moved && l.connected {
			l.p.log.Info("asking a participant to restart ICE", "call", c.info.ID, "peer", gp.party.ID)
			l.send(signal.Message{Type: signal.TypeRestart, Call: c.info.ID, Peer: gp.party.ID})
		}
		return
	}
	if gp.retry != nil {
		gp.retry.Stop()
	}
	gp.retry = l.after(c, l.p.cfg.RestartEvery, func(l *loop) { l.restartPeer(c, gp) })
	if !l.connected {
		return
	}
	sdp, err := gp.sess.RestartICE()
	if err != nil {
		l.p.log.Warn("ICE restart", "peer", gp.party.ID, "err", err)
		return
	}
	l.send(signal.Message{Type: signal.TypeOffer, Call: c.info.ID, Peer: gp.party.ID, SDP: sdp})
}
