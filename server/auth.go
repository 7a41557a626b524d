package server

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"bedside/call/signal"
	"bedside/server/store"
)

// authenticate checks a hello and, when it is good, sets c's identity and joins it to the hub
// (which sends welcome). A failed attempt counts against the client's address; once the
// address has failed too often, its failed attempts are answered rate-limited (the page backs
// off), but a good credential from it is still taken: a tablet or a family behind the same
// NAT as someone guessing is not refused. An unknown link answers as a revoked one does.
func (s *Server) authenticate(ctx context.Context, c *client, m signal.Message, nonce string) error {
	var cfg *signal.Config
	var err error
	switch m.Role {
	case signal.RoleDevice:
		cfg, err = s.helloDevice(ctx, c, m, nonce)
	case signal.RoleFamily:
		cfg, err = s.helloFamily(ctx, c, m.Token)
	default:
		err = fmt.Errorf("%w: staff sign-in is not available here", ErrForbidden)
	}
	if err != nil {
		if codeOf(err) != signal.CodeInternal && !s.helloLimit.allow(c.ip) {
			return fmt.Errorf("%w: too many failed hellos (%v)", ErrRateLimited, codeOf(err))
		}
		return err
	}
	cfg.ICEServers = s.iceServers(c.role, c.id)
	cfg.RingSeconds = int(s.cfg.RingTimeout.Seconds())
	if err := s.join(ctx, c, cfg); err != nil {
		return err
	}
	s.log.Info("client joined", "role", c.role, "id", c.id, "ip", c.ip)
	return nil
}

// helloDevice verifies a device's signature of the nonce and builds its configuration.
func (s *Server) helloDevice(ctx context.Context, c *client, m signal.Message, nonce string) (*signal.Config, error) {
	st := s.cfg.Store
	d, err := st.Device(ctx, m.Device)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("%w: unknown device", ErrUnauthorized)
	} else if err != nil {
		return nil, err
	}
	sig, err := base64.StdEncoding.DecodeString(m.Sig)
	if err != nil || len(d.PublicKey) != ed25519.PublicKeySize || !ed25519.Verify(d.PublicKey, signal.HelloPayload(nonce), sig) {
		return nil, fmt.Errorf("%w: bad device signature", ErrUnauthorized)
	}
	if d.Revoked {
		return nil, ErrDeviceRevoked
	}
	cfg, err := s.deviceConfig(ctx, d)
	if err != nil {
		return nil, err
	}
	if err := st.TouchDevice(ctx, d.ID, s.cfg.Now()); err != nil {
		s.log.Warn("touch device", "device", d.ID, "err", err)
	}
	c.role, c.id, c.bedID, c.wardID = signal.RoleDevice, d.ID, d.BedID, d.WardID
	return cfg, nil
}

// deviceConfig is what device d needs to know: its ward and bed, its patient and contacts.
func (s *Server) deviceConfig(ctx context.Context, d store.Device) (*signal.Config, error) {
	st := s.cfg.Store
	cfg := &signal.Config{}
	w, err := st.Ward(ctx, d.WardID)
	if err != nil {
		return nil, err
	}
	cfg.Ward = w.Name
	cfg.NursePINHash = string(w.NursePINHash)
	if d.BedID == "" {
		return cfg, nil
	}
	b, err := st.Bed(ctx, d.BedID)
	if err != nil {
		return nil, err
	}
	cfg.Bed = b.Name
	p, err := st.PatientInBed(ctx, d.BedID)
	if errors.Is(err, store.ErrNotFound) {
		return cfg, nil
	} else if err != nil {
		return nil, err
	}
	cfg.Patient, cfg.Language, cfg.AutoAnswer = p.FirstName, p.Language, p.AutoAnswer
	cfg.VisitingHours = p.VisitingHours
	cfg.GroupCalls = !p.GroupCallsOff
	contacts, err := st.Contacts(ctx, p.ID)
	if err != nil {
		return nil, err
	}
	for _, k := range contacts {
		cfg.Contacts = append(cfg.Contacts, signal.Contact{
			Party: signal.Party{ID: k.ID, Name: k.Name, Relation: k.Relation, AutoAnswer: k.AutoAnswer},
			Photo: k.PhotoHash,
		})
	}
	return cfg, nil
}

// hashToken is how family link tokens are stored: SHA-256 of the exact token.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// familyAccess is what a working family link gives access to.
type familyAccess struct {
	expires time.Time // when the link expires; zero: never
	contact store.Contact
	patient store.Patient
}

// familyLink checks a family link (by its token hash) and returns its contact and patient.
// An unknown link answers as a revoked one does: the answer does not tell whether a token
// ever existed.
func (s *Server) familyLink(ctx context.Context, tokenHash []byte) (familyAccess, error) {
	st := s.cfg.Store
	l, err := st.LinkByToken(ctx, tokenHash)
	if errors.Is(err, store.ErrNotFound) {
		return familyAccess{}, errUnknownLink
	} else if err != nil {
		return familyAccess{}, err
	}
	if !l.Revoked.IsZero() {
		return familyAccess{}, ErrLinkRevoked
	}
	if !l.Expires.IsZero() && !s.cfg.Now().Before(l.Expires) {
		return familyAccess{}, ErrLinkExpired
	}
	k, err := st.Contact(ctx, l.ContactID)
	if errors.Is(err, store.ErrNotFound) {
		return familyAccess{}, fmt.Errorf("%w: contact removed", ErrLinkRevoked)
	} else if err != nil {
		return familyAccess{}, err
	}
	p, err := st.Patient(ctx, k.PatientID)
	if errors.Is(err, store.ErrNotFound) {
		return familyAccess{}, fmt.Errorf("%w: patient removed", ErrLinkRevoked)
	} else if err != nil {
		return familyAccess{}, err
	}
	if !p.Discharged.IsZero() {
		return familyAccess{}, fmt.Errorf("%w: patient discharged", ErrLinkRevoked)
	}
	return familyAccess{expires: l.Expires, contact: k, patient: p}, nil
}

// errUnknownLink is a token that is no family link: it answers as a revoked one does.
var errUnknownLink = fmt.Errorf("%w: unknown link", ErrLinkRevoked)

// helloFamily checks a family (or guest) link token and builds the page's configuration.
func (s *Server) helloFamily(ctx context.Context, c *client, token string) (*signal.Config, error) {
	th := hashToken(token)
	a, err := s.familyLink(ctx, th)
	if errors.Is(err, errUnknownLink) {
		cfg, gerr := s.helloGuest(ctx, c, th)
		if errors.Is(gerr, ErrNotFound) {
			return nil, err // neither: answered as an unknown family link
		}
		return cfg, gerr
	}
	if err != nil {
		return nil, err
	}
	k, p := a.contact, a.patient
	cfg := familyConfig(k, p)
	if err := addOtherContacts(ctx, s.cfg.Store, cfg, k); err != nil {
		return nil, err
	}
	c.role, c.id, c.bedID, c.tokenHash, c.linkExpires = signal.RoleFamily, k.ID, p.BedID, th, a.expires
	c.patientID = p.ID
	if b, err := s.cfg.Store.Bed(ctx, p.BedID); err == nil {
		c.wardID = b.WardID // for the metrics' ward label only
	}
	return cfg, nil
}

// familyConfig is what a family page of contact k of patient p needs to know. It never
// carries the ward's nurse PIN hash, which is for the ward's tablets only.
func familyConfig(k store.Contact, p store.Patient) *signal.Config {
	lang := k.Language
	if lang == "" {
		lang = p.Language
	}
	return &signal.Config{
		Patient:       p.FirstName,
		Language:      lang,
		Self:          &signal.Party{ID: k.ID, Name: k.Name, Relation: k.Relation},
		VisitingHours: p.VisitingHours,
		GroupCalls:    !p.GroupCallsOff,
		MayJoin:       !k.JoinOff,
	}
}

// handle serves one request of an authenticated client.
func (s *Server) handle(ctx context.Context, c *client, m signal.Message) error {
	switch m.Type {
	case signal.TypeHello:
		return fmt.Errorf("%w: already authenticated", ErrBadState)
	case signal.TypeInvite:
		if c.guest {
			return fmt.Errorf("%w: a guest can only join a call in progress", ErrForbidden)
		}
		// Checked first: an invite over the limit costs no store read and rings no one.
		if !s.inviteLimit.allow(string(c.role) + ":" + c.id) {
			if !c.invitesRefused { // one line per run of refusals: a flood does not flood the log
				s.log.Warn("invite rate limited", "role", c.role, "id", c.id, "ip", c.ip)
			}
			c.invitesRefused = true
			return ErrTooManyCalls
		}
		c.invitesRefused = false
		inv, err := s.checkInvite(ctx, c, m.To)
		if err != nil {
			return err
		}
		return s.hubOf(c).invite(c, inv)
	case signal.TypeAccept:
		return s.hubOf(c).act(c, m.Call, evAccept)
	case signal.TypeDecline:
		return s.hubOf(c).act(c, m.Call, evDecline)
	case signal.TypeHangup:
		if m.Reason == signal.ReasonFailed {
			return s.hubOf(c).act(c, m.Call, evFail) // the call broke at that end: the log says so
		}
		return s.hubOf(c).act(c, m.Call, evHangup)
	case signal.TypeConnected:
		return s.hubOf(c).act(c, m.Call, evConnected)
	case signal.TypeResume:
		if c.guest {
			a, err := s.guestLink(ctx, c.tokenHash)
			if err != nil {
				if errors.Is(err, ErrNotFound) {
					err = ErrLinkRevoked
				}
				return err
			}
			inv := invitation{patientID: a.patient.ID, groupCalls: !a.patient.GroupCallsOff}
			return s.hubOf(c).resumeGroup(c, m.Call, inv)
		}
		if c.role == signal.RoleDevice && m.To == "" {
			if err := s.deviceStillValid(ctx, c); err != nil {
				return err
			}
			return s.hubOf(c).resumeGroup(c, m.Call, invitation{})
		}
		// Who may be in a call with whom is checked as for an invite, in case the server
		// lost the call and takes it back from this end.
		inv, err := s.checkInvite(ctx, c, m.To)
		if err != nil {
			return err
		}
		sd := sideCaller
		if m.Side == signal.SideCallee {
			sd = sideCallee
		}
		return s.hubOf(c).resume(c, m.Call, sd, inv)
	case signal.TypeOffer, signal.TypeAnswer, signal.TypeCandidate, signal.TypeRestart:
		return s.hubOf(c).relay(c, m)
	case signal.TypeStatus:
		return s.handleStatus(ctx, c, m)
	case signal.TypePing:
		c.send(signal.Message{Type: signal.TypePong})
		return nil
	case signal.TypeJoin:
		return s.handleJoin(ctx, c, m)
	case signal.TypeAdd:
		return s.handleAdd(ctx, c, m)
	}
	return signal.Errorf(signal.CodeBadMessage, "%s is not a client message", m.Type)
}

// checkInvite checks an invite against the store, fresh: a family link may have been revoked
// and a bed's patient may have changed since hello.
func (s *Server) checkInvite(ctx context.Context, c *client, to string) (invitation, error) {
	st := s.cfg.Store
	if c.role == signal.RoleFamily {
		a, err := s.familyLink(ctx, c.tokenHash)
		if err != nil {
			return invitation{}, err
		}
		k, p := a.contact, a.patient
		return invitation{dir: store.FromFamily, patientID: p.ID, contactID: k.ID, groupCalls: !p.GroupCallsOff,
			from: signal.Party{ID: k.ID, Name: k.Name, Relation: k.Relation, AutoAnswer: k.AutoAnswer && p.AutoAnswer}}, nil
	}
	d, err := st.Device(ctx, c.id)
	if err != nil {
		return invitation{}, err
	}
	if d.Revoked {
		return invitation{}, ErrDeviceRevoked
	}
	if c.bedID == "" {
		return invitation{}, ErrNoPatient
	}
	p, err := st.PatientInBed(ctx, c.bedID)
	if errors.Is(err, store.ErrNotFound) {
		return invitation{}, ErrNoPatient
	} else if err != nil {
		return invitation{}, err
	}
	if to == "" {
		return invitation{}, signal.Errorf(signal.CodeBadMessage, "invite needs a contact in to")
	}
	k, err := st.Contact(ctx, to)
	if errors.Is(err, store.ErrNotFound) || (err == nil && k.PatientID != p.ID) {
		return invitation{}, fmt.Errorf("%w: not a contact of this patient", ErrForbidden)
	} else if err != nil {
		return invitation{}, err
	}
	return invitation{dir: store.FromPatient, patientID: p.ID, contactID: k.ID, groupCalls: !p.GroupCallsOff,
		from: signal.Party{ID: signal.DevicePeer, Name: p.FirstName}}, nil
}
