package server

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"time"

	"bedside/call/signal"
	"bedside/server/store"
)

// Guest links (issue #13): a nurse makes one for an interpreter or a chaplain, for one
// admitted patient and a few hours. Its page opens from the same URL form as a family link
// (/j/{token}) and says hello as a family page; the server knows it by its token. A guest can
// only join a call of its patient in progress (never invite, never add); once the call it
// joined ends the link is spent (revoked).

// Guest link lifetimes, in hours.
const (
	GuestHoursDefault = 3
	GuestHoursMax     = 12
)

// NewGuestLink creates a guest link for the patient, valid for hours (1 to GuestHoursMax),
// and returns it with its token (128 random bits, base64url; only its SHA-256 is stored).
func NewGuestLink(ctx context.Context, st store.Store, patientID, name, role string, hours int, opts LinkOptions) (store.GuestLink, string, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.Reader
	}
	if hours < 1 || hours > GuestHoursMax {
		return store.GuestLink{}, "", fmt.Errorf("server: new guest link: %w: hours must be 1 to %d", ErrBadRequest, GuestHoursMax)
	}
	b := make([]byte, linkTokenBytes)
	if _, err := io.ReadFull(opts.Rand, b); err != nil {
		return store.GuestLink{}, "", fmt.Errorf("server: new guest link: random: %w", err)
	}
	token := base64.RawURLEncoding.EncodeToString(b)
	now := opts.Now()
	g, err := st.CreateGuestLink(ctx, store.GuestLink{PatientID: patientID, TokenHash: hashToken(token),
		Name: name, Role: role, Created: now, Expires: now.Add(time.Duration(hours) * time.Hour)})
	if err != nil {
		return store.GuestLink{}, "", fmt.Errorf("server: new guest link: %w", err)
	}
	return g, token, nil
}

// guestAccess is what a working guest link gives access to.
type guestAccess struct {
	link    store.GuestLink
	patient store.Patient
}

// guestLink checks a guest link by its token hash (ErrNotFound when there is none, for the
// caller to answer as for an unknown family link).
func (s *Server) guestLink(ctx context.Context, tokenHash []byte) (guestAccess, error) {
	g, err := s.cfg.Store.GuestLinkByToken(ctx, tokenHash)
	if errors.Is(err, store.ErrNotFound) {
		return guestAccess{}, ErrNotFound
	} else if err != nil {
		return guestAccess{}, err
	}
	return s.checkGuest(ctx, g)
}

// checkGuest checks that guest link g still works: not revoked or spent, not expired, its
// patient still admitted.
func (s *Server) checkGuest(ctx context.Context, g store.GuestLink) (guestAccess, error) {
	if !g.Revoked.IsZero() {
		return guestAccess{}, fmt.Errorf("%w: guest link revoked or spent", ErrLinkRevoked)
	}
	if !s.cfg.Now().Before(g.Expires) {
		return guestAccess{}, ErrLinkExpired
	}
	p, err := s.cfg.Store.Patient(ctx, g.PatientID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !p.Discharged.IsZero()) {
		return guestAccess{}, fmt.Errorf("%w: patient discharged", ErrLinkRevoked)
	} else if err != nil {
		return guestAccess{}, err
	}
	return guestAccess{link: g, patient: p}, nil
}

// guestConfig is what guest page a needs to know.
func guestConfig(a guestAccess) *signal.Config {
	g, p := a.link, a.patient
	return &signal.Config{
		Patient:       p.FirstName,
		Language:      p.Language,
		Self:          &signal.Party{ID: g.ID, Name: g.Name, Relation: g.Role, Guest: true},
		VisitingHours: p.VisitingHours,
		GroupCalls:    !p.GroupCallsOff,
		MayJoin:       true,
	}
}

// helloGuest authenticates guest page c by its link's token hash th.
func (s *Server) helloGuest(ctx context.Context, c *client, th []byte) (*signal.Config, error) {
	a, err := s.guestLink(ctx, th)
	if err != nil {
		return nil, err
	}
	c.role, c.id, c.bedID, c.tokenHash, c.linkExpires = signal.RoleFamily, a.link.ID, a.patient.BedID, th, a.link.Expires
	c.patientID, c.guest = a.patient.ID, true
	if b, err := s.cfg.Store.Bed(ctx, a.patient.BedID); err == nil {
		c.wardID = b.WardID // for the metrics' ward label only
	}
	return guestConfig(a), nil
}

// joinGuest puts guest page c (of guest link linkID, checked by the caller) into call id, in
// progress, and records the call the link is for: only a call of the guest's patient that
// this hub holds, so that a wrong call id does not spend the link. A link that joined
// another call before is refused.
func (h *hub) joinGuest(c *client, id, linkID string, groupCalls bool) error {
	if !h.callOf(id, c.patientID) {
		return fmt.Errorf("%w: %s", ErrNoSuchCall, id)
	}
	ctx, cancel := storeCtx()
	defer cancel()
	if err := h.s.cfg.Store.GuestJoins(ctx, linkID, id); errors.Is(err, store.ErrUsed) {
		return fmt.Errorf("%w: this guest link was for another call", ErrForbidden)
	} else if err != nil {
		return err
	}
	return h.joinCall(c, id, groupCalls, true)
}

// refreshGuest sends guest page c its fresh configuration, or closes it when its link no
// longer works.
func (s *Server) refreshGuest(ctx context.Context, c *client) error {
	a, err := s.guestLink(ctx, c.tokenHash)
	switch {
	case errors.Is(err, ErrNotFound):
		c.fail("", ErrLinkRevoked)
		return nil
	case errors.Is(err, ErrLinkRevoked), errors.Is(err, ErrLinkExpired):
		c.fail("", err)
		return nil
	case err != nil:
		return fmt.Errorf("server: refresh guest page: %w", err)
	}
	cfg := guestConfig(a)
	cfg.ICEServers = s.iceServers(c.role, c.id)
	cfg.RingSeconds = int(s.cfg.RingTimeout.Seconds())
	s.hub.sendConfig(c, cfg)
	return nil
}

// RevokeGuest closes the page of a guest link that a nurse just revoked; when the guest is in
// a call, they leave it.
func (s *Server) RevokeGuest(ctx context.Context, guestID string) {
	if s.cluster != nil && s.cluster.forward(ctx, s.guestWard(ctx, guestID), envelope{Op: opRevokeGuest, GuestLink: guestID}) {
		return
	}
	s.hub.mu.Lock()
	var pages []*client
	for _, fams := range s.hub.bedFamilies {
		for f := range fams {
			if f.guest && f.id == guestID {
				pages = append(pages, f)
			}
		}
	}
	s.hub.mu.Unlock()
	for _, c := range pages {
		c.fail("", ErrLinkRevoked) // policy: its call does not hold its place
	}
}

// callOf reports whether call id is one of the patient's.
func (h *hub) callOf(id, patientID string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := h.calls[id]
	return k != nil && k.patientID == patientID
}

// resumeGroup puts c back into group call id after its connection came back: a guest page, or
// a tablet that names no other end (a group call has none). Neither takes back a call the
// server lost: that is for the two ends of a call of two (hub.resume).
func (h *hub) resumeGroup(c *client, id string, inv invitation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := h.calls[id]
	switch {
	case k != nil && c.call == k:
		return nil
	case c.call != nil:
		return fmt.Errorf("%w: in call %s", ErrBusy, c.call.id)
	case k == nil:
		if reason, over := h.overSet[id]; over {
			h.sendLocked(c, signal.Message{Type: signal.TypeEnded, Call: id, Reason: reason})
			return nil
		}
		return fmt.Errorf("%w: %s", ErrNoSuchCall, id)
	case !k.isGroup():
		return h.resumeJoinLocked(c, k, inv) // a guest the server's restart forgot
	}
	if err := h.groupResumeLocked(c, k); err == nil {
		return nil
	}
	return h.resumeJoinLocked(c, k, inv)
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
			continue
		}
		h.s.RevokeGuest(context.Background(), p.ID) // its page hears the link is spent
	}
}
