package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/jpeg" // contact photos
	_ "image/png"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"bedside/app"
	"bedside/call"
	"bedside/call/media"
	"bedside/call/signal"
	"bedside/provisioning"
)

// startPhone starts the call engine with the tablet's media and attaches it to the kiosk.
func (w *wiring) startPhone() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.phone != nil {
		return
	}
	server := w.srv
	ws, err := signal.URL(server)
	if err != nil {
		w.log.Error("cannot start the phone", "err", err)
		return
	}
	local := w.local
	if local == nil {
		w.log.Error("no camera or microphone; calls will be receive-only")
	}
	var httpClient *http.Client
	if pr, err := w.store.LoadPairing(); err == nil {
		httpClient, _ = provisioning.NewHTTPClient(provisioning.ClientConfig{Pin: pr.Pin, Logger: w.log})
	}
	if httpClient == nil {
		httpClient, _ = provisioning.NewHTTPClient(provisioning.ClientConfig{Logger: w.log})
	}
	sp := w.speaker
	cfg := call.Config{
		ServerURL:   ws,
		Signer:      w.id,
		Media:       local,
		RemoteVideo: w.kiosk.RemoteVideo(),
		Logger:      w.log,
		HTTPClient:  httpClient,
		Status:      deviceStatus(powerSupplyDir),
	}
	if sp != nil {
		cfg.RemoteAudio = sp.callSink()
	}
	p, err := call.New(cfg)
	if err != nil {
		w.log.Error("cannot start the phone", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := &phoneAdapter{p: p, local: local, store: w.store, http: httpClient, server: server, signer: w.id,
		log: w.log, events: make(chan app.Event, 64), refresh: make(chan signal.Config, 1)}
	if w.pins != nil {
		a.onConfig = func(cfg signal.Config) { w.pins.SetWard(cfg.NursePINHash) }
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		err := p.Run(ctx)
		if err == nil {
			return
		}
		w.log.Error("the phone stopped", "err", err)
		if errors.Is(err, call.ErrAuth) && ctx.Err() == nil {
			// The server no longer knows this tablet (revoked): forget the pairing and
			// show the setup screen, where a nurse can pair it again.
			go func() {
				w.stopPhone()
				w.forget()
				w.kiosk.Unpaired()
			}()
		}
	}()
	go a.translate(ctx)
	if local != nil {
		local.SetSelfView(w.kiosk.SelfView()) // only while a call sends the picture
	}
	w.kiosk.AttachPhone(a)
	w.phone = stopFunc(func() {
		w.kiosk.DetachPhone()
		if local != nil {
			local.SetSelfView(nil)
		}
		cancel()
		<-done
	})
}

type stopFunc func()

func (f stopFunc) Stop() { f() }

// openMedia opens the tablet's picture and sound for the whole run: the camera and microphone
// (-media camera; the test pattern stands in for a missing camera, the synthetic source for
// missing devices), the synthetic source (-media test), or a picture or clip (-media
// file:PATH). hasCamera says whether the picture can show the tablet a QR code to scan. Only
// an unusable file is an error.
func openMedia(mediaFlag string, log *slog.Logger) (local *media.Local, hasCamera bool, err error) {
	if path, ok := strings.CutPrefix(mediaFlag, "file:"); ok {
		local, err := media.NewFile(path, media.FileOptions{Logger: log})
		if err != nil {
			return nil, false, fmt.Errorf("-media %s: %w", mediaFlag, err)
		}
		return local, true, nil
	}
	if mediaFlag == "camera" {
		local, err := media.OpenDevices(media.DeviceOptions{Logger: log, AllowNoMicrophone: true})
		if err == nil {
			return local, true, nil
		}
		log.Warn("no usable camera; the tablet shows its pairing code, and calls send the test pattern", "err", err)
		if errors.Is(err, media.ErrNoCamera) {
			if local, err := media.OpenDevices(media.DeviceOptions{Logger: log, AllowNoCamera: true}); err == nil {
				return local, false, nil
			}
		}
	}
	local, err = media.NewTest(media.TestOptions{Logger: log})
	if err != nil {
		log.Error("no media at all; calls will be receive-only", "err", err)
		return nil, false, nil
	}
	return local, false, nil
}

// cameraPreview is the setup screen's camera: the Local's preview, which keeps the camera
// capturing while the screen scans (and lets it close when the screen goes).
type cameraPreview struct{ local *media.Local }

// Preview implements app.Camera.
func (c cameraPreview) Preview(sink app.VideoSink) {
	if sink == nil {
		c.local.SetPreview(nil)
		return
	}
	c.local.SetPreview(sink)
}

// cachedPatient is the patient as last configured, from the device store, shown until the
// server speaks.
func (w *wiring) cachedPatient() app.Patient {
	cfg, err := w.store.LoadConfig()
	if err != nil {
		return app.Patient{}
	}
	return patientFrom(cfg, w.store)
}

// patientFrom converts the server's configuration to what the kiosk shows.
func patientFrom(cfg signal.Config, store *provisioning.DeviceStore) app.Patient {
	p := app.Patient{Name: cfg.Patient, Language: cfg.Language, AutoAnswer: cfg.AutoAnswer,
		Ward: cfg.Ward, Bed: cfg.Bed, VisitingHours: cfg.VisitingHours}
	for _, c := range cfg.Contacts {
		p.Contacts = append(p.Contacts, app.Contact{ID: c.ID, Name: c.Name, Relation: c.Relation,
			Online: c.Online, Photo: photo(store, c.Photo)})
	}
	return p
}

// maxPhotoSide is the longest side of a contact photo the kiosk decodes.
const maxPhotoSide = 2048

// photo decodes a cached contact photo, or returns nil.
func photo(store *provisioning.DeviceStore, hash string) image.Image {
	if hash == "" || store == nil {
		return nil
	}
	data, err := store.Photo(hash)
	if err != nil {
		return nil
	}
	// The server stores photos of at most 512 pixels a side; anything much larger is not one
	// of its photos and is not decoded (a 6000×4000 picture would take 96 MB).
	cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || cfg.Width > maxPhotoSide || cfg.Height > maxPhotoSide {
		return nil
	}
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return nil
	}
	return img
}

// phoneAdapter makes a *call.Phone an app.Phone: it remembers the current call's id and turns
// the engine's events into the kiosk's.
type phoneAdapter struct {
	p      *call.Phone
	local  *media.Local
	store  *provisioning.DeviceStore
	http   *http.Client
	server string
	signer provisioning.PhotoSigner // the tablet's identity: photo requests are signed
	log    interface {
		Warn(string, ...any)
		Info(string, ...any)
	}
	events  chan app.Event
	refresh chan signal.Config // configurations with freshly fetched photos
	// onConfig is given every configuration the server sends (the ward's nurse PIN).
	onConfig func(signal.Config)

	mu     sync.Mutex
	callID string
	cfg    signal.Config
}

func (a *phoneAdapter) Events() <-chan app.Event { return a.events }

func (a *phoneAdapter) current() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.callID
}

func (a *phoneAdapter) Dial(ctx context.Context, contactID string) error {
	id, err := a.p.Dial(ctx, contactID)
	if err != nil {
		return refused(err)
	}
	a.mu.Lock()
	a.callID = id
	a.mu.Unlock()
	return nil
}

// refused maps the engine's dial errors to the kiosk's RefusedError, which says why.
func refused(err error) error {
	var ended *call.EndedError
	switch {
	case errors.As(err, &ended):
		return fmt.Errorf("%w: %w", &app.RefusedError{Reason: app.Reason(ended.Reason)}, err)
	case errors.Is(err, call.ErrBusy):
		return fmt.Errorf("%w: %w", &app.RefusedError{Reason: app.Reason(signal.ReasonBusy)}, err)
	}
	return err
}

func (a *phoneAdapter) Answer(ctx context.Context) error  { return a.p.Answer(ctx, a.current()) }
func (a *phoneAdapter) Decline(ctx context.Context) error { return a.p.Decline(ctx, a.current()) }
func (a *phoneAdapter) Hangup(ctx context.Context) error  { return a.p.Hangup(ctx) }

// SetMuted and SetCameraOn ask the engine, which owns the call's switches; the kiosk's buttons
// follow the engine's snapshots.
func (a *phoneAdapter) SetMuted(m bool)     { a.p.SetMuted(m) }
func (a *phoneAdapter) SetCameraOn(on bool) { a.p.SetCameraOn(on) }

// translate turns the engine's snapshots into the kiosk's events until the engine stops: what
// changed from one snapshot to the next becomes an event. The snapshots are the newest state,
// so the kiosk never shows a call that is over; none of these events is dropped.
func (a *phoneAdapter) translate(ctx context.Context) {
	defer close(a.events)
	var last call.Snapshot
	for {
		var outs []app.Event
		select {
		case cfg := <-a.refresh:
			outs = append(outs, app.ConfigEvent{Patient: patientFrom(cfg, a.store)})
		case s, ok := <-a.p.Updates():
			if !ok {
				return
			}
			outs = a.changes(ctx, last, s)
			last = s
		}
		for _, out := range outs {
			select {
			case a.events <- out:
			case <-ctx.Done():
				return
			}
		}
	}
}

// changes returns the kiosk events that tell what changed from prev to s.
func (a *phoneAdapter) changes(ctx context.Context, prev, s call.Snapshot) []app.Event {
	var outs []app.Event
	if s.Connected != prev.Connected {
		outs = append(outs, app.ConnEvent{Online: s.Connected})
	}
	a.mu.Lock()
	a.cfg = s.Config
	a.mu.Unlock()
	if s.ConfigSeq != prev.ConfigSeq {
		if a.onConfig != nil {
			a.onConfig(s.Config)
		}
		go a.cacheConfig(ctx, s.Config)
	}
	if s.ConfigSeq != prev.ConfigSeq || !samePresence(s.Config, prev.Config) {
		outs = append(outs, app.ConfigEvent{Patient: patientFrom(s.Config, a.store)})
	}
	if c := s.Call; c.ID != "" && c != prev.Call {
		a.mu.Lock()
		a.callID = c.ID
		a.mu.Unlock()
		peer := app.Contact{ID: c.Party.ID, Name: c.Party.Name, Relation: c.Party.Relation}
		for _, k := range s.Config.Contacts {
			if k.ID == peer.ID {
				peer.Online, peer.Photo = k.Online, photo(a.store, k.Photo)
			}
		}
		outs = append(outs, app.CallEvent{State: c.State, Incoming: c.Direction == call.Incoming,
			Peer: peer, Reason: app.Reason(c.Reason), AutoAnswer: c.Party.AutoAnswer,
			Muted: c.Muted, CameraOff: c.CameraOff, Reconnecting: c.Reconnecting,
			SoundOnly: c.VideoPaused || c.TheirVideoStopped})
	}
	return outs
}

// samePresence reports whether a and b show the same people online.
func samePresence(a, b signal.Config) bool {
	return a.DeviceOnline == b.DeviceOnline && slices.EqualFunc(a.Contacts, b.Contacts,
		func(x, y signal.Contact) bool { return x.ID == y.ID && x.Online == y.Online })
}

// cacheConfig keeps the configuration and photos for the next start; a bed without a patient
// (discharged) wipes everything patient-specific. When new photos arrive the kiosk is given the
// configuration again, with them.
func (a *phoneAdapter) cacheConfig(ctx context.Context, cfg signal.Config) {
	if cfg.Patient == "" {
		if err := a.store.Wipe(); err != nil {
			a.log.Warn("cannot wipe the patient's data", "err", err)
		}
		return
	}
	if err := a.store.SaveConfig(cfg); err != nil {
		a.log.Warn("cannot cache the configuration", "err", err)
	}
	missing := false
	for _, c := range cfg.Contacts {
		if c.Photo != "" {
			if _, err := a.store.Photo(c.Photo); err != nil {
				missing = true
			}
		}
	}
	if !missing {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := a.store.FetchPhotos(ctx, a.http, a.server, a.signer, cfg); err != nil {
		a.log.Warn("some contact photos could not be fetched", "err", err)
	}
	_ = a.store.PrunePhotos(cfg)
	a.mu.Lock()
	latest := a.cfg
	a.mu.Unlock()
	select {
	case a.refresh <- latest:
	default: // a refresh is already pending; it reads the same cache
	}
}
