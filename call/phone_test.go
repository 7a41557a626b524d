package call

import (
	"context"
	"crypto/ed25519"
	"testing"
	"time"

	"bedside/call/calltest"
	"bedside/call/signal"
	"bedside/internal/testkit"

	"github.com/stretchr/testify/require"
)

// testPhone is a running Phone and what it decoded.
type testPhone struct {
	*Phone
	video  *frameCounter
	audio  *loudness
	cancel context.CancelFunc
	done   chan error
}

func startPhone(t *testing.T, cfg Config) *testPhone {
	t.Helper()
	tp := &testPhone{video: &frameCounter{}, audio: &loudness{}, done: make(chan error, 1)}
	cfg.RemoteVideo, cfg.RemoteAudio = tp.video, tp.audio
	cfg.LoopbackOnly = true
	cfg.MinBackoff, cfg.MaxBackoff = 20*time.Millisecond, 200*time.Millisecond
	p, err := New(cfg)
	require.NoError(t, err)
	tp.Phone = p
	ctx, cancel := context.WithCancel(context.Background())
	tp.cancel = cancel
	go func() { tp.done <- p.Run(ctx) }()
	tp.waitSnap(t, "connected to the hub", func(s Snapshot) bool { return s.Connected })
	return tp
}

func (tp *testPhone) stop(t *testing.T) {
	t.Helper()
	tp.cancel()
	select {
	case err := <-tp.done:
		require.NoError(t, err)
	case <-time.After(30 * time.Second):
		t.Fatal("Run did not return")
	}
}

// waitSnap waits until the phone's snapshot satisfies match, and returns it.
func (tp *testPhone) waitSnap(t *testing.T, what string, match func(Snapshot) bool) Snapshot {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		if s := tp.Snapshot(); match(s) {
			return s
		}
		select {
		case _, ok := <-tp.Updates():
			require.True(t, ok, "updates closed while waiting for %s", what)
		case <-timeout:
			t.Fatalf("timed out waiting for %s (last: %+v)", what, tp.Snapshot().Call)
		}
	}
}

// waitCall waits until the call id (any call when empty) is in state s.
func (tp *testPhone) waitCall(t *testing.T, id string, s State) CallInfo {
	t.Helper()
	return tp.waitSnap(t, "call "+id+" "+s.String(), func(snap Snapshot) bool {
		return snap.Call.State == s && (id == "" || snap.Call.ID == id)
	}).Call
}

// callInProgress has caller dial to (a contact id; "" for a family phone calling its patient)
// and waits until both phones are in the call; it returns the call's id.
func callInProgress(t *testing.T, ctx context.Context, caller, callee *testPhone, to string) string {
	t.Helper()
	id, err := caller.Dial(ctx, to)
	require.NoError(t, err)
	caller.waitCall(t, id, InCall)
	callee.waitCall(t, id, InCall)
	return id
}

// newHubPair starts a hub, a device phone and a family phone ("anna"), each with a test source.
func newHubPair(t *testing.T, deviceOpts, familyOpts Config) (hub *calltest.Hub, dev, fam *testPhone) {
	t.Helper()
	signer := newTestSigner(t, "tablet-1")
	anna := signal.Party{ID: "anna", Name: "Anna", Relation: "daughter"}
	hub, err := calltest.NewHub(calltest.HubConfig{
		Device:    "tablet-1",
		DeviceKey: signer.key.Public().(ed25519.PublicKey),
		Family:    map[string]signal.Party{"anna-token": anna},
	})
	require.NoError(t, err)
	la, lb := newTestLocal(t), newTestLocal(t)
	t.Cleanup(func() {
		_ = la.Close()
		_ = lb.Close()
	})
	deviceOpts.ServerURL, deviceOpts.Signer, deviceOpts.Media = hub.URL(), signer, la
	familyOpts.ServerURL, familyOpts.FamilyToken, familyOpts.Media = hub.URL(), "anna-token", lb
	dev = startPhone(t, deviceOpts)
	fam = startPhone(t, familyOpts)
	return hub, dev, fam
}

func TestPhoneCallAndHangup(t *testing.T) {
	testkit.NoLeaks(t) // runs last, after the sources are closed
	hub, dev, fam := newHubPair(t, Config{}, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	require.Equal(t, "Test ward", dev.Config().Ward)
	dev.waitSnap(t, "presence reaches the device's contacts", func(s Snapshot) bool {
		return len(s.Config.Contacts) == 1 && s.Config.Contacts[0].Online
	})

	// The patient calls Anna; Anna answers.
	id, err := dev.Dial(ctx, "anna")
	require.NoError(t, err)
	c := dev.waitCall(t, id, Ringing)
	require.Equal(t, Outgoing, c.Direction)
	require.Equal(t, "Anna", c.Party.Name)
	_, err = dev.Dial(ctx, "anna")
	require.ErrorIs(t, err, ErrBusy)

	c = fam.waitCall(t, id, Ringing)
	require.Equal(t, Incoming, c.Direction)
	require.Equal(t, "tablet-1", c.Party.ID)
	require.ErrorIs(t, fam.Answer(ctx, "not-this-call"), ErrNoSuchCall)
	require.NoError(t, fam.Answer(ctx, id))
	require.ErrorIs(t, fam.Answer(ctx, id), ErrBadState, "answered already")
	fam.waitCall(t, id, InCall)
	dev.waitCall(t, id, InCall)
	require.Equal(t, InCall, dev.State())

	testkit.Eventually(t, "frames both ways", func() bool {
		return dev.Stats().FramesDecoded >= 30 && fam.Stats().FramesDecoded >= 30
	})
	require.Greater(t, dev.audio.peak.Load(), int64(1000))
	require.Greater(t, fam.audio.peak.Load(), int64(1000))

	require.NoError(t, dev.Hangup(ctx))
	require.Equal(t, signal.ReasonHangup, dev.waitCall(t, id, Ended).Reason)
	require.Equal(t, signal.ReasonHangup, fam.waitCall(t, id, Ended).Reason)
	require.Equal(t, Idle, fam.State())
	require.Equal(t, Stats{}, fam.Stats())
	require.NoError(t, dev.Hangup(ctx), "hanging up with no call does nothing")

	// Anna calls back; the patient declines.
	id, err = fam.Dial(ctx, "")
	require.NoError(t, err)
	c = dev.waitCall(t, id, Ringing)
	require.Equal(t, Incoming, c.Direction)
	require.Equal(t, "Anna", c.Party.Name)
	require.NoError(t, dev.Decline(ctx, id))
	require.Equal(t, signal.ReasonDeclined, dev.waitCall(t, id, Ended).Reason)
	require.Equal(t, signal.ReasonDeclined, fam.waitCall(t, id, Ended).Reason)

	// Anna calls and cancels before an answer.
	id, err = fam.Dial(ctx, "")
	require.NoError(t, err)
	dev.waitCall(t, id, Ringing)
	require.NoError(t, fam.Hangup(ctx))
	require.Equal(t, signal.ReasonCancelled, fam.waitCall(t, id, Ended).Reason)
	require.Equal(t, signal.ReasonCancelled, dev.waitCall(t, id, Ended).Reason)

	// Nobody at the other end: Dial fails, and the snapshot still shows the last call.
	fam.stop(t)
	require.Eventually(t, func() bool { return !hub.Online("anna") }, 10*time.Second, 20*time.Millisecond)
	_, err = dev.Dial(ctx, "anna")
	require.ErrorIs(t, err, ErrCallEnded)
	var ended *EndedError
	require.ErrorAs(t, err, &ended)
	require.Equal(t, signal.ReasonOffline, ended.Reason)
	require.Equal(t, Idle, dev.State())
	require.Equal(t, id, dev.Snapshot().Call.ID)

	dev.stop(t)
	require.NoError(t, hub.Close())
}

func TestPhonePeerVanishes(t *testing.T) {
	timers := &manualTimers{}
	hub, dev, fam := newHubPair(t, Config{AutoAnswer: true, AfterFunc: timers.AfterFunc},
		Config{DisconnectGrace: time.Second})
	defer hub.Close()
	defer dev.stop(t)
	defer fam.stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	id := callInProgress(t, ctx, fam, dev, "")

	// The tablet loses the server in the middle of the call, and this hub (unlike the ward
	// server) ends the call at once; Anna's end hears it and closes its media. The tablet learns
	// it from the hub once it reconnected (its resume is refused), or, when its peer closed
	// first, when its disconnect grace runs out: either way its call fails.
	require.True(t, hub.Drop("tablet-1"))
	require.Equal(t, signal.ReasonFailed, fam.waitCall(t, id, Failed).Reason)
	testkit.Eventually(t, "the tablet's call fails", func() bool {
		timers.fire(5 * time.Second)
		return dev.Snapshot().Call.State == Failed
	})

	// The tablet reconnects by itself and can call again.
	require.Eventually(t, dev.Connected, 20*time.Second, 20*time.Millisecond, "the tablet reconnects")
	id, err := dev.Dial(ctx, "anna")
	require.NoError(t, err)
	fam.waitCall(t, id, Ringing)
}

func TestPhoneBusy(t *testing.T) {
	signer := newTestSigner(t, "tablet-1")
	hub, err := calltest.NewHub(calltest.HubConfig{
		Device: "tablet-1",
		Family: map[string]signal.Party{
			"anna-token": {ID: "anna", Name: "Anna"},
			"bob-token":  {ID: "bob", Name: "Bob"},
		},
		RingBusy: true, // the hub rings the tablet even in a call: the phone must refuse
	})
	require.NoError(t, err)
	defer hub.Close()
	local := newTestLocal(t)
	defer local.Close()
	dev := startPhone(t, Config{ServerURL: hub.URL(), Signer: signer, Media: local, AutoAnswer: true})
	defer dev.stop(t)
	anna := startPhone(t, Config{ServerURL: hub.URL(), FamilyToken: "anna-token", Media: local})
	defer anna.stop(t)
	bob := startPhone(t, Config{ServerURL: hub.URL(), FamilyToken: "bob-token"})
	defer bob.stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	id, err := anna.Dial(ctx, "")
	require.NoError(t, err)
	dev.waitCall(t, id, InCall)
	anna.waitCall(t, id, InCall)

	// The tablet dialling while in a call is refused by the phone itself.
	_, err = dev.Dial(ctx, "anna")
	require.ErrorIs(t, err, ErrBusy)

	// Bob rings the tablet while it is in a call with Anna: the tablet declines, the call with
	// Anna goes on.
	bid, err := bob.Dial(ctx, "")
	require.NoError(t, err)
	require.Equal(t, signal.ReasonDeclined, bob.waitCall(t, bid, Ended).Reason)
	require.Equal(t, InCall, dev.State())
	require.Equal(t, id, dev.Snapshot().Call.ID)
	require.Equal(t, InCall, anna.State())
}

func TestPhoneConfigErrors(t *testing.T) {
	_, err := New(Config{ServerURL: "ws://127.0.0.1:1/ws"})
	require.ErrorIs(t, err, ErrConfig)
	_, err = New(Config{ServerURL: "127.0.0.1", FamilyToken: "x"})
	require.ErrorIs(t, err, ErrConfig)
	_, err = New(Config{ServerURL: "ws://127.0.0.1:1/ws", FamilyToken: "x", PortMin: 9})
	require.ErrorIs(t, err, ErrConfig)
}

func TestPhoneAuthRefused(t *testing.T) {
	hub, err := calltest.NewHub(calltest.HubConfig{Device: "tablet-1"})
	require.NoError(t, err)
	defer hub.Close()
	p, err := New(Config{ServerURL: hub.URL(), FamilyToken: "no-such-link", LoopbackOnly: true})
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err = p.Dial(ctx, "")
	require.ErrorIs(t, err, ErrNotConnected, "Dial before Run")
	require.ErrorIs(t, p.Run(ctx), ErrAuth)
	for range p.Updates() {
	}
	_, err = p.Dial(ctx, "")
	require.ErrorIs(t, err, ErrClosed, "Dial after Run")
	require.NoError(t, p.Hangup(ctx))
	p.SetMuted(true) // no call, no phone: nothing happens, nothing blocks
	require.ErrorIs(t, p.Run(ctx), ErrConfig, "Run runs once")
}
