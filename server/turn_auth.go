package server

import (
	"context"
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are HMAC-SHA1 by specification
	"encoding/base64"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/pion/stun/v4"
	"github.com/pion/turn/v5"

	"bedside/call/signal"
)

// Credentials follow the TURN REST scheme (draft-uberti-behave-turn-rest): the username is
// "<expiry unix seconds>:<holder>" and the password base64(HMAC-SHA1(secret, username)), so
// that an external coturn started with `use-auth-secret` and `static-auth-secret=<secret>`
// accepts the very same credentials. The holder is "d.<device id>" or "f.<contact id>".
//
// What this relay enforces beyond the scheme, and coturn would not:
//   - the holder is checked against the ward at allocation time (device not revoked, contact
//     still with a valid link, patient not discharged), so revoking a link or device stops new
//     allocations at once, not when the credentials expire;
//   - expiry is checked when allocating only, and expired credentials still allocate while
//     their holder is in a call: an engine restarting ICE an hour into a call keeps the
//     credentials its PeerConnection started with. coturn refuses every request past expiry,
//     so behind it a relayed call ends when its credentials do (or the clients must set fresh
//     ICE servers on the PeerConnection before restarting ICE);
//   - a quota per holder rather than per username (coturn: user-quota, per username);
//   - permissions only towards the addresses the other end of the holder's call announced
//     (coturn only has denied-peer-ip ranges: set them for loopback, link-local, 0.0.0.0/8,
//     multicast and the metadata addresses, and no-tcp-relay for RFC 6062).

// holder is who credentials were issued to.
type holder struct {
	role signal.Role // RoleDevice or RoleFamily
	id   string      // device id or contact id
}

func (h holder) tag() string {
	if h.role == signal.RoleDevice {
		return "d." + h.id
	}
	return "f." + h.id
}

// parseUsername splits a username into its expiry and holder; ok is false when it is not one
// of ours.
func parseUsername(user string) (expiry int64, h holder, ok bool) {
	exp, tag, found := strings.Cut(user, ":")
	if !found {
		return 0, holder{}, false
	}
	unix, err := strconv.ParseInt(exp, 10, 64)
	if err != nil {
		return 0, holder{}, false
	}
	kind, id, found := strings.Cut(tag, ".")
	if !found || id == "" {
		return 0, holder{}, false
	}
	switch kind {
	case "d":
		return unix, holder{role: signal.RoleDevice, id: id}, true
	case "f":
		return unix, holder{role: signal.RoleFamily, id: id}, true
	}
	return 0, holder{}, false
}

func (t *TURN) username(h holder, expiry time.Time) string {
	return strconv.FormatInt(expiry.Unix(), 10) + ":" + h.tag()
}

func (t *TURN) password(user string) string {
	mac := hmac.New(sha1.New, t.secret)
	mac.Write([]byte(user))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// authenticate returns the key of a username's password, for pion to check the request's
// integrity with. An Allocate needs credentials that have not expired, or a holder in a call;
// the other requests act on an allocation made with valid ones (pion checks that the username
// is the allocation's).
func (t *TURN) authenticate(ra *turn.RequestAttributes) (string, []byte, bool) {
	expiry, h, ok := parseUsername(ra.Username)
	if !ok {
		if ra.Method == stun.MethodAllocate {
			t.refused(refusedUsername)
		}
		return "", nil, false
	}
	if ra.Method == stun.MethodAllocate && t.now().Unix() > expiry {
		if a := t.authorityOf(); a == nil || !a.inCall(h) {
			t.refused(refusedExpired)
			return "", nil, false
		}
	}
	return ra.Username, turn.GenerateAuthKey(ra.Username, t.realm, t.password(ra.Username)), true
}

// allowAllocation runs after an Allocate is authenticated: the holder must still be valid
// with the ward, and under its quota.
func (t *TURN) allowAllocation(user, _ string, _ net.Addr) bool {
	_, h, ok := parseUsername(user)
	a := t.authorityOf()
	if !ok || a == nil {
		t.refused(refusedHolder)
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.holderValid(ctx, h); err != nil {
		t.log.Info("allocation refused", "holder", h.tag(), "err", err)
		t.refused(refusedHolder)
		return false
	}
	under := make(chan bool, 1)
	if !t.post(func(st *relayState) { under <- st.count[h] < t.quota }) {
		return false
	}
	if !<-under {
		t.log.Info("allocation quota reached", "holder", h.tag())
		t.refused(refusedQuota)
		return false
	}
	return true
}
