package console

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"bedside/server/store"
)

// Login throttling. No account is ever locked: a lock anyone can trigger is a way to keep a
// nurse out. Instead:
//
//   - each name and address pair gets a delay that doubles with every failure past the first
//     few (LoginDelay, up to MaxLoginDelay), and is forgotten when it logs in;
//   - each name gets NameAttempts failures an hour from addresses it does not know, across
//     all of them, so that guessing spread over many addresses stays slow;
//   - a browser that logged in as the name before (it holds a device cookie signed with a key
//     derived from the account's password hash) passes the name's and its address's limits,
//     with a delay of its own: an attacker at the nurse's address, or guessing her name from
//     everywhere, does not stop her logging in at her usual computer.
//
// All of it is keyed by the name as typed (folded to lower case), whether an account has it or
// not, and an unknown name's password is hashed as a real one's is: the answers and the work
// are the same, so they do not tell which names exist.

// freeFailures is how many failures a name and address pair has before delays start.
const freeFailures = 3

// deviceCookiePrefix names a device cookie; the staff id follows.
const deviceCookiePrefix = "bedside_dev_"

// throttle is the login throttle's state, in memory: a restart forgets it, which only ever
// lets someone try again sooner.
type throttle struct {
	base, max time.Duration
	now       func() time.Time
	names     *limiter // failures per name from unknown devices

	mu    sync.Mutex
	pairs map[string]*pairState
}

type pairState struct {
	failures int
	next     time.Time // no attempt before this
	last     time.Time
}

func newThrottle(base, max time.Duration, namesPerHour, nameBurst int, now func() time.Time) *throttle {
	return &throttle{base: base, max: max, now: now, pairs: make(map[string]*pairState),
		names: newLimiter(float64(namesPerHour)/60, nameBurst, now)}
}

// wait says how long the pair must still wait before its next attempt; 0: it may try now.
func (t *throttle) wait(pair string) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pairs[pair]
	if p == nil {
		return 0
	}
	return max(0, p.next.Sub(t.now()))
}

// failed records a failure of the pair.
func (t *throttle) failed(pair string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.now()
	p := t.pairs[pair]
	if p == nil {
		if len(t.pairs) >= 10000 {
			t.sweepLocked(now)
		}
		p = &pairState{}
		t.pairs[pair] = p
	}
	p.failures++
	p.last = now
	if n := p.failures - freeFailures; n > 0 {
		d := t.base
		for i := 1; i < n && d < t.max; i++ {
			d *= 2
		}
		p.next = now.Add(min(d, t.max))
	}
}

// succeeded forgets the pair's failures.
func (t *throttle) succeeded(pair string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.pairs, pair)
}

// sweepLocked forgets pairs idle for a day.
func (t *throttle) sweepLocked(now time.Time) {
	for k, p := range t.pairs {
		if now.Sub(p.last) > 24*time.Hour && !now.Before(p.next) {
			delete(t.pairs, k)
		}
	}
}

// deviceMAC is the signature of a device cookie of staff s issued at issued: keyed by the
// account's password hash, so that a new password forgets every known device.
func deviceMAC(s store.Staff, issued int64) []byte {
	m := hmac.New(sha256.New, s.PasswordHash)
	m.Write([]byte("bedside-console-device|" + s.ID + "|" + strconv.FormatInt(issued, 10)))
	return m.Sum(nil)
}

// deviceCookie is the cookie that marks this browser as one s logged in from.
func (c *Console) deviceCookie(s store.Staff) *http.Cookie {
	issued := c.cfg.Now().Unix()
	v := strconv.FormatInt(issued, 10) + "." + base64.RawURLEncoding.EncodeToString(deviceMAC(s, issued))
	return &http.Cookie{Name: deviceCookiePrefix + s.ID, Value: v, Path: "/console/",
		MaxAge: int(c.cfg.DeviceTTL.Seconds()), HttpOnly: true, Secure: c.cfg.Secure, SameSite: http.SameSiteStrictMode}
}

// knownDevice reports whether r comes from a browser that logged in as s before (within
// DeviceTTL, and since the account's last password change), and which one: a prefix of its
// cookie's signature, so that each known browser has its own delays.
func (c *Console) knownDevice(r *http.Request, s store.Staff) (string, bool) {
	ck, err := r.Cookie(deviceCookiePrefix + s.ID)
	if err != nil || len(ck.Value) > 100 {
		return "", false
	}
	ts, sig, ok := strings.Cut(ck.Value, ".")
	if !ok {
		return "", false
	}
	issued, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return "", false
	}
	got, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || !hmac.Equal(got, deviceMAC(s, issued)) {
		return "", false
	}
	age := c.cfg.Now().Sub(time.Unix(issued, 0))
	if age < -time.Minute || age > c.cfg.DeviceTTL {
		return "", false
	}
	return sig[:16], true // names this browser's cookie among the account's devices
}
