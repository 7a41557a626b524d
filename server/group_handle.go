package server

import (
	"context"
	"errors"
	"fmt"

	"bedside/call/signal"
	"bedside/server/store"
)

// The group-call requests of a client (join, add), checked against the store, fresh (a nurse
// may have changed the settings since hello), before the hub applies them.

// allowCallRequest applies the invite rate limit to a request that may ring or disturb
// others (invite, join, add).
func (s *Server) allowCallRequest(c *client) error {
	if !s.inviteLimit.allow(string(c.role) + ":" + c.id) {
		if !c.invitesRefused { // one line per run of refusals
			s.log.Warn("call request rate limited", "role", c.role, "id", c.id, "ip", c.ip)
		}
		c.invitesRefused = true
		return ErrTooManyCalls
	}
	c.invitesRefused = false
	return nil
}

// handleJoin serves join: a family or guest page comes into a call of its patient in progress.
func (s *Server) handleJoin(ctx context.Context, c *client, m signal.Message) error {
	if c.role != signal.RoleFamily {
		return fmt.Errorf("%w: only family and guest pages join calls", ErrForbidden)
	}
	if err := s.allowCallRequest(c); err != nil {
		return err
	}
	if c.guest {
		a, err := s.guestLink(ctx, c.tokenHash)
		if errors.Is(err, ErrNotFound) {
			err = ErrLinkRevoked
		}
		if err != nil {
			return err
		}
		return s.hubOf(c).joinGuest(c, m.Call, a.link.ID, !a.patient.GroupCallsOff)
	}
	a, err := s.familyLink(ctx, c.tokenHash)
	if err != nil {
		return err
	}
	return s.hubOf(c).joinCall(c, m.Call, !a.patient.GroupCallsOff, !a.contact.JoinOff)
}

// handleAdd serves add: a participant rings another contact of the patient into the call.
func (s *Server) handleAdd(ctx context.Context, c *client, m signal.Message) error {
	if c.guest {
		return fmt.Errorf("%w: a guest cannot ring anyone", ErrForbidden)
	}
	if err := s.allowCallRequest(c); err != nil {
		return err
	}
	var p store.Patient
	mayJoin := true
	switch c.role {
	case signal.RoleFamily:
		a, err := s.familyLink(ctx, c.tokenHash)
		if err != nil {
			return err
		}
		p, mayJoin = a.patient, !a.contact.JoinOff
	case signal.RoleDevice:
		inv, err := s.checkInvite(ctx, c, m.To) // the device's patient, and m.To is their contact
		if err != nil {
			return err
		}
		if p, err = s.cfg.Store.Patient(ctx, inv.patientID); err != nil {
			return err
		}
	default:
		return ErrForbidden
	}
	k, err := s.cfg.Store.Contact(ctx, m.To)
	if errors.Is(err, store.ErrNotFound) || (err == nil && k.PatientID != p.ID) {
		return fmt.Errorf("%w: not a contact of this patient", ErrForbidden)
	} else if err != nil {
		return err
	}
	to := signal.Party{ID: k.ID, Name: k.Name, Relation: k.Relation}
	return s.hubOf(c).addToCall(c, m.Call, to, !p.GroupCallsOff, mayJoin)
}

// deviceStillValid checks, fresh from the store, that tablet c is not revoked.
func (s *Server) deviceStillValid(ctx context.Context, c *client) error {
	d, err := s.cfg.Store.Device(ctx, c.id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && d.Revoked) {
		return ErrDeviceRevoked
	} else if err != nil {
		return err
	}
	return nil
}
