package server

import (
	"context"
	"errors"
	"fmt"

	"bedside/call/signal"
	"bedside/server/store"
)

// Refresh tells the clients of a bed that its data changed (a patient admitted or discharged,
// a contact added or edited, auto-answer switched, the device revoked): the bed's device gets
// a config message with its fresh configuration, or is closed with revoked; each family page
// of the bed gets a fresh config, or is closed with link-revoked or link-expired when its link
// no longer works. The nurse console calls it after every change it makes.
func (s *Server) Refresh(ctx context.Context, bedID string) error {
	if s.cluster != nil && s.cluster.forward(ctx, s.bedWard(ctx, bedID), envelope{Op: opRefresh, Bed: bedID}) {
		return nil
	}
	dev, fams := s.hub.bedClients(bedID)
	var errs []error
	if p, err := s.cfg.Store.PatientInBed(ctx, bedID); err == nil {
		s.hub.groupCallsChanged(p.ID, !p.GroupCallsOff)
	} else if !errors.Is(err, store.ErrNotFound) {
		errs = append(errs, err)
	}
	if dev != nil {
		if err := s.refreshDevice(ctx, dev); err != nil {
			errs = append(errs, err)
		}
	}
	for _, f := range fams {
		if err := s.refreshFamily(ctx, f); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (s *Server) refreshDevice(ctx context.Context, c *client) error {
	d, err := s.cfg.Store.Device(ctx, c.id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.Revoked) {
		c.fail("", ErrDeviceRevoked)
		return nil
	} else if err != nil {
		return fmt.Errorf("server: refresh device %s: %w", c.id, err)
	}
	cfg, err := s.deviceConfig(ctx, d)
	if err != nil {
		return fmt.Errorf("server: refresh device %s: %w", c.id, err)
	}
	cfg.ICEServers = s.iceServers(c.role, c.id)
	cfg.RingSeconds = int(s.cfg.RingTimeout.Seconds())
	s.hub.sendConfig(c, cfg)
	return nil
}

func (s *Server) refreshFamily(ctx context.Context, c *client) error {
	if c.guest {
		return s.refreshGuest(ctx, c)
	}
	a, err := s.familyLink(ctx, c.tokenHash)
	k, p := a.contact, a.patient
	switch {
	case errors.Is(err, ErrLinkRevoked), errors.Is(err, ErrLinkExpired):
		c.fail("", err)
		return nil
	case err != nil:
		return fmt.Errorf("server: refresh family page: %w", err)
	case p.BedID != c.bedID:
		// The patient moved to another bed: reconnecting reaches it.
		c.fail("", fmt.Errorf("%w: the patient moved", ErrShuttingDown))
		return nil
	}
	cfg := familyConfig(k, p)
	cfg.ICEServers = s.iceServers(c.role, c.id)
	cfg.RingSeconds = int(s.cfg.RingTimeout.Seconds())
	s.hub.sendConfig(c, cfg)
	return nil
}

// bedClients returns the bed's device connection (or nil) and its family connections.
func (h *hub) bedClients(bedID string) (*client, []*client) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var fams []*client
	for f := range h.bedFamilies[bedID] {
		fams = append(fams, f)
	}
	return h.beds[bedID], fams
}

// sendConfig completes cfg with who is online and sends it to c as a config message.
func (h *hub) sendConfig(c *client, cfg *signal.Config) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !c.joined {
		return
	}
	switch c.role {
	case signal.RoleDevice:
		for i := range cfg.Contacts {
			cfg.Contacts[i].Online = len(h.contacts[cfg.Contacts[i].ID]) > 0
		}
		c.party.Name = cfg.Patient
	case signal.RoleFamily:
		cfg.DeviceOnline = h.beds[c.bedID] != nil
		c.setSelfLocked(cfg)
	}
	h.sendLocked(c, signal.Message{Type: signal.TypeConfig, Config: cfg})
	h.liveToLocked(c) // whether it may join may have changed
}
