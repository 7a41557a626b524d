package app

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
)

// Config is what New needs. App is required; everything else has a sensible default.
type Config struct {
	App    fyne.App
	Window fyne.Window // nil: New makes one
	Phone  Phone       // nil until the tablet is paired; see Kiosk.AttachPhone
	Pairer Pairer      // for the setup screen
	// Camera shows and scans enrollment QR codes on the setup screen; nil means the tablet
	// has no usable camera, and the setup screen shows its own pairing code instead.
	Camera Camera
	Audio  Audio // nil: silent
	Clock  Clock // nil: the system clock
	Logger *slog.Logger

	// NursePIN opens the nurse panel. Nil, or one that is not Known, keeps the panel locked
	// with a message saying why.
	NursePIN NursePIN
	// Paired starts on the home screen instead of setup.
	Paired bool
	// Kiosk makes the window fullscreen and locks it: closing, Alt-F4 and Escape only ask for
	// the nurse PIN. False is for development (-windowed).
	Kiosk bool
	// ForceAutoAnswer answers every incoming call after the countdown (-auto-answer).
	ForceAutoAnswer bool
	// Language is used until the server sends the patient's ("en", "it").
	Language string
	// Patient is shown until the server sends its configuration (the device's cached copy).
	Patient Patient
	// OnRepair runs (on the UI goroutine) when the nurse asks to pair the tablet again, after
	// the kiosk detached the phone and before it shows the setup screen. It must forget the
	// device's enrollment and patient data.
	OnRepair func()
	// OnExit runs when the nurse exits the kiosk; nil quits the app.
	OnExit func()
	// Do runs work from other goroutines on the UI goroutine; nil means fyne.Do. Tests set it
	// to queue the work for the test goroutine.
	Do func(func())
	// KeepAwake is told when a call starts (true) and ends (false), on top of Fyne's own
	// screen-blanking inhibition; main uses it for xset on X11.
	KeepAwake func(on bool)
}

// screen names what the window shows.
type screen int

const (
	screenNone screen = iota
	screenSetup
	screenHome
	screenOutgoing
	screenIncoming
	screenInCall
	screenEnded
	screenPIN
	screenNurse
)

// Screen names, for Kiosk.Screen.
var screenNames = map[screen]string{
	screenNone: "none", screenSetup: "setup", screenHome: "home", screenOutgoing: "outgoing",
	screenIncoming: "incoming", screenInCall: "in-call", screenEnded: "ended", screenPIN: "pin",
	screenNurse: "nurse",
}

// Preference keys for the nurse panel's settings.
const (
	prefVolume     = "volume"
	prefLanguage   = "language"
	prefAutoAnswer = "autoAnswer" // "", "on" or "off"
)

// How long things take, in the kiosk's clock.
const (
	autoAnswerSeconds = 5
	stallAfter        = 2 * time.Second
	endedShownFor     = 3 * time.Second
	nurseIdleTimeout  = 3 * time.Minute
)

// Kiosk is the running kiosk: one window and the screens in it. All its methods that are not
// documented as safe from any goroutine must run on the UI goroutine (inside fyne.Do).
type Kiosk struct {
	cfg   Config
	win   fyne.Window
	log   *slog.Logger
	clock Clock
	do    func(func())
	prefs fyne.Preferences
	tr    *translator

	ctx    context.Context
	cancel context.CancelFunc

	mu    sync.Mutex // guards phone
	phone Phone

	patient Patient
	online  bool
	paired  bool

	current screen
	leave   func() // stops the current screen's timers and sounds
	inCall  atomic.Bool

	call      CallEvent // the current call, as last reported
	userEnded bool      // the patient cancelled, declined or hung up; skip the "ended" message
	muted     bool
	cameraOff bool

	remoteView, selfView *VideoView
	remoteSink, selfSink switchSink
	// peers routes each participant's frames to their view; peerViews are those views, per
	// call (group_incall.go).
	peers     peerViews
	peerViews map[string]*VideoView

	pin         pinGate
	pinChecking bool // a typed PIN is being checked off the UI goroutine

	// Kept for tests and screenshots: the widgets of the current screen.
	ui uiRefs
}

// New builds the kiosk and shows its first screen (setup when not paired, else home).
func New(cfg Config) (*Kiosk, error) {
	if cfg.App == nil {
		return nil, errors.New("app: Config.App is required")
	}
	registerTranslations()
	k := &Kiosk{cfg: cfg, log: cfg.Logger, clock: cfg.Clock, win: cfg.Window,
		prefs: cfg.App.Preferences(), patient: cfg.Patient, paired: cfg.Paired}
	if k.log == nil {
		k.log = slog.New(slog.DiscardHandler)
	}
	if k.clock == nil {
		k.clock = SystemClock{}
	}
	k.do = cfg.Do
	if k.do == nil {
		k.do = fyne.Do
	}
	k.pin.restore(k.prefs, k.clock.Now())
	k.ctx, k.cancel = context.WithCancel(context.Background())
	cfg.App.Settings().SetTheme(NewTheme())
	if k.win == nil {
		k.win = cfg.App.NewWindow("Bedside")
	}
	k.win.SetIcon(AppIcon())
	k.remoteView = NewVideoView(k.clock, canvas.ImageFillContain)
	k.selfView = NewVideoView(k.clock, canvas.ImageFillContain)
	k.selfView.limitRate(selfViewFPS)
	k.selfView.rideWith(k.remoteView)
	// The sinks drop every frame until a call shows them: no copying or drawing at rest.
	k.applyLanguage()
	if a := k.cfg.Audio; a != nil {
		a.SetVolume(k.volume())
	}
	k.lock()
	if k.paired {
		k.showHome()
	} else {
		k.showSetup()
	}
	if cfg.Phone != nil {
		k.AttachPhone(cfg.Phone)
	}
	return k, nil
}

// Window returns the kiosk's window.
func (k *Kiosk) Window() fyne.Window { return k.win }

// Screen names the screen on show: "setup", "home", "outgoing", "incoming", "in-call",
// "ended", "pin" or "nurse".
func (k *Kiosk) Screen() string { return screenNames[k.current] }

// InCall reports whether the in-call screen is showing. Safe from any goroutine.
func (k *Kiosk) InCall() bool { return k.inCall.Load() }

// RemoteVideo is where the call engine sends the other end's decoded frames. Safe from any
// goroutine; Frame never blocks. Frames are dropped at once except on the in-call screen.
func (k *Kiosk) RemoteVideo() VideoSink { return &k.remoteSink }

// SelfView is where the local camera preview goes. Safe from any goroutine. Frames are
// dropped at once except on the in-call screen.
func (k *Kiosk) SelfView() VideoSink { return &k.selfSink }

// AttachPhone starts following p's events; the kiosk shows home once it is paired. Safe from
// any goroutine. A phone attached before replaces nothing: detach it first with DetachPhone.
func (k *Kiosk) AttachPhone(p Phone) {
	k.mu.Lock()
	k.phone = p
	ctx := k.ctx
	k.mu.Unlock()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-p.Events():
				if !ok {
					return
				}
				k.do(func() {
					if k.currentPhone() == p {
						k.handle(ev)
					}
				})
			}
		}
	}()
}

// DetachPhone stops following the attached phone (for re-pairing). Safe from any goroutine.
func (k *Kiosk) DetachPhone() {
	k.mu.Lock()
	k.phone = nil
	k.mu.Unlock()
}

func (k *Kiosk) currentPhone() Phone {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.phone
}

// Close stops the kiosk's goroutines and timers. It does not close the window.
func (k *Kiosk) Close() {
	k.cancel()
	if k.leave != nil {
		k.leave()
		k.leave = nil
	}
}

// phoneDo runs f against the phone off the UI goroutine, logging a failure and, if onErr is
// set, reporting it back on the UI goroutine.
func (k *Kiosk) phoneDo(what string, f func(ctx context.Context, p Phone) error, onErr func(error)) {
	p := k.currentPhone()
	if p == nil {
		if onErr != nil {
			onErr(errors.New("app: not connected"))
		}
		return
	}
	ctx := k.ctx
	go func() {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		if err := f(ctx, p); err != nil {
			k.log.Warn("phone request failed", "op", what, "err", err)
			if onErr != nil {
				k.do(func() { onErr(err) })
			}
		}
	}()
}

// show replaces the window's content, stopping the previous screen's timers first.
func (k *Kiosk) show(s screen, content fyne.CanvasObject, leave func()) {
	if k.leave != nil {
		k.leave()
	}
	if k.current != s {
		k.log.Info("screen", "name", screenNames[s])
	}
	k.current, k.leave = s, leave
	k.inCall.Store(s == screenInCall)
	k.win.SetContent(content)
}

// handle applies one event from the phone; it runs on the UI goroutine.
func (k *Kiosk) handle(ev Event) {
	switch ev := ev.(type) {
	case ConfigEvent:
		k.patient = ev.Patient
		k.paired = true
		k.online = true // configuration comes from the server: we are connected
		k.applyLanguage()
		switch {
		case k.current == screenHome:
			k.showHome()
		case k.current == screenSetup && (k.ui.setup == nil || !k.ui.setup.done):
			k.showHome() // (a tablet that just paired says so for a moment first)
		case k.current == screenPIN && k.ui.pin != nil && k.ui.pin.locked && k.pinKnown():
			k.log.Info("nurse PIN known: the PIN pad replaces the locked panel")
			k.showPIN() // the ward's PIN came with this configuration: the pad, at last
		}
	case ConnEvent:
		k.online = ev.Online
		if k.current == screenHome {
			k.showHome()
		}
	case CallEvent:
		k.handleCall(ev)
	}
}

func (k *Kiosk) handleCall(ev CallEvent) {
	prev := k.call
	k.call = ev
	switch ev.State {
	case Ringing:
		if ev.Incoming {
			if k.current != screenIncoming {
				k.userEnded = false
				k.showIncoming(ev)
			}
			return
		}
		if k.current != screenOutgoing || prev.Peer.ID != ev.Peer.ID {
			k.showOutgoing(ev.Peer)
		}
	case Connecting, InCall:
		if k.current != screenInCall {
			k.showInCall(ev.Peer, false)
		}
		if k.muted != ev.Muted || k.cameraOff != ev.CameraOff {
			k.muted, k.cameraOff = ev.Muted, ev.CameraOff
			k.ui.incall.showMedia(k.tr, k.muted, k.cameraOff)
		}
		if ev.State == InCall {
			k.ui.incall.connected(k.clock.Now())
		}
		if k.ui.incall != nil {
			k.showParticipants(k.ui.incall, ev)
		}
	case Ended, Failed:
		if k.userEnded || k.current == screenNurse || k.current == screenPIN || k.current == screenSetup {
			if k.current != screenNurse && k.current != screenPIN && k.current != screenSetup {
				k.showHome()
			}
			k.userEnded = false
			return
		}
		k.showEnded(ev)
	case Idle:
		switch k.current {
		case screenOutgoing, screenIncoming, screenInCall:
			k.showHome()
		}
	}
}

// startCallMedia resets the per-call toggles: every call starts with the microphone and camera
// on, and the engine's reports change them.
func (k *Kiosk) startCallMedia() {
	k.muted, k.cameraOff = false, false
}

// awake keeps the screen on (true) or lets it blank again (false). Each call screen holds it
// after it is shown and releases it when it goes, so the order is always release, then hold.
func (k *Kiosk) awake(on bool) {
	k.cfg.App.Driver().SetDisableScreenBlanking(on)
	if k.cfg.KeepAwake != nil {
		k.cfg.KeepAwake(on)
	}
}

// lock makes the window a kiosk: fullscreen, and closing or Escape only ask for the PIN.
func (k *Kiosk) lock() {
	if !k.cfg.Kiosk {
		k.win.Resize(WindowedSize) // a window the home screen fits (its content's minimum does not)
		return
	}
	k.win.SetFullScreen(true)
	k.win.SetPadded(false)
	k.win.SetCloseIntercept(k.RequestNurse)
	k.win.Canvas().SetOnTypedKey(func(ev *fyne.KeyEvent) {
		// Escape, Back and everything else do nothing outside a focused entry.
	})
}

// RequestNurse shows the nurse PIN screen, as closing the kiosk window does. It does nothing
// during a call.
func (k *Kiosk) RequestNurse() {
	switch k.current {
	case screenOutgoing, screenIncoming, screenInCall, screenPIN, screenNurse:
		return
	}
	k.showPIN()
}

// exit leaves the kiosk after the nurse confirmed.
func (k *Kiosk) exit() {
	k.log.Info("nurse exited the kiosk")
	if k.cfg.OnExit != nil {
		k.cfg.OnExit()
		return
	}
	k.Close()
	k.cfg.App.Quit()
}

// effective settings

func (k *Kiosk) volume() float64 { return k.prefs.FloatWithFallback(prefVolume, 0.8) }

func (k *Kiosk) languageCode() string {
	if l := k.prefs.String(prefLanguage); l != "" {
		return l
	}
	if k.patient.Language != "" {
		return k.patient.Language
	}
	return k.cfg.Language
}

func (k *Kiosk) applyLanguage() {
	code := normalizeLang(k.languageCode())
	if k.tr == nil || k.tr.lang != code {
		k.tr = newTranslator(code)
		k.win.SetTitle(k.tr.T("app.title"))
	}
}

// autoAnswer says whether an incoming call should be answered by itself: always with
// -auto-answer; as the nurse set it on this tablet; else as the server flags the call (it does
// when both the patient and the calling contact allow it).
func (k *Kiosk) autoAnswer(engine bool) bool {
	if k.cfg.ForceAutoAnswer {
		return true
	}
	switch k.prefs.String(prefAutoAnswer) {
	case "on":
		return true
	case "off":
		return false
	}
	return engine
}
