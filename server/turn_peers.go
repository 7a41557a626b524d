package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"

	"bedside/call/signal"
	"bedside/server/store"
)

// maxAnnounced bounds the addresses remembered for one end of a call; later ones are not
// reachable through the relay (a real end announces a handful).
const maxAnnounced = 32

// addrSet is the IP addresses one end of a call announced in its ICE candidates.
type addrSet map[netip.Addr]struct{}

// candidateAddr is the connection address of an ICE candidate line ("candidate:..." as
// trickled, or "a=candidate:..." from an SDP). ok is false for a malformed candidate and for
// an mDNS ".local" name, which is not an address.
func candidateAddr(line string) (netip.Addr, bool) {
	line = strings.TrimSpace(line)
	line = strings.TrimPrefix(line, "a=")
	rest, found := strings.CutPrefix(line, "candidate:")
	if !found {
		return netip.Addr{}, false
	}
	// foundation component transport priority address port "typ" type [...]
	f := strings.Fields(rest)
	if len(f) < 8 || f[6] != "typ" {
		return netip.Addr{}, false
	}
	switch strings.ToLower(f[2]) {
	case "udp", "tcp":
	default:
		return netip.Addr{}, false
	}
	if port, err := strconv.Atoi(f[5]); err != nil || port < 0 || port > 65535 {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(f[4])
	if err != nil || a.IsUnspecified() {
		return netip.Addr{}, false
	}
	return a.WithZone("").Unmap(), true
}

// announceLocked remembers the addresses in the candidates of m, sent by side sd of k: the
// relay lets the other end's allocations reach them. Guarded by hub.mu.
func (k *call) announceLocked(sd side, m signal.Message) {
	if sd != sideCaller && sd != sideCallee {
		return
	}
	k.announced[sd] = announceInto(k.announced[sd], m)
}

// announceInto adds the addresses in the candidates of m to set (made when nil) and returns it.
func announceInto(set addrSet, m signal.Message) addrSet {
	if set == nil {
		set = make(addrSet)
	}
	add := func(line string) {
		if a, ok := candidateAddr(line); ok && len(set) < maxAnnounced {
			set[a] = struct{}{}
		}
	}
	if m.Candidate != nil {
		add(m.Candidate.Candidate)
	}
	for line := range strings.SplitSeq(m.SDP, "\n") {
		if strings.HasPrefix(line, "a=candidate:") {
			add(line)
		}
	}
	return set
}

// deviceSide is the side of k the patient's device is on.
func (k *call) deviceSide() side {
	if k.dir == store.FromPatient {
		return sideCaller
	}
	return sideCallee
}

// sideOfHolder says which side of k holder who is on; sideNone when it is not part of k.
func (k *call) sideOfHolder(who holder) side {
	switch {
	case who.role == signal.RoleDevice && k.deviceID == who.id:
		return k.deviceSide()
	case who.role == signal.RoleFamily && k.contactID == who.id:
		return sideCaller + sideCallee - k.deviceSide()
	}
	return sideNone
}

// announcedTo reports whether the end opposite holder who in some call announced ip.
func (h *hub) announcedTo(who holder, ip netip.Addr) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range h.calls {
		if k.isGroup() {
			if k.groupAnnouncedTo(who, ip) {
				return true
			}
			continue
		}
		if mine := k.sideOfHolder(who); mine != sideNone {
			if _, ok := k.announced[sideCaller+sideCallee-mine][ip]; ok {
				return true
			}
		}
	}
	return false
}

// holderInCall reports whether holder who is part of a call.
func (h *hub) holderInCall(who holder) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range h.calls {
		if k.isGroup() {
			if k.groupHolder(who) != nil {
				return true
			}
			continue
		}
		if k.sideOfHolder(who) != sideNone {
			return true
		}
	}
	return false
}

// relayAuthorityOf answers the relay's questions for a Server.
type relayAuthorityOf struct{ s *Server }

func (r relayAuthorityOf) inCall(who holder) bool { return r.s.hub.holderInCall(who) }

func (r relayAuthorityOf) mayRelay(who holder, peer net.IP) bool {
	a, ok := netip.AddrFromSlice(peer)
	return ok && r.s.hub.announcedTo(who, a.Unmap())
}

// holderValid checks, fresh from the store, that credentials' holder may still have them: a
// device not revoked; a contact of a patient still admitted, with a link neither revoked nor
// expired.
func (r relayAuthorityOf) holderValid(ctx context.Context, who holder) error {
	st := r.s.cfg.Store
	if who.role == signal.RoleDevice {
		d, err := st.Device(ctx, who.id)
		if errors.Is(err, store.ErrNotFound) || (err == nil && d.Revoked) {
			return ErrDeviceRevoked
		}
		return err
	}
	k, err := st.Contact(ctx, who.id)
	if errors.Is(err, store.ErrNotFound) {
		if g, gerr := st.GuestLink(ctx, who.id); gerr == nil {
			_, err := r.s.checkGuest(ctx, g) // a guest's credentials are its guest link's
			return err
		}
		return fmt.Errorf("%w: contact removed", ErrLinkRevoked)
	} else if err != nil {
		return err
	}
	p, err := st.Patient(ctx, k.PatientID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !p.Discharged.IsZero()) {
		return fmt.Errorf("%w: patient discharged", ErrLinkRevoked)
	} else if err != nil {
		return err
	}
	links, err := st.Links(ctx, who.id)
	if err != nil {
		return err
	}
	now := r.s.cfg.Now()
	expired := false
	for _, l := range links {
		switch {
		case !l.Revoked.IsZero():
		case !l.Expires.IsZero() && !now.Before(l.Expires):
			expired = true
		default:
			return nil
		}
	}
	if expired {
		return ErrLinkExpired
	}
	return ErrLinkRevoked
}
