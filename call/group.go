package call

import "bedside/call/signal"

// Group calls. A call is a set of participants joined by a full mesh of peer connections: this
// end has one Session per other participant. The call's first pair (the other end of a call of
// two) keeps the fields of activeCall (sess, iceUp, the outage timers...), so that a call of
// two runs exactly as it always did; every further pair is a groupPeer, keyed by participant
// id. When the first pair's participant leaves, another pair takes its place (promote).
//
// Who offers: the newcomer offers to everyone already in the call; in each pair, the side that
// offered restarts ICE when the pair's media is lost, and renegotiates it when the decode cap
// changes (group_cap.go), so that the two never offer at once.
//
// Here the group's state; the server's messages about the group in group_signal.go, the
// participants the snapshot shows in group_people.go, the pairs' sessions opened, lost and
// closed in group_mesh.go.

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
