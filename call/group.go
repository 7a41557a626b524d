package call

import (
	"errors"
	"slices"
	"time"

	"bedside/call/signal"
)

// Group calls. A call is a set of participants joined by a full mesh of peer connections: this
// end has one Session per other participant. The call's first pair (the other end of a call of
// two) keeps the fields of activeCall (sess, iceUp, the outage timers...), so that a call of
// two runs exactly as it always did; every further pair is a groupPeer, keyed by participant
// id. When the first pair's participant leaves, another pair takes its place (promote).
//
// Who offers: the newcomer offers to everyone already in the call; in each pair, the side that
// offered restarts ICE when the pair's media is lost, and renegotiates it when the decode cap
// changes (group_cap.go), so that the two never offer at once.

// ParticipantState is where one other participant of a call stands, as this end sees it.
type ParticipantState int

// The participant states.
const (
	PartRinging      ParticipantState = iota // rung into the call, not answered yet
	PartConnecting                           // joined; the media between us is being set up
	PartInCall                               // media flows between us
	PartReconnecting                         // the media between us was lost; getting it back
	PartDeclined                             // refused to be added (shown for a moment)
	PartMissed                               // did not answer being added (shown for a moment)
	PartLost                                 // the media between us could not be (re)made
)

func (s ParticipantState) String() string {
	switch s {
	case PartRinging:
		return "ringing"
	case PartConnecting:
		return "connecting"
	case PartInCall:
		return "in-call"
	case PartReconnecting:
		return "reconnecting"
	case PartDeclined:
		return "declined"
	case PartMissed:
		return "missed"
	case PartLost:
		return "lost"
	}
	return "unknown"
}

// Participant is one other participant of the call (or someone rung into it), in CallInfo.
type Participant struct {
	Party signal.Party // ID is the participant id (signal.DevicePeer for the tablet)
	State ParticipantState
	// Video says that their picture is coming and decoded now; NoVideo that this end asked
	// them not to send it (it decodes a few pictures only: MaxVideoIn): show their photo.
	Video   bool
	NoVideo bool
	// SoundOnlyToThem says that their link cannot carry our picture: they get our sound only.
	SoundOnlyToThem bool
	// Level is how loud they were last (0 to 1), to show who speaks.
	Level float64
}

// DefaultMaxVideoIn is how many other participants' pictures a Phone decodes at most.
const DefaultMaxVideoIn = 3

// shownFor is how long a participant who declined or missed being added stays in the list.
const shownFor = 5 * time.Second

// tileVideoGone is how long no picture may come from a participant before their tile shows
// their photo instead: longer than a call of two's theirVideoGone, so that a picture coming in
// bursts (a busy or thin link) does not flip the tile between picture and photo.
const tileVideoGone = 5 * time.Second

// groupState is the part of an activeCall that group calls add.
type groupState struct {
	peer     string // participant id of the first pair; "" while it is the default (firstPeer)
	offerer  bool   // this end offered the first pair
	grouped  bool   // the call is (or was) a group call: messages name their pair
	rungIn   bool   // rung into a call in progress: accepting is answered with joined
	joinCall string // the call a Join waits to be let into
	peers    map[string]*groupPeer
	people   map[string]*person // everyone else in the call or rung into it, the first pair's too
	order    []string           // ids of people, in the order they came
	rates    map[*Session]*pairRate
	sinks    map[*Session]func() // releases of the sinks RemoteFor gave
	videoIn  int                 // sessions that receive video
}

// groupPeer is a pair of the call besides the first.
type groupPeer struct {
	party   signal.Party
	sess    *Session
	offerer bool
	up      bool // ICE connected once
	reconn  bool
	moved   bool // this end's address went while reconn: it asks the offerer to restart
	timers  []Timer
	outage  Timer
	retry   Timer
}

// person is what the snapshot shows of one other participant.
type person struct {
	party  signal.Party
	state  ParticipantState
	frames uint64
	seenAt time.Time // when their frame count last grew
	video  bool
	level  float64
}

// ownID is this end's participant id, as the server names it to the others.
func (l *loop) ownID() string {
	if l.p.cfg.Signer != nil {
		return signal.DevicePeer
	}
	if self := l.p.client.Config().Self; self != nil {
		return self.ID
	}
	return ""
}

// firstPeer returns the participant id of c's first pair.
func (l *loop) firstPeer(c *activeCall) string {
	switch {
	case c.grp.peer != "":
		return c.grp.peer
	case l.p.cfg.Signer == nil:
		return signal.DevicePeer // a family end's call of two is with the tablet
	}
	return c.info.Party.ID
}

func (g *groupState) init() {
	if g.peers == nil {
		g.peers = map[string]*groupPeer{}
		g.people = map[string]*person{}
		g.rates = map[*Session]*pairRate{}
		g.sinks = map[*Session]func(){}
	}
}

// setPerson records p's state, adding p to the list if new.
func (l *loop) setPerson(c *activeCall, p signal.Party, s ParticipantState) *person {
	c.grp.init()
	pp := c.grp.people[p.ID]
	if pp == nil {
		pp = &person{party: p}
		c.grp.people[p.ID] = pp
		c.grp.order = append(c.grp.order, p.ID)
	}
	if p.Name != "" {
		pp.party = p
	}
	pp.state = s
	l.dirty = true
	return pp
}

func (l *loop) removePerson(c *activeCall, id string) {
	if _, ok := c.grp.people[id]; !ok {
		return
	}
	delete(c.grp.people, id)
	c.grp.order = slices.DeleteFunc(c.grp.order, func(x string) bool { return x == id })
	l.dirty = true
}

// participants lists the call's other participants for the snapshot: the first pair first.
func (l *loop) participants(c *activeCall) []Participant {
	first := l.firstPeer(c)
	var out []Participant
	add := func(id string, pp *person) {
		pt := Participant{Party: pp.party, State: pp.state, Video: pp.video, Level: pp.level}
		var sess *Session
		if id == first && c.sess != nil {
			sess = c.sess
			pt.Party = c.info.Party
			pt.Party.ID = id
			pt.State = firstState(c)
		} else if gp := c.grp.peers[id]; gp != nil {
			sess = gp.sess
		}
		if sess != nil {
			pt.NoVideo = sess.NoVideoIn()
			if r := c.grp.rates[sess]; r != nil {
				pt.SoundOnlyToThem = r.cut && !r.probing
			}
		}
		out = append(out, pt)
	}
	if pp := c.grp.people[first]; pp != nil {
		add(first, pp)
	} else if c.info.ID != "" {
		p := c.info.Party
		p.ID = first
		add(first, &person{party: p, state: firstState(c), video: c.framed && !c.info.TheirVideoStopped})
	}
	for _, id := range c.grp.order {
		if id != first {
			add(id, c.grp.people[id])
		}
	}
	return out
}

// firstState is the first pair's participant state, from the call's.
func firstState(c *activeCall) ParticipantState {
	switch {
	case c.info.Reconnecting:
		return PartReconnecting
	case c.info.State == Ringing:
		return PartRinging
	case c.info.State == InCall:
		return PartInCall
	}
	return PartConnecting
}

// onJoined: this end is let into a call in progress (after Join, or after accepting being
// added). It offers to everyone there: the tablet (or the first listed) becomes the first pair.
func (l *loop) onJoined(m signal.Message) {
	c := l.call
	if c == nil || (c.grp.joinCall != m.Call && c.info.ID != m.Call) {
		l.p.log.Info("joined a call this end no longer wants", "call", m.Call)
		l.send(signal.Message{Type: signal.TypeHangup, Call: m.Call})
		return
	}
	c.info.ID = m.Call
	c.grp.joinCall = ""
	c.grp.grouped = true
	if len(m.Participants) == 0 {
		l.fail(c, errors.New("joined a call with nobody in it"))
		return
	}
	first := m.Participants[0]
	for _, p := range m.Participants {
		if p.ID == signal.DevicePeer {
			first = p
		}
	}
	c.grp.peer, c.grp.offerer = first.ID, true
	c.info.Party = first
	if c.dialed != nil {
		c.dialed <- dialOutcome{call: m.Call}
		c.dialed = nil
	}
	for _, p := range m.Participants {
		l.setPerson(c, p, PartConnecting)
	}
	if c.sess == nil {
		if err := l.startSession(c); err != nil {
			l.fail(c, err)
			return
		}
	}
	l.setState(c, Connecting)
	sdp, err := c.sess.CreateOffer()
	if err != nil {
		l.fail(c, err)
		return
	}
	l.send(signal.Message{Type: signal.TypeOffer, Call: c.info.ID, Peer: first.ID, SDP: sdp})
	for _, p := range m.Participants {
		if p.ID != first.ID {
			l.openPeer(c, p, true)
		}
	}
}

// onParticipant follows the others: who rings, joins, declines, misses or leaves.
func (l *loop) onParticipant(m signal.Message) {
	c := l.current(m.Call)
	if c == nil || m.From == nil || m.From.ID == l.ownID() {
		return
	}
	c.grp.grouped = true
	id := m.From.ID
	switch m.Event {
	case signal.EventRinging:
		l.setPerson(c, *m.From, PartRinging)
	case signal.EventJoined:
		// The newcomer offers: its session is made when the offer comes.
		l.setPerson(c, *m.From, PartConnecting)
	case signal.EventDeclined, signal.EventMissed:
		s := PartDeclined
		if m.Event == signal.EventMissed {
			s = PartMissed
		}
		pp := l.setPerson(c, *m.From, s)
		l.after(c, shownFor, func(l *loop) {
			if c.grp.people[id] == pp && pp.state == s {
				l.removePerson(c, id)
			}
		})
	case signal.EventLeft:
		l.removePerson(c, id)
		if gp := c.grp.peers[id]; gp != nil {
			l.closePeer(c, gp)
		} else if id == l.firstPeer(c) && c.sess != nil {
			l.dropFirst(c, errLeft)
		}
		if l.call == c {
			l.reofferDeclined(c) // a place to decode our picture may have freed there
		}
	}
}

// routeNegotiation hands an offer, answer or candidate of a group call to its pair. It reports
// false for the first pair's, which onNegotiation handles as in a call of two.
func (l *loop) routeNegotiation(c *activeCall, m signal.Message) bool {
	peer := m.Peer
	if m.Type == signal.TypeOffer {
		of := peer
		if of == "" {
			of = l.firstPeer(c)
		}
		l.liftOnOffer(c, of) // before the answer is made: it carries the cap
	}
	if peer == "" || peer == l.ownID() || peer == l.firstPeer(c) {
		return false
	}
	gp := c.grp.peers[peer]
	if gp == nil && !c.grp.grouped && len(c.grp.peers) == 0 {
		// A call of two whose other end is named otherwise than this end guessed.
		c.grp.peer = peer
		return false
	}
	if gp == nil {
		if m.Type != signal.TypeOffer {
			l.p.log.Debug("negotiation for no pair", "type", m.Type, "peer", peer)
			return true
		}
		party := signal.Party{ID: peer}
		if pp := c.grp.people[peer]; pp != nil {
			party = pp.party
		}
		l.setPerson(c, party, PartConnecting)
		if gp = l.openPeer(c, party, false); gp == nil {
			return true
		}
	}
	var err error
	switch m.Type {
	case signal.TypeOffer:
		var answer string
		if answer, err = gp.sess.HandleOffer(m.SDP); err == nil {
			l.send(signal.Message{Type: signal.TypeAnswer, Call: c.info.ID, Peer: peer, SDP: answer})
		}
	case signal.TypeAnswer:
		if err = gp.sess.HandleAnswer(m.SDP); err != nil && gp.reconn {
			err = nil // the answer to a restart offer that a later one replaced
		}
	case signal.TypeCandidate:
		if err = gp.sess.AddCandidate(*m.Candidate); err != nil {
			l.p.log.Warn("remote candidate rejected", "peer", peer, "err", err)
			err = nil
		}
	}
	if err != nil {
		l.p.log.Warn("group pair failed", "call", c.info.ID, "peer", peer, "err", err)
		l.lostPeer(c, gp)
	}
	return true
}

// openPeer makes the session of a pair besides the first, and offers if this end is the
// newcomer. It returns nil (and marks the participant lost) if the session cannot be made.
func (l *loop) openPeer(c *activeCall, party signal.Party, offerer bool) *groupPeer {
	c.grp.init()
	gp := &groupPeer{party: party, offerer: offerer}
	sess, err := l.newPairSession(c, party.ID, c.grp.videoIn >= l.maxVideoIn())
	if err != nil {
		l.p.log.Warn("group pair session", "peer", party.ID, "err", err)
		l.setPerson(c, party, PartLost)
		return nil
	}
	gp.sess = sess
	c.grp.peers[party.ID] = gp
	gp.timers = append(gp.timers, l.after(c, l.p.cfg.ConnectTimeout, func(l *loop) {
		if c.grp.peers[party.ID] == gp && !gp.up {
			l.lostPeer(c, gp)
		}
	}))
	if offerer {
		sdp, err := sess.CreateOffer()
		if err != nil {
			l.lostPeer(c, gp)
			return nil
		}
		l.send(signal.Message{Type: signal.TypeOffer, Call: c.info.ID, Peer: party.ID, SDP: sdp})
	}
	return gp
}

func (l *loop) maxVideoIn() int {
	if n := l.p.cfg.MaxVideoIn; n > 0 {
		return n
	}
	return DefaultMaxVideoIn
}

// onGroupState follows a group pair's connection, as onPeerState the first pair's.
func (l *loop) onGroupState(c *activeCall, gp *groupPeer, s PeerState) {
	pp := c.grp.people[gp.party.ID]
	switch s {
	case PeerConnected:
		gp.up = true
		if gp.reconn {
			gp.reconn, gp.moved = false, false
			for _, t := range []Timer{gp.outage, gp.retry} {
				if t != nil {
					t.Stop()
				}
			}
			gp.outage, gp.retry = nil, nil
		}
		if pp != nil {
			pp.state = PartInCall
			l.dirty = true
		}
	case PeerDisconnected, PeerFailed, PeerConnecting:
		// Connecting again after being up: the other end restarted the pair's ICE, its path
		// lost before ours noticed (its restart offer can arrive before our own timeout).
		if !gp.up || gp.reconn {
			return // still setting up (the connect timeout covers it), or already on it
		}
		l.pairOutage(c, gp)
	case PeerClosed, PeerNew:
		// Closed by the other end: the server's "left" follows.
	}
}

// lostPeer gives up a group pair whose media could not be made or came back: the participant
// shows as lost until the server says they left.
func (l *loop) lostPeer(c *activeCall, gp *groupPeer) {
	if pp := c.grp.people[gp.party.ID]; pp != nil {
		pp.state = PartLost
		l.dirty = true
	}
	l.closePeer(c, gp)
}

// closePeer closes a group pair's session.
func (l *loop) closePeer(c *activeCall, gp *groupPeer) {
	if c.grp.peers[gp.party.ID] != gp {
		return
	}
	delete(c.grp.peers, gp.party.ID)
	for _, t := range append(gp.timers, gp.outage, gp.retry) {
		if t != nil {
			t.Stop()
		}
	}
	l.closeSession(c, gp.sess)
	l.applyRates(c)
	l.liftOwnCaps(c)
}

// closeSession closes sess in the background (Run waits) and releases what it held.
func (l *loop) closeSession(c *activeCall, sess *Session) {
	if sess == nil {
		return
	}
	if !sess.NoVideoIn() {
		c.grp.videoIn--
	}
	delete(c.grp.rates, sess)
	release := c.grp.sinks[sess]
	delete(c.grp.sinks, sess)
	l.p.closers.Add(1)
	go func() {
		defer l.p.closers.Done()
		if err := sess.Close(); err != nil {
			l.p.log.Warn("closing session", "err", err)
		}
		if release != nil {
			release()
		}
	}()
}

// dropFirst gives up the first pair (its participant left, or its media failed) while the
// call goes on with the others: another pair becomes the first. It reports false when there is
// no other pair: then the call is over for this end.
func (l *loop) dropFirst(c *activeCall, err error) bool {
	if len(c.grp.peers) == 0 {
		return false
	}
	old := l.firstPeer(c)
	l.p.log.Info("first pair of a group call over", "call", c.info.ID, "peer", old, "err", err)
	if pp := c.grp.people[old]; pp != nil && !errors.Is(err, errLeft) {
		pp.state = PartLost
	}
	for _, t := range []Timer{c.grace, c.outage, c.retry} {
		if t != nil {
			t.Stop()
		}
	}
	c.grace, c.outage, c.retry = nil, nil, nil
	l.p.session.CompareAndSwap(c.sess, nil)
	l.closeSession(c, c.sess)
	c.sess = nil
	// The pair that connected first, or any.
	var next *groupPeer
	for _, id := range c.grp.order {
		if gp := c.grp.peers[id]; gp != nil && (next == nil || (gp.up && !next.up)) {
			next = gp
		}
	}
	if next == nil {
		for _, gp := range c.grp.peers {
			next = gp
		}
	}
	delete(c.grp.peers, next.party.ID)
	for _, t := range append(next.timers, next.outage, next.retry) {
		if t != nil {
			t.Stop()
		}
	}
	c.sess = next.sess
	c.grp.peer, c.grp.offerer = next.party.ID, next.offerer
	c.info.Party = next.party
	if pp := c.grp.people[next.party.ID]; pp != nil && pp.party.Name != "" {
		c.info.Party = pp.party
	}
	c.iceUp, c.framed = next.up, true
	c.frames, c.framesAt, c.samples, c.samplesAt = 0, time.Time{}, 0, time.Time{}
	c.info.Reconnecting = false
	c.info.TheirVideoStopped = false
	l.p.session.Store(c.sess)
	l.dirty = true
	if c.info.State == InCall && c.sess.Stats().State != PeerConnected {
		l.outage(c)
	}
	l.applyRates(c)
	l.liftOwnCaps(c)
	return true
}

// errLeft is why the first pair ends when its participant left.
var errLeft = errors.New("left the call")

// endGroup closes every group pair of a call that ends.
func (l *loop) endGroup(c *activeCall) {
	for _, gp := range c.grp.peers {
		for _, t := range append(gp.timers, gp.outage, gp.retry) {
			if t != nil {
				t.Stop()
			}
		}
		l.closeSession(c, gp.sess)
	}
	c.grp.peers = nil
	for _, r := range c.grp.rates {
		if r.probe != nil {
			r.probe.Stop()
		}
	}
}

// checkGroupMedia, once a second, notes whose picture comes and how loud each one is.
func (l *loop) checkGroupMedia(c *activeCall, now time.Time) {
	for id, pp := range c.grp.people {
		sess := c.sess
		if id != l.firstPeer(c) {
			gp := c.grp.peers[id]
			if gp == nil {
				continue
			}
			sess = gp.sess
		}
		if sess == nil {
			continue
		}
		st := sess.Stats()
		if st.FramesDecoded != pp.frames {
			pp.frames, pp.seenAt = st.FramesDecoded, now
		}
		video := pp.frames > 0 && now.Sub(pp.seenAt) < tileVideoGone
		level := float64(int(st.AudioLevel*10)) / 10 // in tenths: a snapshot for a real change
		if video != pp.video || level != pp.level {
			pp.video, pp.level = video, level
			l.dirty = true
		}
	}
}

// pairOf returns the group pair of sess, or nil (the first pair's, or one closed since).
func (c *activeCall) pairOf(sess *Session) *groupPeer {
	for _, gp := range c.grp.peers {
		if gp.sess == sess {
			return gp
		}
	}
	return nil
}
