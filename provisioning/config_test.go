package provisioning

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"bedside/call/signal"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	photoGiulia = []byte("\x89PNG fake photo of Giulia")
	photoPaolo  = []byte("\xff\xd8 fake photo of Paolo")
)

func testConfig() signal.Config {
	return signal.Config{
		Ward: "Ward 3", Bed: "12", Patient: "Margherita", Language: "it", AutoAnswer: true,
		Contacts: []signal.Contact{
			{Party: signal.Party{ID: "c1", Name: "Giulia Rossi", Relation: "daughter"}, Photo: PhotoHash(photoGiulia)},
			{Party: signal.Party{ID: "c2", Name: "Paolo Bianchi", Relation: "son"}, Photo: PhotoHash(photoPaolo)},
		},
		ICEServers:  []signal.ICEServer{{URLs: []string{"turn:10.0.0.1:3478"}, Username: "u", Credential: "c"}},
		RingSeconds: 45,
	}
}

func newTestStore(t *testing.T) (*DeviceStore, string) {
	dir := filepath.Join(t.TempDir(), "device")
	s, err := NewDeviceStore(DeviceStoreConfig{Dir: dir})
	require.NoError(t, err)
	return s, dir
}

func TestDeviceStoreConfig(t *testing.T) {
	s, dir := newTestStore(t)
	_, err := s.LoadConfig()
	assert.ErrorIs(t, err, ErrNoConfig)

	cfg := testConfig()
	require.NoError(t, s.SaveConfig(cfg))
	got, err := s.LoadConfig()
	require.NoError(t, err)
	assert.Equal(t, cfg, got)

	fi, err := os.Stat(filepath.Join(dir, ConfigFile))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	fi, err = os.Stat(dir)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o700), fi.Mode().Perm())

	// A restart sees the same configuration.
	s2, err := NewDeviceStore(DeviceStoreConfig{Dir: dir})
	require.NoError(t, err)
	got, err = s2.LoadConfig()
	require.NoError(t, err)
	assert.Equal(t, cfg, got)

	cfg.Patient = "Anna"
	require.NoError(t, s.SaveConfig(cfg))
	got, err = s.LoadConfig()
	require.NoError(t, err)
	assert.Equal(t, "Anna", got.Patient)
	assertNoTempFiles(t, dir)

	require.NoError(t, os.WriteFile(filepath.Join(dir, ConfigFile), []byte(`{"ward": `), 0o600))
	_, err = s.LoadConfig()
	assert.ErrorIs(t, err, ErrConfigCorrupt)
}

func TestDeviceStorePairing(t *testing.T) {
	s, _ := newTestStore(t)
	_, err := s.LoadPairing()
	assert.ErrorIs(t, err, ErrNotPaired)
	assert.ErrorIs(t, s.SavePairing(Pairing{Server: "ftp://x"}), ErrBadServerURL)
	p := Pairing{Server: "https://ward3.example:8443", Pin: testPin(), Ward: "Ward 3", Bed: "12"}
	require.NoError(t, s.SavePairing(p))
	got, err := s.LoadPairing()
	require.NoError(t, err)
	assert.Equal(t, p, got)
}

func TestDeviceStorePhotos(t *testing.T) {
	s, dir := newTestStore(t)
	h := PhotoHash(photoGiulia)
	_, err := s.Photo(h)
	assert.ErrorIs(t, err, ErrNoPhoto)
	assert.ErrorIs(t, s.PutPhoto(h, photoPaolo), ErrPhotoHash)
	assert.ErrorIs(t, s.PutPhoto(strings.ToUpper(h), photoGiulia), ErrPhotoHash)
	assert.ErrorIs(t, s.PutPhoto("../../etc/passwd", photoGiulia), ErrPhotoHash)
	big := make([]byte, MaxPhotoSize+1)
	assert.ErrorIs(t, s.PutPhoto(PhotoHash(big), big), ErrPhotoTooLarge)
	_, err = s.Photo("../config.json")
	assert.ErrorIs(t, err, ErrNoPhoto)

	require.NoError(t, s.PutPhoto(h, photoGiulia))
	require.NoError(t, s.PutPhoto(h, photoGiulia), "putting the same photo twice is fine")
	got, err := s.Photo(h)
	require.NoError(t, err)
	assert.Equal(t, photoGiulia, got)
	fi, err := os.Stat(filepath.Join(dir, PhotoDir, h))
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())

	// A damaged cached file is dropped, to be fetched again.
	require.NoError(t, os.WriteFile(filepath.Join(dir, PhotoDir, h), []byte("damaged"), 0o600))
	_, err = s.Photo(h)
	assert.ErrorIs(t, err, ErrNoPhoto)
	_, err = os.Stat(filepath.Join(dir, PhotoDir, h))
	assert.ErrorIs(t, err, fs.ErrNotExist)

	// Pruning keeps only what the configuration uses.
	require.NoError(t, s.PutPhoto(h, photoGiulia))
	require.NoError(t, s.PutPhoto(PhotoHash(photoPaolo), photoPaolo))
	cfg := testConfig()
	cfg.Contacts = cfg.Contacts[:1]
	require.NoError(t, s.PrunePhotos(cfg))
	_, err = s.Photo(h)
	assert.NoError(t, err)
	_, err = s.Photo(PhotoHash(photoPaolo))
	assert.ErrorIs(t, err, ErrNoPhoto)
}

func TestDeviceStoreFetchPhotos(t *testing.T) {
	photos := map[string][]byte{PhotoHash(photoGiulia): photoGiulia, PhotoHash(photoPaolo): []byte("not Paolo's photo")}
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		data, ok := photos[strings.TrimPrefix(r.URL.Path, PhotosPath)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(data)
	}))
	defer srv.Close()
	client, err := NewHTTPClient(ClientConfig{})
	require.NoError(t, err)
	s, _ := newTestStore(t)

	cfg := testConfig()
	err = s.FetchPhotos(context.Background(), client, srv.URL, nil, cfg)
	assert.ErrorIs(t, err, ErrPhotoHash, "the server sent the wrong bytes for Paolo")
	got, err := s.Photo(PhotoHash(photoGiulia))
	require.NoError(t, err)
	assert.Equal(t, photoGiulia, got)
	_, err = s.Photo(PhotoHash(photoPaolo))
	assert.ErrorIs(t, err, ErrNoPhoto)

	// Cached photos are not fetched again.
	photos[PhotoHash(photoPaolo)] = photoPaolo
	before := hits.Load()
	require.NoError(t, s.FetchPhotos(context.Background(), client, srv.URL, nil, cfg))
	assert.Equal(t, before+1, hits.Load())
	require.NoError(t, s.FetchPhotos(context.Background(), client, srv.URL, nil, cfg))
	assert.Equal(t, before+1, hits.Load())

	cfg.Contacts = append(cfg.Contacts, signal.Contact{Party: signal.Party{ID: "c3", Name: "X"}, Photo: strings.Repeat("0", 64)})
	assert.ErrorIs(t, s.FetchPhotos(context.Background(), client, srv.URL, nil, cfg), ErrServer)
}

func TestDeviceStoreWipe(t *testing.T) {
	s, dir := newTestStore(t)
	id, err := LoadOrCreateIdentity(dir)
	require.NoError(t, err)
	require.NoError(t, id.SetDeviceID("dev_7"))
	pairing := Pairing{Server: "https://ward3.example:8443", Pin: testPin(), Ward: "Ward 3", Bed: "12"}
	require.NoError(t, s.SavePairing(pairing))

	cfg := testConfig()
	require.NoError(t, s.SaveConfig(cfg))
	require.NoError(t, s.PutPhoto(PhotoHash(photoGiulia), photoGiulia))
	require.NoError(t, s.PutPhoto(PhotoHash(photoPaolo), photoPaolo))
	// Another package's call history, in a file and a sub-directory of the data dir.
	require.NoError(t, os.WriteFile(filepath.Join(dir, "calls.json"), []byte(`[{"with":"Giulia Rossi"}]`), 0o600))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "history", "2026"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "history", "2026", "log"), []byte("Paolo Bianchi called Margherita"), 0o600))

	secrets := []string{"Margherita", "Giulia", "Rossi", "Paolo", "Bianchi", PhotoHash(photoGiulia), PhotoHash(photoPaolo)}
	require.NotEmpty(t, grepDir(t, dir, secrets), "the test data must be findable before the wipe")

	require.NoError(t, s.Wipe())
	assert.Empty(t, grepDir(t, dir, secrets), "patient data left after Wipe")

	_, err = s.LoadConfig()
	assert.ErrorIs(t, err, ErrNoConfig)
	_, err = s.Photo(PhotoHash(photoGiulia))
	assert.ErrorIs(t, err, ErrNoPhoto)
	// Still paired, same key.
	again, err := LoadOrCreateIdentity(dir)
	require.NoError(t, err)
	assert.Equal(t, id.PublicKey(), again.PublicKey())
	assert.Equal(t, "dev_7", again.DeviceID())
	got, err := s.LoadPairing()
	require.NoError(t, err)
	assert.Equal(t, pairing, got)

	// The store works after a wipe, for the next patient.
	require.NoError(t, s.PutPhoto(PhotoHash(photoPaolo), photoPaolo))
	require.NoError(t, s.Wipe())

	require.NoError(t, s.Reset())
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)
	_, err = s.LoadPairing()
	assert.ErrorIs(t, err, ErrNotPaired)
	fresh, err := LoadOrCreateIdentity(dir)
	require.NoError(t, err)
	assert.NotEqual(t, id.PublicKey(), fresh.PublicKey())
	assert.Empty(t, fresh.DeviceID())
}

// grepDir returns "path: needle" for every needle found in a file's name or content under dir.
func grepDir(t *testing.T, dir string, needles []string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		var data []byte
		if d.Type().IsRegular() {
			if data, err = os.ReadFile(path); err != nil {
				return err
			}
		}
		for _, n := range needles {
			if strings.Contains(d.Name(), n) || bytes.Contains(data, []byte(n)) {
				found = append(found, path+": "+n)
			}
		}
		return nil
	})
	require.NoError(t, err)
	return found
}

func assertNoTempFiles(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range entries {
		assert.False(t, strings.Contains(e.Name(), ".tmp"), e.Name())
	}
}
