package provisioning

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base32"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"bedside/call/signal"
)

// Names of the identity's files inside its directory. DeviceStore.Wipe keeps them.
const (
	KeyFile      = "device.key" // the ed25519 private key, PEM PKCS#8, mode 0600
	DeviceIDFile = "device.id"  // the enrolled device id, mode 0600; absent until enrolled
)

// Identity errors.
var (
	// ErrIdentityCorrupt reports a key or device-id file that exists but cannot be read as one.
	// The device never replaces it silently: a nurse re-pairs it (DeviceStore.Reset).
	ErrIdentityCorrupt = errors.New("provisioning: device identity is corrupt")
	// ErrBadDeviceID reports a device id that is not a well-formed signal id.
	ErrBadDeviceID = errors.New("provisioning: malformed device id")
)

// Identity is the tablet's own ed25519 key and, once enrolled, its device id. It satisfies the
// call engine's Signer interface (DeviceID and Sign). It is safe for concurrent use.
type Identity struct {
	dir  string
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey

	mu       sync.Mutex
	deviceID string
}

// LoadOrCreateIdentity loads the identity kept in dir, or generates and saves a new key when
// dir holds none. dir is created with mode 0700 and the files written with 0600. A key file
// that exists but is unreadable or corrupt is an error (wrapping ErrIdentityCorrupt), never a
// reason to make a new key.
func LoadOrCreateIdentity(dir string) (*Identity, error) {
	if dir == "" {
		return nil, errors.New("provisioning: identity directory is empty")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("provisioning: create identity directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return nil, fmt.Errorf("provisioning: chmod identity directory: %w", err)
	}
	id := &Identity{dir: dir}
	keyPath := filepath.Join(dir, KeyFile)
	data, err := os.ReadFile(keyPath)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := id.create(keyPath); err != nil {
			return nil, err
		}
	case err != nil:
		return nil, fmt.Errorf("provisioning: read %s: %w", keyPath, err)
	default:
		priv, err := parseKey(data)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrIdentityCorrupt, keyPath, err)
		}
		id.priv, id.pub = priv, priv.Public().(ed25519.PublicKey)
		// Tighten permissions that someone loosened.
		if err := os.Chmod(keyPath, 0o600); err != nil {
			return nil, fmt.Errorf("provisioning: chmod %s: %w", keyPath, err)
		}
	}
	if err := id.loadDeviceID(); err != nil {
		return nil, err
	}
	return id, nil
}

func (id *Identity) create(keyPath string) error {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrRandom, err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return fmt.Errorf("provisioning: encode key: %w", err)
	}
	data := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	// A device id left from an earlier key belongs to that key: forget it first.
	if err := os.Remove(filepath.Join(id.dir, DeviceIDFile)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("provisioning: forget old device id: %w", err)
	}
	if err := writeFileAtomic(keyPath, data); err != nil {
		return fmt.Errorf("provisioning: save key: %w", err)
	}
	id.priv, id.pub = priv, pub
	return nil
}

func parseKey(data []byte) (ed25519.PrivateKey, error) {
	block, rest := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("no PEM private key")
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, errors.New("trailing data after the key")
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	priv, ok := key.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("key is a %T, not ed25519", key)
	}
	return priv, nil
}

func (id *Identity) loadDeviceID() error {
	p := filepath.Join(id.dir, DeviceIDFile)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("provisioning: read %s: %w", p, err)
	}
	s := strings.TrimSpace(string(data))
	if !signal.ValidID(s) {
		return fmt.Errorf("%w: %s does not hold a device id", ErrIdentityCorrupt, p)
	}
	id.deviceID = s
	return nil
}

// Dir returns the directory that holds the identity.
func (id *Identity) Dir() string { return id.dir }

// PublicKey returns the device's ed25519 public key.
func (id *Identity) PublicKey() ed25519.PublicKey {
	return append(ed25519.PublicKey(nil), id.pub...)
}

// Fingerprint returns the short, human-comparable fingerprint of the device's public key (see
// KeyFingerprint).
func (id *Identity) Fingerprint() string { return KeyFingerprint(id.pub) }

// Sign signs msg with the device key.
func (id *Identity) Sign(msg []byte) []byte { return ed25519.Sign(id.priv, msg) }

// DeviceID returns the device id the server gave at enrollment, or "" before enrollment.
func (id *Identity) DeviceID() string {
	id.mu.Lock()
	defer id.mu.Unlock()
	return id.deviceID
}

// SetDeviceID saves the device id the server gave at enrollment. An empty id forgets it
// (the device is unpaired but keeps its key).
func (id *Identity) SetDeviceID(deviceID string) error {
	id.mu.Lock()
	defer id.mu.Unlock()
	p := filepath.Join(id.dir, DeviceIDFile)
	if deviceID == "" {
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("provisioning: forget device id: %w", err)
		}
		id.deviceID = ""
		return nil
	}
	if !signal.ValidID(deviceID) {
		return ErrBadDeviceID
	}
	if err := writeFileAtomic(p, []byte(deviceID+"\n")); err != nil {
		return fmt.Errorf("provisioning: save device id: %w", err)
	}
	id.deviceID = deviceID
	return nil
}

// FingerprintLen is the number of characters of a fingerprint without its dashes.
const FingerprintLen = 16

// KeyFingerprint returns the fingerprint of an ed25519 public key: the first 80 bits of its
// SHA-256 in upper-case base32, grouped by four ("ABCD-EFGH-IJKL-MNOP"). The server computes the
// same from an enrolling key to match a pairing request (flow 2).
func KeyFingerprint(pub ed25519.PublicKey) string {
	h := sha256.Sum256(pub)
	s := base32.StdEncoding.EncodeToString(h[:10]) // 10 bytes → 16 characters, no padding
	return s[0:4] + "-" + s[4:8] + "-" + s[8:12] + "-" + s[12:16]
}

// writeFileAtomic writes data to path with mode 0600 through a temporary file in the same
// directory, synced and renamed over path, so that a crash leaves the old or the new content.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	ok = true
	return nil
}

// IsFingerprint reports whether s has the shape of a KeyFingerprint.
func IsFingerprint(s string) bool {
	if len(s) != FingerprintLen+3 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if i%5 == 4 {
			if c != '-' {
				return false
			}
			continue
		}
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}
