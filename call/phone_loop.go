package call

import (
	"context"
	"slices"
	"time"

	"bedside/call/signal"
)

// loop is the state of a running Phone. Only the goroutine of loop.run touches it: every
// method below runs there.
type loop struct {
	p *Phone

	connected bool
	configSeq uint64
	call      *activeCall // nil when there is no call
	last      CallInfo    // the last call that was named, kept for the snapshot once it ended
	abandoned int         // invites whose Dial gave up before the server named the call
	// over holds the ids of the calls that ended here lately: the server's "ended" for one of
	// them (its echo of our own hang-up, say) may come after a new invite left, and is not
	// that invite's refusal.
	over    []string
	seq     uint64
	dirty   bool     // something a snapshot shows changed since the last one
	stopped bool     // Run is over: refuse new work
	live    LiveCall // a call of this family page's patient in progress (group_api.go)
	// cutDelay, when set, replaces cutAfter (group_rate.go): tests.
	cutDelay *time.Duration
}

// activeCall is the phone's one call.
type activeCall struct {
	info   CallInfo
	sess   *Session
	iceUp  bool
	framed bool
	// dialed is the pending Dial's answer, until the call rings, ends or is refused; origin
	// stays, to recognise that Dial if it gives up.
	dialed chan dialOutcome
	origin chan dialOutcome
	timers []Timer // stopped when the call ends
	grace  Timer   // disconnect grace, once the other end closed its media
	outage Timer   // the outage limit, while the media is lost
	retry  Timer   // the next ICE restart, while the media is lost
	// moved says this end lost its network address during the outage (it reconnected to the
	// server already). remoteRestart says the other end restarted ICE (we answered its
	// offer): its checks are on their way, so this end waits before restarting too.
	// restartedAt is when this end last made a new restart offer. asked says the other end
	// asked for a restart (its network changed): the next one goes at once. away says this
	// end's server connection went during the outage (a cut): back, it asks for a restart.
	moved, remoteRestart, asked, away bool
	restartedAt                       time.Time
	// What came from the other end at the last checkMedia, and when it last grew.
	frames, samples     uint64
	framesAt, samplesAt time.Time
	// grp is what a group call adds: the other pairs, the participants (group.go).
	grp groupState
}

type dialOutcome struct {
	call string
	err  error
}

func newLoop(p *Phone) *loop { return &loop{p: p} }

// run serves the phone until the signaling client has stopped (its Inbound is closed), then
// ends the call and runs the work still queued, which is refused.
func (l *loop) run(ctx context.Context) {
	p := l.p
	var tick <-chan time.Time
	if p.cfg.Status != nil && p.cfg.Signer != nil {
		t := time.NewTicker(p.cfg.StatusEvery)
		defer t.Stop()
		tick = t.C
	}
	mediaTick := time.NewTicker(time.Second)
	defer mediaTick.Stop()
	in := p.client.Inbound()
	for in != nil {
		select {
		case now := <-mediaTick.C:
			l.checkMedia(now)
		case m, ok := <-in:
			switch {
			case !ok:
				in = nil
			case m.Disconnected:
				l.onDisconnected(m.Err)
			default:
				l.handle(m.Message)
			}
		case <-p.inbox.ready:
			for _, o := range p.inbox.take() {
				o(l)
			}
		case <-tick:
			if l.connected {
				l.queueStatus()
			}
		}
		l.publish()
	}
	l.stopped = true
	if l.connected {
		l.connected = false
		l.dirty = true
	}
	l.end(signal.ReasonHangup, ErrClosed)
	for _, o := range p.inbox.close() {
		o(l)
	}
	l.publish()
	close(p.done)
}

// send queues m for the server, after everything queued before it.
func (l *loop) send(m signal.Message) {
	l.groupSend(&m)
	l.p.outbox.put(m)
}

// publish makes the snapshot anew if anything in it changed, and offers it to Updates,
// replacing one that was not read yet.
func (l *loop) publish() {
	if !l.dirty {
		return
	}
	l.dirty = false
	l.seq++
	s := Snapshot{
		Seq:       l.seq,
		Connected: l.connected,
		Config:    l.p.client.Config(),
		ConfigSeq: l.configSeq,
		Call:      l.last,
		Live:      l.live.clone(),
	}
	if l.call != nil && l.call.info.ID != "" {
		s.Call = l.call.info
		s.Call.Participants = l.participants(l.call)
	}
	l.p.snap.Store(&s)
	out := s
	out.Config = copyConfig(s.Config)
	select {
	case <-l.p.updates: // not read yet: the new one replaces it
	default:
	}
	l.p.updates <- out // never blocks: the loop is the only sender
}

// after starts a timer whose work runs on the loop, for as long as c is the phone's call.
func (l *loop) after(c *activeCall, d time.Duration, f func(*loop)) Timer {
	p := l.p
	t := p.cfg.AfterFunc(d, func() {
		p.post(func(l *loop) {
			if l.call == c {
				f(l)
			}
		})
	})
	c.timers = append(c.timers, t)
	return t
}

// queueStatus queues a status message for a device that has a Status source.
func (l *loop) queueStatus() {
	p := l.p
	if p.cfg.Status == nil || p.cfg.Signer == nil {
		return
	}
	battery, version := p.cfg.Status()
	if battery < signal.BatteryUnknown || battery > 100 {
		battery = signal.BatteryUnknown
	}
	if len(version) > 64 {
		version = version[:64]
	}
	l.send(signal.Message{Type: signal.TypeStatus, Battery: &battery, AppVersion: version})
}

// setState moves c to s and logs it.
func (l *loop) setState(c *activeCall, s State) {
	c.info.State = s
	l.dirty = true
	l.p.log.Info("call state", "call", c.info.ID, "state", s.String(), "direction", c.info.Direction.String())
}

// applyMedia sets the Local's microphone and camera switches to what the call says (both on
// without a call).
func (l *loop) applyMedia() {
	local := l.p.cfg.Media
	if local == nil {
		return
	}
	muted, off := false, false
	if c := l.call; c != nil {
		muted, off = c.info.Muted, c.info.CameraOff
	}
	local.SetAudioEnabled(!muted)
	local.SetVideoEnabled(!off)
}

// setSwitch sets one of the call's switches (its Muted or CameraOff, picked by which) to on
// and applies it to the Local; without a call it does nothing.
func (l *loop) setSwitch(which func(*CallInfo) *bool, on bool) {
	c := l.call
	if c == nil || *which(&c.info) == on {
		return
	}
	*which(&c.info) = on
	l.dirty = true
	l.applyMedia()
}

func mutedSwitch(c *CallInfo) *bool     { return &c.Muted }
func cameraOffSwitch(c *CallInfo) *bool { return &c.CameraOff }

// end ends the current call with reason: it stops its timers, answers a pending Dial, keeps
// its final state for the snapshot and closes its session in the background (Run waits).
func (l *loop) end(reason signal.Reason, err error) {
	c := l.call
	if c == nil {
		return
	}
	l.call = nil
	for _, t := range c.timers {
		t.Stop()
	}
	if c.dialed != nil {
		c.dialed <- dialOutcome{err: &EndedError{Reason: reason}}
		c.dialed = nil
	}
	l.applyMedia()
	l.endGroup(c)
	l.p.client.Hurry(false)
	if c.info.ID != "" {
		l.forget(c.info.ID)
		state := Ended
		if reason == signal.ReasonFailed {
			state = Failed
		}
		c.info.State, c.info.Reason = state, reason
		l.last = c.info
		l.dirty = true
		l.p.log.Info("call over", "call", c.info.ID, "state", state.String(), "reason", reason, "err", err)
	}
	if c.sess != nil {
		l.p.session.CompareAndSwap(c.sess, nil)
		l.closeSession(c, c.sess)
	}
}

// fail ends c, if it is still the phone's call, as Failed and tells the server.
func (l *loop) fail(c *activeCall, err error) {
	if l.call != c {
		return
	}
	if c.sess != nil && l.dropFirst(c, err) {
		return // a group call goes on with the others
	}
	if c.info.ID != "" {
		// The reason tells the server (and its call log) that the call broke, not that
		// someone hung up.
		l.send(signal.Message{Type: signal.TypeHangup, Call: c.info.ID, Reason: signal.ReasonFailed})
	}
	l.end(signal.ReasonFailed, err)
}

// maxOver bounds loop.over.
const maxOver = 16

// forget notes that call id is over here.
func (l *loop) forget(id string) {
	if len(l.over) == maxOver {
		l.over = l.over[1:]
	}
	l.over = append(l.over, id)
}

// isOver reports whether call id ended here lately.
func (l *loop) isOver(id string) bool {
	return id != "" && slices.Contains(l.over, id)
}

// theirVideoGone is how long no picture may come while sound does before a call says so.
const theirVideoGone = 2 * time.Second

// checkMedia, once a second, updates what the call's snapshot says of the media: whether this
// end's video is paused for a thin link, and whether the other end's picture stopped while its
// sound goes on.
func (l *loop) checkMedia(now time.Time) {
	c := l.call
	if c != nil {
		l.checkGroupMedia(c, now)
	}
	if c == nil || c.sess == nil || c.info.State != InCall {
		return
	}
	paused := false
	if local := l.p.cfg.Media; local != nil {
		paused = local.Stats().Step.Paused
	}
	st := c.sess.Stats()
	if st.FramesDecoded != c.frames || c.framesAt.IsZero() {
		c.frames, c.framesAt = st.FramesDecoded, now
	}
	if st.AudioSamples != c.samples || c.samplesAt.IsZero() {
		c.samples, c.samplesAt = st.AudioSamples, now
	}
	// Only a picture that came and stopped counts: an end without a camera never sent one.
	stopped := c.frames > 0 && now.Sub(c.framesAt) >= theirVideoGone && now.Sub(c.samplesAt) < theirVideoGone
	if paused != c.info.VideoPaused || stopped != c.info.TheirVideoStopped {
		c.info.VideoPaused, c.info.TheirVideoStopped = paused, stopped
		l.dirty = true
	}
}
