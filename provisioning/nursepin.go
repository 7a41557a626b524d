package provisioning

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// The nurse PIN unlocks a tablet's nurse panel (exit kiosk, pair again). The ward sets it in
// the console; the server stores and sends only HashNursePIN's hash (signal.Config.NursePINHash)
// and the tablet checks a typed PIN against it offline. There is no default PIN: until a PIN
// is known the panel stays locked.
const (
	MinNursePIN = 6  // digits
	MaxNursePIN = 12 // digits
)

// The argon2id cost of a nurse PIN hash: about 0.1 s and 64 MiB on a laptop core, a second or
// so on a slow tablet, once per typed PIN. A 6-digit PIN has only a million values, so the hash
// slows a thief with the tablet's storage (hours of CPU per PIN instead of seconds), it does not
// stop one: the ward changes its PIN and revokes a stolen tablet.
const (
	pinMemoryKiB = 64 << 10
	pinTime      = 1
	pinThreads   = 1
	pinSaltLen   = 16
	pinKeyLen    = 32
)

// What a tablet accepts in a hash: at least OWASP's smallest argon2id setting, at most what a
// tablet can afford, so that a wrong or hostile hash neither weakens the PIN nor exhausts memory.
const (
	pinMinMemoryKiB  = 19 << 10
	pinMinMemoryTime = 46 << 10 // memory × passes
	pinMaxMemoryKiB  = 256 << 10
	pinMaxTime       = 8
	pinMaxThreads    = 4
)

// Nurse PIN errors.
var (
	ErrNursePIN     = errors.New("provisioning: a nurse PIN has 6 to 12 digits")
	ErrNursePINHash = errors.New("provisioning: not a usable argon2id nurse PIN hash")
)

// ValidNursePIN returns nil when pin is MinNursePIN to MaxNursePIN ASCII digits, else an error
// wrapping ErrNursePIN.
func ValidNursePIN(pin string) error {
	if len(pin) < MinNursePIN || len(pin) > MaxNursePIN || strings.Trim(pin, "0123456789") != "" {
		return ErrNursePIN
	}
	return nil
}

// HashNursePIN returns the argon2id hash of pin in the PHC string format
// ($argon2id$v=19$m=…,t=…,p=…$salt$key), with a salt read from rand. The PIN must be valid.
func HashNursePIN(pin string, rand io.Reader) (string, error) {
	if err := ValidNursePIN(pin); err != nil {
		return "", err
	}
	salt := make([]byte, pinSaltLen)
	if _, err := io.ReadFull(rand, salt); err != nil {
		return "", fmt.Errorf("provisioning: nurse PIN salt: %w", err)
	}
	key := argon2.IDKey([]byte(pin), salt, pinTime, pinMemoryKiB, pinThreads, pinKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, pinMemoryKiB, pinTime,
		pinThreads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// pinHash is a parsed nurse PIN hash.
type pinHash struct {
	memory    uint32
	time      uint32
	threads   uint8
	salt, key []byte
}

// parsePINHash parses and bounds-checks a hash from HashNursePIN (ErrNursePINHash otherwise).
func parsePINHash(s string) (pinHash, error) {
	var h pinHash
	parts := strings.Split(s, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return h, ErrNursePINHash
	}
	var threads uint32
	if n, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &h.memory, &h.time, &threads); n != 3 || err != nil ||
		fmt.Sprintf("m=%d,t=%d,p=%d", h.memory, h.time, threads) != parts[3] {
		return h, ErrNursePINHash
	}
	if h.memory < pinMinMemoryKiB || h.memory > pinMaxMemoryKiB || h.time < 1 || h.time > pinMaxTime ||
		uint64(h.memory)*uint64(h.time) < pinMinMemoryTime || threads < 1 || threads > pinMaxThreads {
		return h, fmt.Errorf("%w: cost out of bounds", ErrNursePINHash)
	}
	h.threads = uint8(threads)
	var err1, err2 error
	h.salt, err1 = base64.RawStdEncoding.DecodeString(parts[4])
	h.key, err2 = base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(h.salt) < 16 || len(h.salt) > 64 || len(h.key) < 16 || len(h.key) > 64 {
		return h, ErrNursePINHash
	}
	return h, nil
}

// IsNursePINHash reports whether s is a nurse PIN hash a tablet accepts (a bcrypt hash of an
// older server is not).
func IsNursePINHash(s string) bool {
	_, err := parsePINHash(s)
	return err == nil
}

// CheckNursePIN reports whether pin matches hash, in constant time once hashed. It takes the
// hash's cost in time and memory; an unusable hash is an error wrapping ErrNursePINHash.
func CheckNursePIN(hash, pin string) (bool, error) {
	h, err := parsePINHash(hash)
	if err != nil {
		return false, err
	}
	if ValidNursePIN(pin) != nil {
		return false, nil // never hashed: no PIN of another shape can match
	}
	key := argon2.IDKey([]byte(pin), h.salt, h.time, h.memory, h.threads, uint32(len(h.key)))
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

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

// NursePIN is the tablet's nurse PIN: the ward's when the server sent one, else the local one
// (set with -nurse-pin), else none, and then the nurse panel stays locked. It is safe for
// concurrent use. It never logs a PIN or a hash.
type NursePIN struct {
	prefs Prefs
	log   *slog.Logger
	local string // "" when none

	mu   sync.Mutex
	ward string // "" when none
}

// NewNursePIN returns the tablet's nurse PIN: the local hash kept in prefs, first set (or
// replaced) from pin when given (it must be valid), and the ward's hash last received. Hashes
// kept by an older kiosk (bcrypt) are dropped with a warning: the PIN must be set again.
func NewNursePIN(prefs Prefs, pin string, rand io.Reader, log *slog.Logger) (*NursePIN, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if pin != "" {
		h, err := HashNursePIN(pin, rand)
		if err != nil {
			return nil, fmt.Errorf("-nurse-pin: %w", err)
		}
		prefs.SetString(prefNursePIN, h)
	}
	c := &NursePIN{prefs: prefs, log: log}
	for _, kept := range []struct {
		key  string
		into *string
	}{{prefNursePIN, &c.local}, {prefWardPIN, &c.ward}} {
		h := prefs.String(kept.key)
		switch {
		case h == "":
		case IsNursePINHash(h):
			*kept.into = h
		default:
			log.Warn("a kept nurse PIN hash is of an older kind and no longer accepted; the PIN must be set again", "which", kept.key)
			prefs.SetString(kept.key, "")
		}
	}
	if !c.Known() {
		log.Warn("no nurse PIN yet: the nurse panel stays locked until the ward's PIN arrives (set it in the nurse console) or one is set with -nurse-pin")
	}
	return c, nil
}

func (c *NursePIN) hash() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ward != "" {
		return c.ward
	}
	return c.local
}

// Known reports whether a PIN is set; until then Check refuses every PIN.
func (c *NursePIN) Known() bool { return c.hash() != "" }

// Check reports whether p is the nurse PIN. It is slow (an argon2id hash): call it off the UI
// goroutine.
func (c *NursePIN) Check(p string) bool {
	h := c.hash()
	if h == "" {
		return false
	}
	ok, err := CheckNursePIN(h, p)
	return err == nil && ok
}

// SetWard takes the ward's PIN hash from the server's configuration: empty means the ward has
// none (the local PIN, if any, applies again); a hash the tablet does not accept (an older
// server's bcrypt, or a cost out of bounds) is ignored with a warning, keeping the PIN as it was.
func (c *NursePIN) SetWard(hash string) {
	if hash != "" && !IsNursePINHash(hash) {
		c.log.Warn("the ward's nurse PIN hash is not one this tablet accepts (argon2id); keeping the PIN as it was — set the tablet PIN again in the nurse console")
		return
	}
	c.mu.Lock()
	changed := c.ward != hash
	c.ward = hash
	c.mu.Unlock()
	if changed {
		c.prefs.SetString(prefWardPIN, hash)
		c.log.Info("nurse PIN updated from the ward", "set", hash != "")
	}
}
