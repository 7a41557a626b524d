package tablet

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"reflect"
	"slices"
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

	// The photo of the last call's peer, decoded once per call (changes runs on translate's
	// goroutine only).
	peerPhotoOf string
	peerPhoto   image.Image
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

// Add implements app.Adder: it rings a contact into the call in progress.
func (a *phoneAdapter) Add(ctx context.Context, contactID string) error {
	return a.p.Add(ctx, contactID)
}

// SetMuted and SetCameraOn ask the engine, which owns the call's switches; the kiosk's buttons
// follow the engine's snapshots.
func (a *phoneAdapter) SetMuted(m bool)     { a.p.SetMuted(m) }
func (a *phoneAdapter) SetCameraOn(on bool) { a.p.SetCameraOn(on) }

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

// translate turns the engine's snapshots into the kiosk's events until the engine stops or
// ctx ends: what changed from one snapshot to the next becomes an event. The snapshots are the
// newest state, so the kiosk never shows a call that is over; none of these events is dropped.
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
			outs = a.changes(last, s)
			last = s
		case <-ctx.Done():
			return
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

// changes returns the kiosk events that tell what changed from prev to s. A new configuration
// goes to the cache too.
func (a *phoneAdapter) changes(prev, s call.Snapshot) []app.Event {
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
		a.cache.Put(s.Config)
	}
	if s.ConfigSeq != prev.ConfigSeq || !samePresence(s.Config, prev.Config) {
		outs = append(outs, app.ConfigEvent{Patient: patientFrom(s.Config, a.store)})
	}
	if c := s.Call; c.ID != "" && !sameCall(c, prev.Call) {
		a.mu.Lock()
		a.callID = c.ID
		a.mu.Unlock()
		peer := app.Contact{ID: c.Party.ID, Name: c.Party.Name, Relation: c.Party.Relation}
		for _, k := range s.Config.Contacts {
			if k.ID == peer.ID {
				if a.peerPhotoOf != c.ID+"/"+k.ID {
					a.peerPhotoOf, a.peerPhoto = c.ID+"/"+k.ID, photo(a.store, k.Photo)
				}
				peer.Online, peer.Photo = k.Online, a.peerPhoto
			}
		}
		outs = append(outs, app.CallEvent{State: appState(c.State), Incoming: c.Direction == call.Incoming,
			Peer: peer, Reason: app.Reason(c.Reason), AutoAnswer: c.Party.AutoAnswer,
			Muted: c.Muted, CameraOff: c.CameraOff, Reconnecting: c.Reconnecting,
			SoundOnly: soundOnly(c), Participants: appParticipants(c.Participants)})
	}
	return outs
}

// soundOnly says whether the kiosk shows "Weak signal: sound only": our picture is paused for
// everyone, or, in a call of two, theirs stopped while their sound goes on. In a group call a
// picture that stops shows on its own tile (their photo), and one relative's thin link (who
// then gets our sound only) is not the whole screen's news.
func soundOnly(c call.CallInfo) bool {
	if c.VideoPaused {
		return true
	}
	joined := 0
	for _, p := range c.Participants {
		if p.State != call.PartRinging {
			joined++
		}
	}
	return c.TheirVideoStopped && joined <= 1
}

// sameCall reports whether two snapshots show the same call state.
func sameCall(a, b call.CallInfo) bool { return reflect.DeepEqual(a, b) }

// appParticipants is the kiosk's view of the call's participants; their photos are the
// kiosk's own (it has the contacts').
func appParticipants(ps []call.Participant) []app.Participant {
	out := make([]app.Participant, 0, len(ps))
	for _, p := range ps {
		out = append(out, app.Participant{
			Contact: app.Contact{ID: p.Party.ID, Name: p.Party.Name, Relation: p.Party.Relation, Online: true},
			Guest:   p.Party.Guest, State: appPartState(p.State), Video: p.Video && !p.NoVideo, Level: p.Level,
		})
	}
	return out
}

func appPartState(s call.ParticipantState) app.PartState {
	switch s {
	case call.PartRinging:
		return app.PartRinging
	case call.PartConnecting:
		return app.PartConnecting
	case call.PartInCall:
		return app.PartInCall
	case call.PartReconnecting:
		return app.PartReconnecting
	case call.PartDeclined:
		return app.PartDeclined
	case call.PartMissed:
		return app.PartMissed
	case call.PartLost:
		return app.PartLost
	}
	return app.PartLost
}

// samePresence reports whether a and b show the same people online.
func samePresence(a, b signal.Config) bool {
	return a.DeviceOnline == b.DeviceOnline && slices.EqualFunc(a.Contacts, b.Contacts,
		func(x, y signal.Contact) bool { return x.ID == y.ID && x.Online == y.Online })
}
