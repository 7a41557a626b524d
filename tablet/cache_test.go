package tablet

import (
	"bytes"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/provisioning"
)

// guard bounds every wait, so that a broken piece fails instead of hanging. It is never a
// timing assertion.
const guard = 30 * time.Second

// heldPhotos is a ward server's photo endpoint, on 127.0.0.1, that holds each response until
// the test releases it (or the client goes away): a slow photo download.
type heldPhotos struct {
	srv     *httptest.Server
	photo   []byte
	hash    string
	arrived chan struct{} // one per request
	release chan struct{} // closed: every held response goes out
}

func newHeldPhotos(t *testing.T) *heldPhotos {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8))))
	h := &heldPhotos{photo: buf.Bytes(), hash: provisioning.PhotoHash(buf.Bytes()),
		arrived: make(chan struct{}, 100), release: make(chan struct{})}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != provisioning.PhotosPath+h.hash {
			http.NotFound(w, r)
			return
		}
		h.arrived <- struct{}{}
		select {
		case <-h.release:
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "image/png")
		_, _ = w.Write(h.photo)
	}))
	t.Cleanup(h.finish)
	return h
}

// finish lets every held response go and returns once every handler has returned.
func (h *heldPhotos) finish() {
	select {
	case <-h.release:
	default:
		close(h.release)
	}
	h.srv.Close()
}

func (h *heldPhotos) waitRequest(t *testing.T) {
	t.Helper()
	select {
	case <-h.arrived:
	case <-time.After(guard):
		t.Fatal("the photo was never requested")
	}
}

// patient is a configuration of a patient whose one contact has the photo.
func (h *heldPhotos) patient(name string) signal.Config {
	return signal.Config{Patient: name, Ward: "Ward 3", Bed: "12", Contacts: []signal.Contact{
		{Party: signal.Party{ID: "c1", Name: "Anna " + name}, Online: true, Photo: h.hash}}}
}

func newTestCache(t *testing.T, h *heldPhotos, onPhotos func()) (*configCache, *provisioning.DeviceStore) {
	t.Helper()
	store, err := provisioning.NewDeviceStore(provisioning.DeviceStoreConfig{Dir: t.TempDir()})
	require.NoError(t, err)
	c := newConfigCache(cacheConfig{Store: store, HTTP: h.srv.Client(), Server: h.srv.URL, OnPhotos: onPhotos})
	t.Cleanup(c.Stop)
	return c, store
}

// traces lists the files under dir that hold or name any of secrets.
func traces(t *testing.T, dir string, secrets ...string) []string {
	t.Helper()
	var found []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if strings.Contains(string(body), s) || strings.Contains(path, s) {
				found = append(found, strings.TrimPrefix(path, dir))
			}
		}
		return nil
	}))
	return found
}

func TestCacheKeepsConfigAndPhotos(t *testing.T) {
	h := newHeldPhotos(t)
	got := make(chan struct{}, 1)
	c, store := newTestCache(t, h, func() { got <- struct{}{} })
	c.Put(h.patient("Maria"))
	h.waitRequest(t)
	close(h.release)
	select {
	case <-got:
	case <-time.After(guard):
		t.Fatal("the cache never said the photos were in")
	}
	data, err := store.Photo(h.hash)
	require.NoError(t, err)
	assert.Equal(t, h.photo, data)
	cfg, err := store.LoadConfig()
	require.NoError(t, err)
	assert.Equal(t, "Maria", cfg.Patient)
}

// TestRemovedContactsPhotoGoes: a contact removed from the patient's list takes their photo
// off the device with the next configuration, also when no other photo is missing (before,
// unused photos were pruned only after a download).
func TestRemovedContactsPhotoGoes(t *testing.T) {
	h := newHeldPhotos(t)
	c, store := newTestCache(t, h, nil)
	require.NoError(t, store.PutPhoto(h.hash, h.photo))
	cfg := h.patient("Maria")
	c.Put(cfg)
	cfg.Contacts = nil // the nurse removed Anna
	c.Put(cfg)
	deadline := time.Now().Add(guard)
	for {
		if _, err := store.Photo(h.hash); err != nil {
			break
		}
		require.True(t, time.Now().Before(deadline), "the removed contact's photo stays")
		time.Sleep(10 * time.Millisecond)
	}
	c.Stop()
	assert.Empty(t, traces(t, store.Dir(), "Anna", h.hash))
}

// TestDischargeWhileAPhotoDownloads: the patient's photo is still downloading when the
// discharge arrives. Once the cache is done, nothing of the patient is on the device, and the
// photo that arrives late is not written either. (Before the cache was one worker, the download
// went on in its own goroutine after the wipe and wrote the photo back.)
func TestDischargeWhileAPhotoDownloads(t *testing.T) {
	h := newHeldPhotos(t)
	c, store := newTestCache(t, h, nil)
	c.Put(h.patient("Maria"))
	h.waitRequest(t)
	c.Put(signal.Config{Ward: "Ward 3", Bed: "12"}) // discharged: the bed is free
	h.finish()                                      // the photo's response goes out, late
	c.Stop()                                        // every job done, nothing runs any more
	assert.Empty(t, traces(t, store.Dir(), "Maria", h.hash), "the discharged patient's data")
	_, err := store.Photo(h.hash)
	assert.ErrorIs(t, err, provisioning.ErrNoPhoto)
	_, err = store.LoadConfig()
	assert.ErrorIs(t, err, provisioning.ErrNoConfig)
}

// TestDischargeThenNextPatientWipes: a discharge and the next patient's configuration arrive
// while a photo of the first patient downloads; the wipe is not skipped because a newer
// configuration came: every file of the first patient goes, the second patient's is kept.
func TestDischargeThenNextPatientWipes(t *testing.T) {
	h := newHeldPhotos(t)
	c, store := newTestCache(t, h, nil)
	c.Put(h.patient("Maria"))
	h.waitRequest(t)
	// Something else of Maria's in the data dir (a call history, say): the wipe removes it.
	require.NoError(t, os.WriteFile(filepath.Join(store.Dir(), "history.json"), []byte(`["Maria"]`), 0o600))
	c.Put(signal.Config{Ward: "Ward 3", Bed: "12"})
	next := signal.Config{Patient: "Luca", Ward: "Ward 3", Bed: "12"}
	c.Put(next)
	h.finish()
	// (Stop drops a configuration still waiting, as the server sends it again: wait for it.)
	deadline := time.Now().Add(guard)
	for cfg, err := store.LoadConfig(); err != nil || cfg.Patient != "Luca"; cfg, err = store.LoadConfig() {
		require.True(t, time.Now().Before(deadline), "the next patient's configuration is never kept")
		time.Sleep(10 * time.Millisecond)
	}
	c.Stop()
	assert.Empty(t, traces(t, store.Dir(), "Maria", h.hash), "the discharged patient's data")
}

// TestRepairWhileAConfigArrives: the nurse pairs the tablet again (the phone stops, then the
// store is reset) just as a configuration arrives, or while its photo downloads. After the reset
// the data dir stays empty. (Before, the untracked caching goroutine could save the
// configuration or the photo after the reset.)
func TestRepairWhileAConfigArrives(t *testing.T) {
	h := newHeldPhotos(t)
	store, err := provisioning.NewDeviceStore(provisioning.DeviceStoreConfig{Dir: t.TempDir()})
	require.NoError(t, err)
	empty := func(what string) {
		t.Helper()
		entries, err := os.ReadDir(store.Dir())
		require.NoError(t, err)
		require.Empty(t, entries, what)
	}
	// The photo is under way when the nurse pairs again.
	c := newConfigCache(cacheConfig{Store: store, HTTP: h.srv.Client(), Server: h.srv.URL})
	c.Put(h.patient("Maria"))
	h.waitRequest(t)
	c.Stop()
	require.NoError(t, store.Reset())
	h.finish() // the photo's response goes out, late
	empty("nothing lands after the reset (photo under way)")

	// The configuration itself arrives as the nurse pairs again.
	noPhoto := signal.Config{Patient: "Maria", Contacts: []signal.Contact{{Party: signal.Party{ID: "c1", Name: "Anna"}}}}
	for range 200 {
		c := newConfigCache(cacheConfig{Store: store, HTTP: h.srv.Client(), Server: h.srv.URL})
		c.Put(noPhoto)
		c.Stop()
		require.NoError(t, store.Reset())
		empty("nothing lands after the reset (configuration arriving)")
	}
	time.Sleep(50 * time.Millisecond) // not a timing assertion: lets a stray writer show itself
	empty("nothing lands after the reset, later either")
}

func TestCacheJobMerge(t *testing.T) {
	a, b := signal.Config{Patient: "A"}, signal.Config{Patient: "B"}
	j := cacheJob{}.merge(a)
	assert.Equal(t, cacheJob{cfg: &a}, j)
	j = j.merge(b)
	assert.Equal(t, cacheJob{cfg: &b}, j, "a newer configuration replaces an older one")
	j = j.merge(signal.Config{})
	assert.Equal(t, cacheJob{wipe: true}, j, "a discharge drops the configuration before it")
	j = j.merge(a)
	assert.Equal(t, cacheJob{wipe: true, cfg: &a}, j, "and is never dropped by one after it")
}
