package provisioning

import (
	"errors"
	"log/slog"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// DefaultNursePIN is the nurse PIN until one is set locally or by the ward.
const DefaultNursePIN = "2580"

// Prefs is where the tablet keeps the nurse PIN hashes: the app's preferences (a
// fyne.Preferences), which survive discharge.
type Prefs interface {
	String(key string) string
	SetString(key, value string)
}

// Preferences that keep nurse PIN hashes. They live in the app's preferences, not in the
// data dir, because discharge wipes the data dir.
const (
	prefNursePIN = "nursePINHash"     // the local PIN, set with -nurse-pin
	prefWardPIN  = "wardNursePINHash" // the ward's PIN, as the server last sent it
)

// NursePIN checks the nurse PIN: against the ward's bcrypt hash when the server sent one, else
// against the local one (set with -nurse-pin, else the default PIN). It is safe for concurrent
// use. It never logs a PIN or a hash.
type NursePIN struct {
	prefs Prefs
	log   *slog.Logger
	local []byte

	mu   sync.Mutex
	ward []byte
}

// NewNursePIN returns the PIN check: the local hash kept in the app's preferences, first set
// (or replaced) from pin when given, else the default PIN (with a warning); and the ward's hash
// last received, if any.
func NewNursePIN(prefs Prefs, pin string, log *slog.Logger) (*NursePIN, error) {
	if pin != "" {
		if len(pin) < 4 || len(pin) > 12 || strings.Trim(pin, "0123456789") != "" {
			return nil, errors.New("-nurse-pin must be 4 to 12 digits")
		}
		h, err := bcrypt.GenerateFromPassword([]byte(pin), bcrypt.DefaultCost)
		if err != nil {
			return nil, err
		}
		prefs.SetString(prefNursePIN, string(h))
	}
	c := &NursePIN{prefs: prefs, log: log, local: []byte(prefs.String(prefNursePIN))}
	if w := prefs.String(prefWardPIN); usableHash(w) {
		c.ward = []byte(w)
	}
	if len(c.local) == 0 {
		if c.ward == nil {
			log.Warn("no nurse PIN set: the default one is in use until the ward sends one; set one with -nurse-pin")
		}
		h, err := bcrypt.GenerateFromPassword([]byte(DefaultNursePIN), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		c.local = h
	}
	return c, nil
}

// Check reports whether p is the nurse PIN.
func (c *NursePIN) Check(p string) bool {
	c.mu.Lock()
	hash := c.ward
	c.mu.Unlock()
	if hash == nil {
		hash = c.local
	}
	return bcrypt.CompareHashAndPassword(hash, []byte(p)) == nil
}

// SetWard takes the ward's PIN hash from the server's configuration: empty means the ward has
// none (the local PIN applies again); a hash that is not bcrypt is ignored with a warning.
func (c *NursePIN) SetWard(hash string) {
	if hash != "" && !usableHash(hash) {
		c.log.Warn("the ward's nurse PIN hash is not bcrypt; keeping the PIN as it was")
		return
	}
	c.mu.Lock()
	changed := string(c.ward) != hash
	c.ward = nil
	if hash != "" {
		c.ward = []byte(hash)
	}
	c.mu.Unlock()
	if changed {
		c.prefs.SetString(prefWardPIN, hash)
		c.log.Info("nurse PIN updated from the ward", "set", hash != "")
	}
}

// usableHash reports whether h is a bcrypt hash.
func usableHash(h string) bool {
	if h == "" {
		return false
	}
	_, err := bcrypt.Cost([]byte(h))
	return err == nil
}
