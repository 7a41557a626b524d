package provisioning

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"bedside/call/signal"
)

// Names inside the device data dir, beside KeyFile and DeviceIDFile.
const (
	PairingFile = "pairing.json" // the server this device is paired to; kept by Wipe
	ConfigFile  = "config.json"  // the last signal.Config; patient-specific
	PhotoDir    = "photos"       // contact photos by content hash; patient-specific
)

// PhotosPath is the ward server's path prefix of contact photos: GET PhotosPath + hash.
const PhotosPath = "/api/photos/"

// PhotoAuthScheme is the Authorization scheme of a tablet fetching a contact photo: the
// header is "Bedside-Device <device id>.<unix seconds>.<base64url signature>", the ed25519
// signature of PhotoAuthPayload with the tablet's enrolled key. The ward server serves a
// photo only to someone allowed to see its patient.
const PhotoAuthScheme = "Bedside-Device"

// PhotoAuthPayload is what a tablet signs to fetch photo hash at unix time ts.
func PhotoAuthPayload(deviceID, hash string, ts int64) []byte {
	return []byte("bedside-photo|" + deviceID + "|" + hash + "|" + strconv.FormatInt(ts, 10))
}

// PhotoSigner signs photo requests: the tablet's Identity.
type PhotoSigner interface {
	DeviceID() string
	Sign(msg []byte) []byte
}

// PhotoAuthorization is the Authorization header of signer's request for photo hash at now.
func PhotoAuthorization(signer PhotoSigner, hash string, now time.Time) string {
	ts := now.Unix()
	sig := signer.Sign(PhotoAuthPayload(signer.DeviceID(), hash, ts))
	return PhotoAuthScheme + " " + signer.DeviceID() + "." + strconv.FormatInt(ts, 10) + "." +
		base64.RawURLEncoding.EncodeToString(sig)
}

// MaxPhotoSize is the largest photo the device caches.
const MaxPhotoSize = 4 << 20

// Device store errors.
var (
	ErrNoConfig      = errors.New("provisioning: no cached configuration")
	ErrConfigCorrupt = errors.New("provisioning: cached configuration is corrupt")
	ErrNotPaired     = errors.New("provisioning: the device is not paired")
	ErrNoPhoto       = errors.New("provisioning: photo not cached")
	ErrPhotoHash     = errors.New("provisioning: photo does not match its hash")
	ErrPhotoTooLarge = errors.New("provisioning: photo too large")
)

// Pairing is what the device remembers about the server it is paired to.
type Pairing struct {
	Server string `json:"server"`        // base URL
	Pin    []byte `json:"pin,omitempty"` // SHA-256 of the server's certificate, or nil
	Ward   string `json:"ward,omitempty"`
	Bed    string `json:"bed,omitempty"`
}

// DeviceStoreConfig configures a DeviceStore.
type DeviceStoreConfig struct {
	// Dir is the device data dir, shared with the Identity (LoadOrCreateIdentity(Dir)).
	Dir string
	// Logger gets a line per wipe and photo failure; nil discards. Never given names.
	Logger *slog.Logger
}

// DeviceStore is the tablet's data dir: its identity (see Identity), the pairing, the cached
// configuration and contact photos. Everything in the dir that is not the identity or the
// pairing counts as patient-specific and goes at Wipe: other packages that keep patient data
// on the device (call history, for instance) put it in Dir() so that discharge removes it.
// It is safe for concurrent use.
type DeviceStore struct {
	dir string
	log *slog.Logger
	mu  sync.Mutex
}

// NewDeviceStore opens the data dir, creating it with mode 0700.
func NewDeviceStore(cfg DeviceStoreConfig) (*DeviceStore, error) {
	if cfg.Dir == "" {
		return nil, errors.New("provisioning: device store needs a directory")
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("provisioning: create data dir: %w", err)
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &DeviceStore{dir: cfg.Dir, log: log}, nil
}

// Dir returns the data dir.
func (s *DeviceStore) Dir() string { return s.dir }

// SaveConfig replaces the cached configuration with cfg, atomically, mode 0600.
func (s *DeviceStore) SaveConfig(cfg signal.Config) error {
	return s.saveJSON(ConfigFile, cfg)
}

// LoadConfig returns the cached configuration: ErrNoConfig when there is none, an error
// wrapping ErrConfigCorrupt when it cannot be read (the server sends a fresh one on connect).
func (s *DeviceStore) LoadConfig() (signal.Config, error) {
	var cfg signal.Config
	err := s.loadJSON(ConfigFile, &cfg)
	if errors.Is(err, fs.ErrNotExist) {
		return signal.Config{}, ErrNoConfig
	}
	if err != nil {
		return signal.Config{}, err
	}
	return cfg, nil
}

// SavePairing remembers the server the device is paired to.
func (s *DeviceStore) SavePairing(p Pairing) error {
	if err := CheckServerURL(p.Server); err != nil {
		return fmt.Errorf("%w: %v", ErrBadServerURL, err)
	}
	return s.saveJSON(PairingFile, p)
}

// LoadPairing returns the saved pairing, or ErrNotPaired.
func (s *DeviceStore) LoadPairing() (Pairing, error) {
	var p Pairing
	err := s.loadJSON(PairingFile, &p)
	if errors.Is(err, fs.ErrNotExist) {
		return Pairing{}, ErrNotPaired
	}
	if err != nil {
		return Pairing{}, err
	}
	if CheckServerURL(p.Server) != nil {
		return Pairing{}, fmt.Errorf("%w: %s holds no server URL", ErrConfigCorrupt, PairingFile)
	}
	return p, nil
}

func (s *DeviceStore) saveJSON(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("provisioning: encode %s: %w", name, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := writeFileAtomic(filepath.Join(s.dir, name), data); err != nil {
		return fmt.Errorf("provisioning: save %s: %w", name, err)
	}
	return nil
}

func (s *DeviceStore) loadJSON(name string, v any) error {
	s.mu.Lock()
	data, err := os.ReadFile(filepath.Join(s.dir, name))
	s.mu.Unlock()
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrConfigCorrupt, name, err)
	}
	return nil
}

// PhotoHash returns the content hash of a photo as the server names it: lower-case hex SHA-256.
func PhotoHash(data []byte) string {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:])
}

// validPhotoHash reports whether s is a lower-case hex SHA-256 (and so a safe file name).
func validPhotoHash(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// PutPhoto caches a contact photo under its hash, after checking that hash is PhotoHash(data)
// (ErrPhotoHash otherwise) and that it is at most MaxPhotoSize.
func (s *DeviceStore) PutPhoto(hash string, data []byte) error {
	if len(data) > MaxPhotoSize {
		return ErrPhotoTooLarge
	}
	if !validPhotoHash(hash) || PhotoHash(data) != hash {
		return ErrPhotoHash
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Join(s.dir, PhotoDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("provisioning: create photo dir: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, hash), data); err != nil {
		return fmt.Errorf("provisioning: save photo: %w", err)
	}
	return nil
}

// Photo returns a cached photo, or ErrNoPhoto. A cached file that no longer matches its hash
// is removed and reported as ErrNoPhoto, so that it is fetched again.
func (s *DeviceStore) Photo(hash string) ([]byte, error) {
	if !validPhotoHash(hash) {
		return nil, ErrNoPhoto
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p := filepath.Join(s.dir, PhotoDir, hash)
	data, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNoPhoto
	}
	if err != nil {
		return nil, fmt.Errorf("provisioning: read photo: %w", err)
	}
	if PhotoHash(data) != hash {
		s.log.Warn("cached photo is corrupt; removing it", "hash", hash)
		_ = os.Remove(p)
		return nil, ErrNoPhoto
	}
	return data, nil
}

// PrunePhotos removes the cached photos that cfg's contacts no longer use.
func (s *DeviceStore) PrunePhotos(cfg signal.Config) error {
	keep := map[string]bool{}
	for _, c := range cfg.Contacts {
		keep[c.Photo] = true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	dir := filepath.Join(s.dir, PhotoDir)
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("provisioning: list photos: %w", err)
	}
	var errs []error
	for _, e := range entries {
		if !keep[e.Name()] {
			errs = append(errs, os.RemoveAll(filepath.Join(dir, e.Name())))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("provisioning: prune photos: %w", err)
	}
	return nil
}

// FetchPhotos downloads the photos of cfg's contacts that are not cached yet from the server
// at serverURL (GET PhotosPath + hash) with client (see NewHTTPClient), each request signed by
// signer (the tablet's Identity; nil sends none), verifies and caches them. It tries every
// photo and returns the joined errors of those that failed.
func (s *DeviceStore) FetchPhotos(ctx context.Context, client *http.Client, serverURL string, signer PhotoSigner, cfg signal.Config) error {
	var errs []error
	for _, c := range cfg.Contacts {
		if c.Photo == "" {
			continue
		}
		if _, err := s.Photo(c.Photo); err == nil {
			continue
		}
		if err := s.fetchPhoto(ctx, client, serverURL, signer, c.Photo); err != nil {
			s.log.Warn("fetch photo", "hash", c.Photo, "err", err)
			errs = append(errs, err)
		}
		if ctx.Err() != nil {
			break
		}
	}
	return errors.Join(errs...)
}

func (s *DeviceStore) fetchPhoto(ctx context.Context, client *http.Client, serverURL string, signer PhotoSigner, hash string) error {
	if !validPhotoHash(hash) {
		return ErrPhotoHash
	}
	u := strings.TrimRight(serverURL, "/") + PhotosPath + hash
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadServerURL, err)
	}
	if signer != nil {
		req.Header.Set("Authorization", PhotoAuthorization(signer, hash, time.Now()))
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: photo: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: photo: HTTP %d", ErrServer, resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxPhotoSize+1))
	if err != nil {
		return fmt.Errorf("%w: photo: %v", ErrUnreachable, err)
	}
	return s.PutPhoto(hash, data)
}

// Wipe removes everything patient-specific from the data dir — the cached configuration, the
// photos, call history and any other file — and keeps only the device identity (KeyFile,
// DeviceIDFile) and the pairing, so that the tablet stays paired to its bed for the next
// patient. Files are deleted, not overwritten: protecting deleted blocks on flash storage is
// the job of the device's disk encryption.
func (s *DeviceStore) Wipe() error {
	return s.removeAllExcept(map[string]bool{KeyFile: true, DeviceIDFile: true, PairingFile: true})
}

// Reset removes everything, the identity and pairing included: the tablet must be paired
// again, with a new key (LoadOrCreateIdentity). Any *Identity loaded before is stale.
func (s *DeviceStore) Reset() error {
	return s.removeAllExcept(nil)
}

func (s *DeviceStore) removeAllExcept(keep map[string]bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	entries, err := os.ReadDir(s.dir)
	if err != nil {
		return fmt.Errorf("provisioning: list data dir: %w", err)
	}
	var errs []error
	removed := 0
	for _, e := range entries {
		if keep[e.Name()] && e.Type().IsRegular() {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.dir, e.Name())); err != nil {
			errs = append(errs, err)
			continue
		}
		removed++
	}
	s.log.Info("device data wiped", "removed", removed, "identity kept", keep != nil)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("provisioning: wipe: %w", err)
	}
	return nil
}
