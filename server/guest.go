package server

import (
	"context"
	"fmt"

	"bedside/server/store"
)

// guestJoining checks that guest page c may join call id now (its link still works, and
// has not joined another call) and records the call it joins; it returns the patient.
func (s *Server) guestJoining(ctx context.Context, c *client, id string) (store.Patient, error) {
	return store.Patient{}, fmt.Errorf("%w: guest links are not available yet", ErrForbidden)
}

// spendGuestLinks revokes the links of the guests of a call that ended: a guest link is for
// one call.
func (h *hub) spendGuestLinks(r store.CallRecord) {
	for _, p := range r.Participants {
		if p.Kind != store.KindGuest || p.ID == "" {
			continue
		}
		ctx, cancel := storeCtx()
		err := h.s.cfg.Store.RevokeGuestLink(ctx, p.ID, r.Ended)
		cancel()
		if err != nil {
			h.s.log.Error("spend guest link", "guest", p.ID, "err", err)
		}
	}
}
