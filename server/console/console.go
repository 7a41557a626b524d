// Package console is the nurse console of the Bedside ward server: a small web app under
// /console/ where staff log in, manage wards, beds and tablets, pair tablets, admit, transfer
// and discharge patients, and manage family contacts and their links.
//
// Pages are rendered on the server with html/template; the only script (console.js) adds a
// copy button and confirmation prompts, so every page works without it and runs under a
// strict Content-Security-Policy (no inline script or style).
//
// Security: passwords are argon2id hashes; a session is a random cookie token stored as its
// SHA-256 (HttpOnly, SameSite=Strict, Secure on TLS); every state-changing request carries
// the session's CSRF token; logins are throttled per name and address, per name and per
// address, but never locked, and a browser the account logged in from before passes the
// name's and the address's limits (throttle.go); a nurse sees and changes only her wards, an admin all of
// them; every staff action goes to the audit log, which names ids, never people.
//
// The console talks to the live side of the server (who is online, pushing configuration,
// wiping and dropping tablets) through the small Hub interface it declares.
package console

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"bedside/provisioning"
	"bedside/server/store"
)

// Sentinel errors. Handlers map them to HTTP statuses and messages in one place (respond).
var (
	ErrConfig       = errors.New("console: bad configuration")
	ErrBadInput     = errors.New("console: bad input")
	ErrNotFound     = errors.New("console: not found") // also what a staff member gets for another ward
	ErrForbidden    = errors.New("console: not allowed")
	ErrCSRF         = errors.New("console: missing or wrong CSRF token")
	ErrLoginFailed  = errors.New("console: wrong name or password")
	ErrLocked       = errors.New("console: account temporarily locked")
	ErrRateLimited  = errors.New("console: too many attempts")
	ErrPhotoType    = errors.New("console: photo is not a JPEG or PNG image")
	ErrPhotoSize    = errors.New("console: photo file too large")
	ErrPhotoPixels  = errors.New("console: photo dimensions too large")
	ErrPhotoCorrupt = errors.New("console: photo cannot be read")
)

// Hub is what the console needs of the live side of the ward server (server.Server
// implements it). Every method returns quickly and never fails: the store is the truth, and
// a tablet that misses a push gets everything at its next connection.
type Hub interface {
	// DeviceOnline reports whether the tablet with this device id is connected now.
	DeviceOnline(deviceID string) bool
	// ConfigChanged says that what a bed's tablet and family pages see has changed (the
	// patient, contacts, photos, links): the hub pushes fresh configuration to the bed's
	// tablet and drops family connections whose link no longer passes its checks.
	ConfigChanged(ctx context.Context, bedID string)
	// Discharged tells the tablet to wipe everything about its patient (discharge, or the
	// patient moved to another bed), dropping its family connections.
	Discharged(ctx context.Context, deviceID string)
	// RevokeDevice drops the connection of a tablet that was just revoked in the store.
	RevokeDevice(ctx context.Context, deviceID string)
	// WardChanged says that something every tablet of the ward sees has changed (its nurse
	// PIN): the hub pushes fresh configuration to each of them, ward-only ones included.
	WardChanged(ctx context.Context, wardID string)
	// RevokeGuest drops the page of a guest link that was just revoked in the store (a guest
	// in a call leaves it).
	RevokeGuest(ctx context.Context, guestID string)
}

// Config is what New needs. Store and Files are required; the rest has defaults.
type Config struct {
	Store store.Store
	// Files holds the console's templates, style sheet and script at its root (assets.Console
	// under "console").
	Files  fs.FS
	Hub    Hub              // nil: every tablet shows offline and nothing is pushed
	Logger *slog.Logger     // discards when nil
	Now    func() time.Time // time.Now when nil
	Rand   io.Reader        // crypto/rand when nil
	// BaseURL is the server's public URL (scheme://host[:port]) used in family links and
	// enrollment QR codes.
	BaseURL string
	// Secure marks the session cookie Secure: set it when the server runs on TLS.
	Secure bool
	// Pairing supplies the TLS pin and the Wi-Fi fields copied into every enrollment QR code;
	// its Server, Token, Ward and Bed are ignored.
	Pairing provisioning.Payload

	SessionTTL time.Duration // 12 h when zero
	EnrollTTL  time.Duration // life of an enrollment QR code or approval; 15 min when zero
	LinkTTL    time.Duration // default life of a family link; 14 days when zero
	// Logins limits login attempts per address from browsers that are not a known device of
	// the name; default 10 a minute, burst 10.
	LoginsPerMinute float64
	LoginBurst      int
	// LoginDelay is the first delay a name and address pair waits after its first three
	// failures; it doubles with each further failure up to MaxLoginDelay. 1 s and 15 min when
	// zero. No account is ever locked.
	LoginDelay    time.Duration
	MaxLoginDelay time.Duration
	// NameFailures is how many failed logins a name may have an hour from browsers that are
	// not its known devices, all addresses together; 20 when zero.
	NameFailures int
	// DeviceTTL is how long a browser stays a known device of an account after logging in
	// (its device cookie); 180 days when zero.
	DeviceTTL time.Duration
	// OfflineAlarm is how long a paired tablet may be offline before it is flagged; 10 min
	// when zero.
	OfflineAlarm time.Duration
}

// Console is the nurse console. Create it with New and serve Handler.
type Console struct {
	cfg      Config
	log      *slog.Logger
	hub      Hub
	pages    map[string]*template.Template
	logins   *limiter
	throttle *throttle
	dummyPwd []byte // a password hash checked for unknown names, so they take as long

	photoMu sync.Mutex // one photo decoded at a time: decoding takes memory

	fresh *freshLinks // family links just made, shown again on reload
}

// New returns a Console for cfg.
func New(cfg Config) (*Console, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("%w: Config.Store is nil", ErrConfig)
	}
	if cfg.Files == nil {
		return nil, fmt.Errorf("%w: Config.Files is nil", ErrConfig)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Hub == nil {
		cfg.Hub = noHub{}
	}
	defaults(&cfg.SessionTTL, 12*time.Hour)
	defaults(&cfg.EnrollTTL, 15*time.Minute)
	defaults(&cfg.LinkTTL, 14*24*time.Hour)
	defaults(&cfg.LoginDelay, time.Second)
	defaults(&cfg.MaxLoginDelay, 15*time.Minute)
	defaults(&cfg.DeviceTTL, 180*24*time.Hour)
	defaults(&cfg.OfflineAlarm, 10*time.Minute)
	if cfg.NameFailures <= 0 {
		cfg.NameFailures = 20
	}
	if cfg.LoginsPerMinute <= 0 {
		cfg.LoginsPerMinute = 10
	}
	if cfg.LoginBurst <= 0 {
		cfg.LoginBurst = 10
	}
	pages, err := parsePages(cfg.Files)
	if err != nil {
		return nil, err
	}
	dummy, err := hashPassword("not a password", cfg.Rand)
	if err != nil {
		return nil, err
	}
	return &Console{
		fresh:    newFreshLinks(cfg.Now),
		cfg:      cfg,
		log:      cfg.Logger,
		hub:      cfg.Hub,
		pages:    pages,
		logins:   newLimiter(cfg.LoginsPerMinute, cfg.LoginBurst, cfg.Now),
		throttle: newThrottle(cfg.LoginDelay, cfg.MaxLoginDelay, cfg.NameFailures, cfg.NameFailures, cfg.Now),
		dummyPwd: dummy,
	}, nil
}

func defaults(d *time.Duration, v time.Duration) {
	if *d <= 0 {
		*d = v
	}
}

// noHub is the Hub of a console without a live server.
type noHub struct{}

func (noHub) DeviceOnline(string) bool                   { return false }
func (noHub) ConfigChanged(context.Context, string)      {}
func (noHub) Discharged(context.Context, string)         {}
func (noHub) RevokeDevice(ctx context.Context, _ string) {}
func (noHub) WardChanged(context.Context, string)        {}
func (noHub) RevokeGuest(context.Context, string)        {}

// Handler serves everything under /console/. Mount it outside the server's own handler, whose
// body limit is too small for photo uploads: mux.Handle("/console/", c.Handler()).
func (c *Console) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /console/{$}", c.authed(c.serveHome))
	mux.HandleFunc("GET /console/login", c.serveLoginPage)
	mux.HandleFunc("POST /console/login", c.serveLogin)
	mux.HandleFunc("POST /console/logout", c.authed(c.serveLogout))
	mux.HandleFunc("GET /console/lang", c.serveLang)
	mux.HandleFunc("GET /console/static/{file}", c.serveStatic)
	mux.HandleFunc("GET /console/password", c.authed(c.servePasswordPage))
	mux.HandleFunc("POST /console/password", c.authed(c.servePassword))

	mux.HandleFunc("POST /console/wards", c.authed(c.serveCreateWard))
	mux.HandleFunc("GET /console/wards/{ward}", c.authed(c.serveWard))
	mux.HandleFunc("POST /console/wards/{ward}/beds", c.authed(c.serveCreateBed))
	mux.HandleFunc("POST /console/wards/{ward}/enroll", c.authed(c.serveEnroll))
	mux.HandleFunc("GET /console/wards/{ward}/paired", c.authed(c.servePaired))
	mux.HandleFunc("POST /console/wards/{ward}/pin", c.authed(c.serveNursePIN))
	mux.HandleFunc("POST /console/devices/{device}/revoke", c.authed(c.serveRevokeDevice))
	mux.HandleFunc("GET "+provisioning.ConsolePairPath, c.authed(c.servePairPage))
	mux.HandleFunc("POST "+provisioning.ConsolePairPath, c.authed(c.servePair))

	mux.HandleFunc("GET /console/beds/{bed}", c.authed(c.serveBed))
	mux.HandleFunc("POST /console/beds/{bed}/admit", c.authed(c.serveAdmit))
	mux.HandleFunc("POST /console/patients/{patient}", c.authed(c.serveUpdatePatient))
	mux.HandleFunc("POST /console/patients/{patient}/transfer", c.authed(c.serveTransfer))
	mux.HandleFunc("GET /console/patients/{patient}/discharge", c.authed(c.serveDischargePage))
	mux.HandleFunc("POST /console/patients/{patient}/discharge", c.authed(c.serveDischarge))
	mux.HandleFunc("POST /console/patients/{patient}/contacts", c.authed(c.serveAddContact))
	mux.HandleFunc("POST /console/patients/{patient}/guests", c.authed(c.serveNewGuest))
	mux.HandleFunc("POST /console/patients/{patient}/guests/{guest}/revoke", c.authed(c.serveRevokeGuest))

	mux.HandleFunc("GET /console/contacts/{contact}", c.authed(c.serveContact))
	mux.HandleFunc("POST /console/contacts/{contact}", c.authed(c.serveUpdateContact))
	mux.HandleFunc("GET /console/contacts/{contact}/photo", c.authed(c.serveContactPhoto))
	mux.HandleFunc("POST /console/contacts/{contact}/delete", c.authed(c.serveDeleteContact))
	mux.HandleFunc("POST /console/contacts/{contact}/links", c.authed(c.serveNewLink))
	mux.HandleFunc("POST /console/contacts/{contact}/links/{link}/revoke", c.authed(c.serveRevokeLink))

	mux.HandleFunc("GET /console/audit", c.authed(c.serveAudit))
	mux.HandleFunc("GET /console/staff", c.authed(c.serveStaff))
	mux.HandleFunc("POST /console/staff", c.authed(c.serveAddStaff))
	mux.HandleFunc("POST /console/staff/{staff}", c.authed(c.serveUpdateStaff))
	mux.HandleFunc("POST /console/staff/{staff}/reset", c.authed(c.serveResetStaff))
	mux.HandleFunc("/console/", c.serveNotFound)
	return securityHeaders(mux)
}

// csp keeps console pages free of inline script and style; QR codes are data: images.
const csp = "default-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// maxBody bounds a console request body; photo uploads have their own, larger bound.
const maxBody = 64 << 10

// securityHeaders sets the headers every console response carries (the server may set them
// too; these are the console's own, stricter ones).
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cache-Control", "no-store")
		if r.TLS != nil {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}
