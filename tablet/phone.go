package tablet

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"bedside/app"
	"bedside/call"
	"bedside/call/media"
	"bedside/call/signal"
	"bedside/provisioning"
)

// phoneAdapter makes a *call.Phone an app.Phone: it remembers the current call's id and turns
// the engine's events into the kiosk's. Configurations go to the cache, which keeps them (and
// their photos) on the device.
type phoneAdapter struct {
	p       *call.Phone
	local   *media.Local
	store   *provisioning.DeviceStore
	log     *slog.Logger
	cache   *configCache
	events  chan app.Event
	refresh chan signal.Config // configurations with freshly fetched photos
	// onConfig is given every configuration the server sends (the ward's nurse PIN).
	onConfig func(signal.Config)

	mu     sync.Mutex
	callID string
	cfg    signal.Config
}

func newPhoneAdapter(p *call.Phone, local *media.Local, store *provisioning.DeviceStore, log *slog.Logger) *phoneAdapter {
	return &phoneAdapter{p: p, local: local, store: store, log: log,
		events: make(chan app.Event, 64), refresh: make(chan signal.Config, 1)}
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

func (a *phoneAdapter) SetMuted(m bool) {
	if a.local != nil {
		a.local.SetAudioEnabled(!m)
	}
}

func (a *phoneAdapter) SetCameraOn(on bool) {
	if a.local != nil {
		a.local.SetVideoEnabled(on)
	}
}

// photosCached is the cache's OnPhotos: the kiosk is given the latest configuration again, now
// with the photos.
func (a *phoneAdapter) photosCached() {
	a.mu.Lock()
	latest := a.cfg
	a.mu.Unlock()
	select {
	case a.refresh <- latest:
	default: // a refresh is already pending; it reads the same cache
	}
}

// appState is the kiosk's name for the engine's call state.
func appState(s call.State) app.State {
	switch s {
	case call.Idle:
		return app.Idle
	case call.Ringing:
		return app.Ringing
	case call.Connecting:
		return app.Connecting
	case call.InCall:
		return app.InCall
	case call.Ended:
		return app.Ended
	case call.Failed:
		return app.Failed
	}
	return app.Failed // a state this kiosk does not know: the call is not usable
}

// translate turns the engine's events into the kiosk's until the engine stops.
func (a *phoneAdapter) translate(ctx context.Context) {
	defer close(a.events)
	for {
		var ev call.Event
		select {
		case cfg := <-a.refresh:
			ev = call.Event{Kind: call.EventPresence, Config: cfg}
		case e, ok := <-a.p.Events():
			if !ok {
				return
			}
			ev = e
		case <-ctx.Done():
			return
		}
		var out app.Event
		switch ev.Kind {
		case call.EventCall:
			a.mu.Lock()
			if ev.Call != "" {
				a.callID = ev.Call
			}
			contacts := a.cfg.Contacts
			a.mu.Unlock()
			peer := app.Contact{ID: ev.Party.ID, Name: ev.Party.Name, Relation: ev.Party.Relation}
			for _, c := range contacts {
				if c.ID == peer.ID {
					peer.Online, peer.Photo = c.Online, photo(a.store, c.Photo)
				}
			}
			out = app.CallEvent{State: appState(ev.State), Incoming: ev.Direction == call.Incoming,
				Peer: peer, Reason: app.Reason(ev.Reason), AutoAnswer: ev.Party.AutoAnswer}
		case call.EventConfig, call.EventPresence:
			a.mu.Lock()
			a.cfg = ev.Config
			a.mu.Unlock()
			if ev.Kind == call.EventConfig {
				if a.onConfig != nil {
					a.onConfig(ev.Config)
				}
				a.cache.Put(ev.Config)
			}
			out = app.ConfigEvent{Patient: patientFrom(ev.Config, a.store)}
		case call.EventServer:
			out = app.ConnEvent{Online: ev.Connected}
		default:
			continue
		}
		select {
		case a.events <- out:
		case <-ctx.Done():
			return
		}
	}
}
