package call

import (
	"slices"
	"time"

	"bedside/call/signal"
)

// The participants of a group call as the snapshot shows them.

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

// shownFor is how long a participant who declined or missed being added stays in the list.
const shownFor = 5 * time.Second

// tileVideoGone is how long no picture may come from a participant before their tile shows
// their photo instead: longer than a call of two's theirVideoGone, so that a picture coming in
// bursts (a busy or thin link) does not flip the tile between picture and photo.
const tileVideoGone = 5 * time.Second

// person is what the snapshot shows of one other participant.
type person struct {
	party  signal.Party
	state  ParticipantState
	frames uint64
	seenAt time.Time // when their frame count last grew
	video  bool
	level  float64
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
