package call

import (
	"context"
	"sync"
	"testing"
	"time"

	"bedside/call/signal"
	"bedside/internal/testkit"

	"github.com/stretchr/testify/require"
)

// Mute and camera belong to a call: a patient who muted and turned the camera off in one call
// starts the next one heard and seen, and the snapshot says what each call sends.
func TestPhoneMuteAndCameraPerCall(t *testing.T) {
	hub, dev, fam := newHubPair(t, Config{AutoAnswer: true}, Config{})
	defer hub.Close()
	defer dev.stop(t)
	defer fam.stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()

	id, err := fam.Dial(ctx, "")
	require.NoError(t, err)
	c := dev.waitCall(t, id, InCall)
	require.False(t, c.Muted)
	require.False(t, c.CameraOff)
	fam.waitCall(t, id, InCall)
	hearsAndSees(t, fam)

	dev.SetMuted(true)
	dev.SetCameraOn(false)
	dev.waitSnap(t, "muted, camera off", func(s Snapshot) bool { return s.Call.Muted && s.Call.CameraOff })
	// What the snapshot says is what is sent: silence and a black picture.
	testkit.Eventually(t, "a black picture", func() bool { return fam.video.luma.Load() < 20 })
	fam.audio.peak.Store(0)
	heard := fam.audio.samples.Load()
	testkit.Eventually(t, "a second of sound", func() bool { return fam.audio.samples.Load() > heard+48000 })
	require.Less(t, fam.audio.peak.Load(), int64(300), "the muted tablet sends silence")

	require.NoError(t, fam.Hangup(ctx))
	c = dev.waitCall(t, id, Ended)
	require.True(t, c.Muted, "the ended call's snapshot keeps what it sent")

	// The next call starts with the microphone and the camera on.
	id2, err := fam.Dial(ctx, "")
	require.NoError(t, err)
	c = dev.waitCall(t, id2, InCall)
	require.False(t, c.Muted, "a new call is not muted")
	require.False(t, c.CameraOff, "a new call sends the camera")
	fam.waitCall(t, id2, InCall)
	hearsAndSees(t, fam)

	// Switches without a call do nothing.
	require.NoError(t, dev.Hangup(ctx))
	dev.waitCall(t, id2, Ended)
	dev.SetMuted(true)
	dev.SetCameraOn(false)
	c = dev.waitCall(t, id2, Ended)
	require.False(t, c.Muted)
}

// hearsAndSees waits until tp receives sound and a picture that are not silence and black.
func hearsAndSees(t *testing.T, tp *testPhone) {
	t.Helper()
	tp.audio.peak.Store(0)
	testkit.Eventually(t, "sound", func() bool { return tp.audio.peak.Load() > 1000 })
	testkit.Eventually(t, "a picture", func() bool { return tp.video.luma.Load() > 40 })
}

// An Ended that comes behind a flood of other messages still reaches a reader that did not
// keep up: the snapshot a late reader gets is the newest, with the call over.
func TestPhoneEndedUnderFlood(t *testing.T) {
	hub, dev, fam := newHubPair(t, Config{AutoAnswer: true}, Config{})
	defer hub.Close()
	defer dev.stop(t)
	defer fam.stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	id := callInProgress(t, ctx, fam, dev, "")

	// Nobody reads the tablet's updates from here on. Thousands of presence messages reach it,
	// then Anna hangs up, then thousands more.
	require.True(t, hub.FloodPresence("tablet-1", "anna", true, 3000))
	require.NoError(t, fam.Hangup(ctx))
	fam.waitCall(t, id, Ended)
	require.True(t, hub.FloodPresence("tablet-1", "anna", false, 3000))
	testkit.Eventually(t, "the flood to be handled", func() bool {
		s := dev.Snapshot()
		return len(s.Config.Contacts) == 1 && !s.Config.Contacts[0].Online
	})

	select {
	case s := <-dev.Updates():
		require.Equal(t, id, s.Call.ID)
		require.Equal(t, Ended, s.Call.State, "the late reader sees the call over")
		require.Equal(t, signal.ReasonHangup, s.Call.Reason)
		require.False(t, s.Config.Contacts[0].Online)
	case <-time.After(10 * time.Second):
		t.Fatal("no snapshot waiting")
	}
}

func TestMailboxKeepsEverythingInOrder(t *testing.T) {
	var m mailbox[int]
	m.init()
	const writers, each = 8, 20000
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				require.True(t, m.put(w*each+i))
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	last := make([]int, writers)
	for i := range last {
		last[i] = -1
	}
	got := 0
	for got < writers*each {
		select {
		case <-m.ready:
		case <-done:
		}
		for _, v := range m.take() {
			w, i := v/each, v%each
			require.Equal(t, last[w]+1, i, "writer %d's messages in order", w)
			last[w] = i
			got++
		}
	}
	require.Empty(t, m.close())
	require.False(t, m.put(1), "a closed mailbox refuses")
}

// manualTimers is a Config.AfterFunc whose timers fire only when the test says.
type manualTimers struct {
	mu     sync.Mutex
	timers []*manualTimer
}

type manualTimer struct {
	d       time.Duration
	f       func()
	mu      sync.Mutex
	stopped bool
}

func (t *manualTimer) Stop() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	was := !t.stopped
	t.stopped = true
	return was
}

func (m *manualTimers) AfterFunc(d time.Duration, f func()) Timer {
	t := &manualTimer{d: d, f: f}
	m.mu.Lock()
	m.timers = append(m.timers, t)
	m.mu.Unlock()
	return t
}

// pending counts the timers of duration d that neither fired nor were stopped.
func (m *manualTimers) pending(d time.Duration) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, t := range m.timers {
		t.mu.Lock()
		if t.d == d && !t.stopped {
			n++
		}
		t.mu.Unlock()
	}
	return n
}

// fire runs the pending timers of duration d.
func (m *manualTimers) fire(d time.Duration) {
	m.mu.Lock()
	timers := append([]*manualTimer(nil), m.timers...)
	m.mu.Unlock()
	for _, t := range timers {
		if t.d == d && t.Stop() {
			t.f()
		}
	}
}

// Once a second the call's snapshot says whether the other end's picture stopped while its
// sound goes on.
func TestCheckMediaSaysWhatFlows(t *testing.T) {
	local := newTestLocal(t)
	defer local.Close()
	p := &Phone{cfg: Config{Media: local}}
	l := newLoop(p)
	sess := &Session{}
	c := &activeCall{info: CallInfo{ID: "k1", State: InCall}, sess: sess}
	l.call = c
	t0 := time.Unix(1000, 0)
	sess.counters.frames.Store(10)
	sess.counters.audioSamples.Store(48000)
	l.checkMedia(t0)
	require.False(t, c.info.TheirVideoStopped)

	// Sound keeps coming, pictures do not.
	for i := 1; i <= 3; i++ {
		sess.counters.audioSamples.Add(48000)
		l.checkMedia(t0.Add(time.Duration(i) * time.Second))
	}
	require.True(t, c.info.TheirVideoStopped)
	require.True(t, l.dirty)

	// Pictures again.
	sess.counters.frames.Add(30)
	sess.counters.audioSamples.Add(48000)
	l.checkMedia(t0.Add(4 * time.Second))
	require.False(t, c.info.TheirVideoStopped)

	// Nothing at all for a while is not "their video stopped": that is a lost connection.
	l.checkMedia(t0.Add(10 * time.Second))
	require.False(t, c.info.TheirVideoStopped)
	require.False(t, c.info.VideoPaused, "our video goes (media's TestLocalFollowsTheLink pauses it)")

	// An end without a camera, whose sound comes but never a picture, is not "stopped".
	c2 := &activeCall{info: CallInfo{ID: "k2", State: InCall}, sess: &Session{}}
	l.call = c2
	for i := range 5 {
		c2.sess.counters.audioSamples.Add(48000)
		l.checkMedia(t0.Add(time.Duration(20+i) * time.Second))
	}
	require.False(t, c2.info.TheirVideoStopped)
}
