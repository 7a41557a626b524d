package call

import "bedside/call/signal"

// newPairSession makes the Session of one pair of c (peer is the participant at its other end)
// with callbacks that find their pair on the loop: a pair can become the first (dropFirst), so
// they look it up by session rather than keep what it was. noVideoIn makes its video
// send-only (the decode cap).
func (l *loop) newPairSession(c *activeCall, peer string, noVideoIn bool) (*Session, error) {
	p := l.p
	c.grp.init()
	servers := append(p.client.Config().ICEServers, p.cfg.ICEServers...)
	video, audio := p.cfg.RemoteVideo, p.cfg.RemoteAudio
	var release func()
	switch {
	case p.cfg.RemoteFor != nil:
		video, audio, release = p.cfg.RemoteFor(peer)
	case c.sess != nil || len(c.grp.peers) > 0:
		// One sink each for a call of two: further pairs are decoded and counted only.
		video, audio = nil, nil
	}
	var sess *Session
	var err error
	sess, err = NewSession(SessionConfig{
		API:         p.api,
		Local:       p.cfg.Media,
		RemoteVideo: video,
		RemoteAudio: audio,
		ICEServers:  servers,
		Logger:      p.cfg.Logger,
		NoVideoIn:   noVideoIn,
		OnCandidate: func(cand signal.Candidate) {
			p.post(func(l *loop) { l.onPairCandidate(c, sess, cand) })
		},
		OnState:      func(s PeerState) { p.post(func(l *loop) { l.onPairState(c, sess, s) }) },
		OnFirstFrame: func() { p.post(func(l *loop) { l.onPairFrame(c, sess) }) },
		OnLinkRate:   func(bps int) { p.post(func(l *loop) { l.onLinkRate(c, sess, bps) }) },
	})
	if err != nil {
		if release != nil {
			release()
		}
		return nil, err
	}
	if !noVideoIn {
		c.grp.videoIn++
	}
	if release != nil {
		c.grp.sinks[sess] = release
	}
	return sess, nil
}

// The callbacks of a pair's session, on the loop.

func (l *loop) onPairCandidate(c *activeCall, sess *Session, cand signal.Candidate) {
	switch {
	case l.call != c:
	case c.sess == sess:
		l.send(signal.Message{Type: signal.TypeCandidate, Call: c.info.ID, Candidate: &cand})
	default:
		if gp := c.pairOf(sess); gp != nil {
			l.send(signal.Message{Type: signal.TypeCandidate, Call: c.info.ID, Peer: gp.party.ID, Candidate: &cand})
		}
	}
}

func (l *loop) onPairState(c *activeCall, sess *Session, s PeerState) {
	switch {
	case l.call != c:
	case c.sess == sess:
		l.onPeerState(c, s)
	default:
		if gp := c.pairOf(sess); gp != nil {
			l.onGroupState(c, gp, s)
		}
	}
}

func (l *loop) onPairFrame(c *activeCall, sess *Session) {
	if l.call == c && c.sess == sess {
		l.onFirstFrame(c)
	}
}

// groupSend names the pair of a message for the first pair once the call is a group call
// (the server then needs to know which pair it is for); in a call of two it leaves Peer empty,
// as clients always did.
func (l *loop) groupSend(m *signal.Message) {
	c := l.call
	if c == nil || !c.grp.grouped || m.Peer != "" || m.Call != c.info.ID {
		return
	}
	switch m.Type {
	case signal.TypeOffer, signal.TypeAnswer, signal.TypeCandidate, signal.TypeRestart:
		m.Peer = l.firstPeer(c)
	}
}
