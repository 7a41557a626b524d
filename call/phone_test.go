package call

import (
	"context"
	"crypto/ed25519"
	"runtime"
	"testing"
	"time"

	"bedside/call/calltest"
	"bedside/call/signal"

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
	tp.waitEvent(t, "connected to the hub", func(e Event) bool { return e.Kind == EventServer && e.Connected })
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

// waitEvent reads events until match accepts one, and returns it.
func (tp *testPhone) waitEvent(t *testing.T, what string, match func(Event) bool) Event {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case e, ok := <-tp.Events():
			require.True(t, ok, "events closed while waiting for %s", what)
			if match(e) {
				return e
			}
		case <-timeout:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func (tp *testPhone) waitState(t *testing.T, s State) Event {
	t.Helper()
	return tp.waitEvent(t, s.String(), func(e Event) bool { return e.Kind == EventCall && e.State == s })
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
	before := runtime.NumGoroutine()
	t.Cleanup(func() { checkNoLeaks(t, before) }) // runs last, after the sources are closed
	hub, dev, fam := newHubPair(t, Config{}, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	require.Equal(t, "Test ward", dev.Config().Ward)
	require.Eventually(t, func() bool {
		cfg := dev.Config()
		return len(cfg.Contacts) == 1 && cfg.Contacts[0].Online
	}, 10*time.Second, 20*time.Millisecond, "presence reaches the device's contacts")

	// The patient calls Anna; Anna answers.
	id, err := dev.Dial(ctx, "anna")
	require.NoError(t, err)
	e := dev.waitState(t, Ringing)
	require.Equal(t, Outgoing, e.Direction)
	require.Equal(t, "Anna", e.Party.Name)
	_, err = dev.Dial(ctx, "anna")
	require.ErrorIs(t, err, ErrBusy)

	e = fam.waitState(t, Ringing)
	require.Equal(t, Incoming, e.Direction)
	require.Equal(t, id, e.Call)
	require.Equal(t, "tablet-1", e.Party.ID)
	require.ErrorIs(t, fam.Answer(ctx, "not-this-call"), ErrNoSuchCall)
	require.NoError(t, fam.Answer(ctx, id))
	fam.waitState(t, Connecting)
	dev.waitState(t, Connecting)
	fam.waitState(t, InCall)
	dev.waitState(t, InCall)
	require.Equal(t, InCall, dev.State())

	waitFor(t, "frames both ways", 30*time.Second, func() bool {
		return dev.Stats().FramesDecoded >= 30 && fam.Stats().FramesDecoded >= 30
	})
	require.Greater(t, dev.audio.peak.Load(), int64(1000))
	require.Greater(t, fam.audio.peak.Load(), int64(1000))

	require.NoError(t, dev.Hangup(ctx))
	e = dev.waitState(t, Ended)
	require.Equal(t, signal.ReasonHangup, e.Reason)
	e = fam.waitState(t, Ended)
	require.Equal(t, signal.ReasonHangup, e.Reason)
	require.Equal(t, Idle, fam.State())
	require.Equal(t, Stats{}, fam.Stats())
	require.NoError(t, dev.Hangup(ctx), "hanging up with no call does nothing")

	// Anna calls back; the patient declines.
	id, err = fam.Dial(ctx, "")
	require.NoError(t, err)
	e = dev.waitState(t, Ringing)
	require.Equal(t, Incoming, e.Direction)
	require.Equal(t, "Anna", e.Party.Name)
	require.NoError(t, dev.Decline(ctx, id))
	require.Equal(t, signal.ReasonDeclined, dev.waitState(t, Ended).Reason)
	require.Equal(t, signal.ReasonDeclined, fam.waitState(t, Ended).Reason)

	// Anna calls and cancels before an answer.
	_, err = fam.Dial(ctx, "")
	require.NoError(t, err)
	dev.waitState(t, Ringing)
	require.NoError(t, fam.Hangup(ctx))
	require.Equal(t, signal.ReasonCancelled, fam.waitState(t, Ended).Reason)
	require.Equal(t, signal.ReasonCancelled, dev.waitState(t, Ended).Reason)

	// Nobody at the other end: Dial fails, with no event.
	fam.stop(t)
	require.Eventually(t, func() bool { return !hub.Online("anna") }, 10*time.Second, 20*time.Millisecond)
	_, err = dev.Dial(ctx, "anna")
	require.ErrorIs(t, err, ErrCallEnded)
	var ended *EndedError
	require.ErrorAs(t, err, &ended)
	require.Equal(t, signal.ReasonOffline, ended.Reason)
	require.Equal(t, Idle, dev.State())

	dev.stop(t)
	require.NoError(t, hub.Close())
}

func TestPhonePeerVanishes(t *testing.T) {
	hub, dev, fam := newHubPair(t, Config{AutoAnswer: true}, Config{DisconnectGrace: time.Second})
	defer hub.Close()
	defer dev.stop(t)
	defer fam.stop(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	_, err := fam.Dial(ctx, "")
	require.NoError(t, err)
	dev.waitState(t, InCall)
	fam.waitState(t, InCall)

	// The tablet loses the server in the middle of the call. The hub ends the call; Anna's end
	// hears it and closes its media; the tablet sees its peer vanish and fails the call.
	require.True(t, hub.Drop("tablet-1"))
	e := fam.waitEvent(t, "the call's end", func(e Event) bool {
		return e.Kind == EventCall && (e.State == Ended || e.State == Failed)
	})
	require.Equal(t, signal.ReasonFailed, e.Reason)
	e = dev.waitEvent(t, "the call's end", func(e Event) bool {
		return e.Kind == EventCall && (e.State == Ended || e.State == Failed)
	})
	require.Equal(t, Failed, e.State)
	// The tablet reconnects by itself and can call again.
	require.Eventually(t, dev.Connected, 20*time.Second, 20*time.Millisecond, "the tablet reconnects")
	_, err = dev.Dial(ctx, "anna")
	require.NoError(t, err)
	fam.waitState(t, Ringing)
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

	_, err = anna.Dial(ctx, "")
	require.NoError(t, err)
	dev.waitState(t, InCall)
	anna.waitState(t, InCall)

	// The tablet dialling while in a call is refused by the phone itself.
	_, err = dev.Dial(ctx, "anna")
	require.ErrorIs(t, err, ErrBusy)

	// Bob rings the tablet while it is in a call with Anna: the tablet declines, the call with
	// Anna goes on.
	_, err = bob.Dial(ctx, "")
	require.NoError(t, err)
	require.Equal(t, signal.ReasonDeclined, bob.waitState(t, Ended).Reason)
	require.Equal(t, InCall, dev.State())
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
	require.ErrorIs(t, p.Run(ctx), ErrAuth)
	_, open := <-p.Events()
	require.False(t, open, "Events is closed when Run returns")
	require.ErrorIs(t, p.Run(ctx), ErrConfig, "Run runs once")
}
