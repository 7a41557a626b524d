package server

import (
	"context"
	"errors"

	"bedside/server/store"
)

// These methods are the live side of the server as the nurse console sees it (its Hub
// interface). They never fail: the store is the truth, and a client that misses a push gets
// everything at its next connection. Failures are logged.

// DeviceOnline reports whether the tablet with this device id is connected now.
func (s *Server) DeviceOnline(deviceID string) bool {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	return s.hub.devices[deviceID] != nil
}

// ConfigChanged pushes fresh configuration to a bed's tablet and family pages, closing those
// whose link no longer works (see Refresh).
func (s *Server) ConfigChanged(ctx context.Context, bedID string) {
	if err := s.Refresh(ctx, bedID); err != nil {
		s.log.Error("refresh bed", "bed", bedID, "err", err)
	}
}

// Discharged tells the tablet that its patient is gone (its fresh configuration has no
// patient, which makes it wipe everything about them) and closes the family pages of its bed:
// those whose link was revoked with link-revoked, those of a patient moved to another bed
// with shutting-down, so that they reconnect and reach the new bed.
func (s *Server) Discharged(ctx context.Context, deviceID string) {
	bedID := ""
	s.hub.mu.Lock()
	if c := s.hub.devices[deviceID]; c != nil {
		bedID = c.bedID
	}
	s.hub.mu.Unlock()
	if bedID == "" {
		d, err := s.cfg.Store.Device(ctx, deviceID)
		if err != nil {
			if !errors.Is(err, store.ErrNotFound) {
				s.log.Error("discharged: device", "device", deviceID, "err", err)
			}
			return
		}
		bedID = d.BedID
	}
	if bedID != "" {
		s.ConfigChanged(ctx, bedID)
	}
}

// WardChanged pushes fresh configuration to every connected tablet of the ward, those paired
// to the ward only included: something the whole ward shares (its nurse PIN) changed.
func (s *Server) WardChanged(ctx context.Context, wardID string) {
	if s.cluster != nil && s.cluster.forward(ctx, wardID, envelope{Op: opWard, WardID: wardID}) {
		return
	}
	s.hub.mu.Lock()
	var devs []*client
	for _, c := range s.hub.devices {
		if c.wardID == wardID {
			devs = append(devs, c)
		}
	}
	s.hub.mu.Unlock()
	for _, c := range devs {
		if err := s.refreshDevice(ctx, c); err != nil {
			s.log.Error("refresh ward tablet", "ward", wardID, "device", c.id, "err", err)
		}
	}
}

// RevokeDevice closes the connection of a tablet that was just revoked in the store.
func (s *Server) RevokeDevice(ctx context.Context, deviceID string) {
	if s.cluster != nil && s.cluster.forward(ctx, s.deviceWard(ctx, deviceID), envelope{Op: opRevoke, Device: deviceID}) {
		return
	}
	s.hub.mu.Lock()
	c := s.hub.devices[deviceID]
	s.hub.mu.Unlock()
	if c != nil {
		c.fail("", ErrDeviceRevoked)
	}
}
