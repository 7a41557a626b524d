package console

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"bedside/server/store"
)

// The console's cookies.
const (
	sessionCookie = "bedside_console"
	langCookie    = "bedside_lang"
)

// maxUploadBody bounds a multipart request: a photo of MaxPhotoBytes and the form around it.
const maxUploadBody = MaxPhotoBytes + 64<<10

// user is the logged-in staff member of a request.
type user struct {
	store.Staff
	csrf   string
	idHash []byte
}

// IsAdmin reports whether the user is an administrator.
func (u *user) IsAdmin() bool { return u.Role == store.RoleAdmin }

// canWard reports whether the user may see and change the ward.
func (u *user) canWard(wardID string) bool {
	return u.IsAdmin() || slices.Contains(u.WardIDs, wardID)
}

// handler is a console handler for a logged-in user.
type handler func(w http.ResponseWriter, r *http.Request, u *user)

// authed wraps h: without a valid session the browser is sent to the login page; a request
// that changes something must come from the console's own pages (same origin) and carry the
// session's CSRF token, or it is refused before h runs.
func (c *Console) authed(h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		u, err := c.session(r)
		if err != nil {
			if !errors.Is(err, ErrNotFound) {
				c.log.Error("session", "err", err)
			}
			target := "/console/login"
			if r.Method == http.MethodGet {
				target += "?next=" + url.QueryEscape(r.URL.RequestURI())
			}
			http.Redirect(w, r, target, http.StatusSeeOther)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			if err := c.parseForm(w, r); err != nil {
				c.fail(w, r, u, nil, err)
				return
			}
			if !sameOrigin(r) || !validCSRF(r, u.csrf) {
				c.log.Warn("csrf check failed", "path", r.URL.Path, "staff", u.ID, "ip", remoteIP(r))
				c.fail(w, r, u, nil, ErrCSRF)
				return
			}
		}
		h(w, r, u)
	}
}

// parseForm reads a POST body within its limit: maxBody, or maxUploadBody for multipart.
func (c *Console) parseForm(w http.ResponseWriter, r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if strings.HasPrefix(ct, "multipart/form-data") {
		r.Body = http.MaxBytesReader(w, r.Body, maxUploadBody)
		// The whole body fits in memory under this bound, so nothing goes to temporary files.
		if err := r.ParseMultipartForm(maxUploadBody + 1<<20); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				return fmt.Errorf("%w: request of more than %d bytes", ErrPhotoSize, maxUploadBody)
			}
			return fmt.Errorf("%w: %v", ErrBadInput, err)
		}
		return nil
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		return fmt.Errorf("%w: %v", ErrBadInput, err)
	}
	return nil
}

// validCSRF checks the form's (or the X-CSRF-Token header's) token against the session's.
func validCSRF(r *http.Request, want string) bool {
	got := r.PostForm.Get("csrf")
	if got == "" {
		got = r.Header.Get("X-CSRF-Token")
	}
	return got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// sameOrigin refuses requests that a browser marks as coming from another site. Requests
// without these headers (old browsers, tools) rely on the CSRF token and SameSite alone.
func sameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "none":
	default:
		return false
	}
	if o := r.Header.Get("Origin"); o != "" && o != "null" {
		u, err := url.Parse(o)
		if err != nil || u.Host != r.Host {
			return false
		}
	}
	return true
}

// hashSession is how session tokens are stored.
func hashSession(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// session finds the request's logged-in user, or fails with ErrNotFound.
func (c *Console) session(r *http.Request) (*user, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" || len(ck.Value) > 100 {
		return nil, ErrNotFound
	}
	ctx := r.Context()
	idHash := hashSession(ck.Value)
	se, err := c.cfg.Store.Session(ctx, idHash)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	if !c.cfg.Now().Before(se.Expires) {
		_ = c.cfg.Store.DeleteSession(ctx, idHash)
		return nil, ErrNotFound
	}
	s, err := c.cfg.Store.Staff(ctx, se.StaffID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	return &user{Staff: s, csrf: se.CSRF, idHash: idHash}, nil
}

// random returns n random bytes as unpadded base64url.
func (c *Console) random(n int) (string, error) {
	b := make([]byte, n)
	if _, err := io.ReadFull(c.cfg.Rand, b); err != nil {
		return "", fmt.Errorf("console: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// audit records a staff action; a failure is logged, never shown (the action happened).
func (c *Console) audit(ctx context.Context, u *user, action, target string) {
	e := store.AuditEntry{Action: action, Target: target, At: c.cfg.Now()}
	if u != nil {
		e.StaffID = u.ID
	}
	if err := c.cfg.Store.Audit(ctx, e); err != nil {
		c.log.Error("audit", "action", action, "err", err)
	}
}

// safeNext keeps a post-login destination inside the console.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/console/") || strings.HasPrefix(next, "/console//") ||
		strings.ContainsAny(next, "\\\r\n") || strings.HasPrefix(next, "/console/login") {
		return "/console/"
	}
	return next
}

type loginData struct{ Next string }

func (c *Console) serveLoginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := c.session(r); err == nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	v := c.newView(r, nil, "login")
	v.Data = loginData{Next: safeNext(r.URL.Query().Get("next"))}
	c.render(w, http.StatusOK, v)
}

func (c *Console) serveLogin(w http.ResponseWriter, r *http.Request) {
	v := c.newView(r, nil, "login")
	if err := c.parseForm(w, r); err != nil {
		c.fail(w, r, nil, v, err)
		return
	}
	next := safeNext(r.PostForm.Get("next"))
	v.Data = loginData{Next: next}
	v.Form.Set("name", r.PostForm.Get("name"))
	if !sameOrigin(r) {
		c.fail(w, r, nil, v, ErrCSRF)
		return
	}
	ctx := r.Context()
	s, err := c.login(ctx, r, r.PostForm.Get("name"), r.PostForm.Get("password"))
	if err != nil {
		c.fail(w, r, nil, v, err)
		return
	}
	token, err := c.random(32)
	if err != nil {
		c.fail(w, r, nil, v, err)
		return
	}
	csrf, err := c.random(32)
	if err != nil {
		c.fail(w, r, nil, v, err)
		return
	}
	now := c.cfg.Now()
	if err := c.cfg.Store.CreateSession(ctx, store.Session{IDHash: hashSession(token), StaffID: s.ID,
		CSRF: csrf, Created: now, Expires: now.Add(c.cfg.SessionTTL)}); err != nil {
		c.fail(w, r, nil, v, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/console/",
		MaxAge: int(c.cfg.SessionTTL.Seconds()), HttpOnly: true, Secure: c.cfg.Secure, SameSite: http.SameSiteStrictMode})
	http.SetCookie(w, c.deviceCookie(s))
	c.audit(ctx, &user{Staff: s}, "login", "")
	c.log.Info("staff logged in", "staff", s.ID, "ip", remoteIP(r))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// login checks a name and password within the login throttle (see throttle.go). A known name
// and an unknown one take the same steps: a store look-up, a password hash, an audit entry
// for a failure, and the same answer.
func (c *Console) login(ctx context.Context, r *http.Request, name, pw string) (store.Staff, error) {
	if name == "" || len(name) > 64 || pw == "" || len(pw) > 256 {
		return store.Staff{}, ErrLoginFailed
	}
	st := c.cfg.Store
	s, err := st.StaffByName(ctx, name)
	found := err == nil
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Staff{}, err
	}
	ip, key := remoteIP(r), strings.ToLower(name)
	pair := key + "|ip|" + ip
	dev, known := "", false
	if found {
		dev, known = c.knownDevice(r, s)
	}
	if known {
		pair = key + "|dev|" + dev
	}
	if d := c.throttle.wait(pair); d > 0 {
		c.log.Warn("login delayed after failures", "ip", ip, "known_device", known, "wait", d.Round(time.Second))
		return store.Staff{}, ErrRateLimited
	}
	if !known {
		if c.throttle.names.exhausted(key) {
			c.log.Warn("login refused: too many failures for the name", "ip", ip)
			return store.Staff{}, ErrRateLimited
		}
		if !c.logins.allow(ip) {
			c.log.Warn("login rate limited", "ip", ip)
			return store.Staff{}, ErrRateLimited
		}
	}
	hash := c.dummyPwd // an unknown name takes as long as a real one
	if found {
		hash = s.PasswordHash
	}
	ok, err := checkPassword(hash, pw)
	if err != nil && found {
		c.log.Error("password hash", "staff", s.ID, "err", err)
	}
	if !found || !ok {
		c.throttle.failed(pair)
		if !known {
			c.throttle.names.allow(key)
		}
		var who *user
		if found {
			who = &user{Staff: s}
		}
		c.audit(ctx, who, "login-failed", "")
		return store.Staff{}, ErrLoginFailed
	}
	c.throttle.succeeded(pair)
	if s.FailedLogins != 0 || !s.LockedUntil.IsZero() { // left by the lockouts of old versions
		s.FailedLogins = 0
		s.LockedUntil = time.Time{}
		if err := st.UpdateStaff(ctx, s); err != nil {
			return store.Staff{}, err
		}
	}
	return s, nil
}

func (c *Console) serveLogout(w http.ResponseWriter, r *http.Request, u *user) {
	if err := c.cfg.Store.DeleteSession(r.Context(), u.idHash); err != nil && !errors.Is(err, store.ErrNotFound) {
		c.fail(w, r, u, nil, err)
		return
	}
	c.audit(r.Context(), u, "logout", "")
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/console/", MaxAge: -1,
		HttpOnly: true, Secure: c.cfg.Secure, SameSite: http.SameSiteStrictMode})
	redirect(w, r, "/console/login", "loggedout")
}

func (c *Console) servePasswordPage(w http.ResponseWriter, r *http.Request, u *user) {
	c.render(w, http.StatusOK, c.newView(r, u, "password"))
}

// servePassword changes the user's password and logs the account out everywhere.
func (c *Console) servePassword(w http.ResponseWriter, r *http.Request, u *user) {
	v := c.newView(r, u, "password")
	cur, pw, rep := r.PostForm.Get("current"), r.PostForm.Get("new"), r.PostForm.Get("repeat")
	ok, err := checkPassword(u.PasswordHash, cur)
	switch {
	case err != nil || !ok:
		c.fail(w, r, u, v, bad("currentpassword"))
		return
	case len(pw) < MinPasswordLen || len(pw) > 256:
		c.fail(w, r, u, v, bad("shortpassword"))
		return
	case pw != rep:
		c.fail(w, r, u, v, bad("passwordsdiffer"))
		return
	}
	hash, err := hashPassword(pw, c.cfg.Rand)
	if err != nil {
		c.fail(w, r, u, v, err)
		return
	}
	s := u.Staff
	s.PasswordHash = hash
	ctx := r.Context()
	if err := c.cfg.Store.UpdateStaff(ctx, s); err != nil {
		c.fail(w, r, u, v, err)
		return
	}
	if err := c.cfg.Store.DeleteStaffSessions(ctx, s.ID); err != nil {
		c.log.Error("delete sessions", "staff", s.ID, "err", err)
	}
	c.audit(ctx, u, "change-password", s.ID)
	redirect(w, r, "/console/login", "password")
}

// serveLang remembers the chosen language and goes back to the page.
func (c *Console) serveLang(w http.ResponseWriter, r *http.Request) {
	l := r.URL.Query().Get("l")
	if slices.Contains(languages, l) {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/console/", MaxAge: 365 * 24 * 3600,
			Secure: c.cfg.Secure, SameSite: http.SameSiteLaxMode})
	}
	next := r.URL.Query().Get("next")
	if strings.HasPrefix(next, "/console/login") {
		next = "/console/login"
	} else {
		next = safeNext(next)
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
