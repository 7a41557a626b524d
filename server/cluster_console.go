package server

import (
	"context"
)

// The nurse console changes the store through whichever instance it reached; the clients the
// change concerns are in the hub of their ward's owner, so the change is carried out there.

// console carries out a console change forwarded by another instance.
func (cl *cluster) console(ctx context.Context, e envelope) {
	switch e.Op {
	case opRefresh:
		cl.s.ConfigChanged(ctx, e.Bed)
	case opWard:
		cl.s.WardChanged(ctx, e.WardID)
	case opRevoke:
		cl.s.RevokeDevice(ctx, e.Device)
	case opRevokeGuest:
		cl.s.RevokeGuest(ctx, e.GuestLink)
	}
}

// forward sends a console change about ward to the ward's owner and reports true, or reports
// false when this instance is the owner (or the ward is unknown: then nobody is connected to
// it here either) and should carry it out itself.
func (cl *cluster) forward(ctx context.Context, ward string, e envelope) bool {
	if cl == nil || ward == "" {
		return false
	}
	owner, err := cl.ownerOf(ctx, ward)
	if err != nil {
		cl.s.log.Error("cluster: owner of ward", "ward", ward, "err", err)
		return false
	}
	if owner == cl.bus.ID() {
		return false
	}
	if err := cl.publish(ctx, owner, e); err != nil {
		cl.s.log.Error("cluster: forward console change", "op", e.Op, "instance", owner, "err", err)
	}
	return true
}

// bedWard is the ward of a bed, or "" when the store does not say.
func (s *Server) bedWard(ctx context.Context, bedID string) string {
	b, err := s.cfg.Store.Bed(ctx, bedID)
	if err != nil {
		return ""
	}
	return b.WardID
}

// deviceWard is the ward of a tablet, or "" when the store does not say.
func (s *Server) deviceWard(ctx context.Context, deviceID string) string {
	d, err := s.cfg.Store.Device(ctx, deviceID)
	if err != nil {
		return ""
	}
	return d.WardID
}

// guestWard is the ward of a guest link's patient's bed, or "" when the store does not say.
func (s *Server) guestWard(ctx context.Context, guestID string) string {
	g, err := s.cfg.Store.GuestLink(ctx, guestID)
	if err != nil {
		return ""
	}
	p, err := s.cfg.Store.Patient(ctx, g.PatientID)
	if err != nil {
		return ""
	}
	return s.bedWard(ctx, p.BedID)
}
