package tablet

import (
	"errors"
	"fmt"
	"image"
	"image/png"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/app"
	"bedside/call"
	"bedside/call/signal"
	"bedside/provisioning"
)

func TestRefusedSaysWhy(t *testing.T) {
	var r *app.RefusedError
	err := refused(fmt.Errorf("dial: %w", &call.EndedError{Reason: signal.ReasonOffline}))
	require.True(t, errors.As(err, &r))
	assert.Equal(t, app.Reason("offline"), r.Reason)
	assert.ErrorIs(t, err, call.ErrCallEnded, "the engine's error stays wrapped")

	require.True(t, errors.As(refused(call.ErrBusy), &r))
	assert.Equal(t, app.Reason("busy"), r.Reason)

	other := errors.New("network down")
	assert.Same(t, other, refused(other))
}

func TestPairErrorsMapToTheKiosks(t *testing.T) {
	// The setup screen switches on app's errors; Pair wraps provisioning's into them.
	for perr, aerr := range map[error]error{
		provisioning.ErrEnrollInvalid: app.ErrPairInvalid,
		provisioning.ErrEnrollExpired: app.ErrPairExpired,
		provisioning.ErrEnrollUsed:    app.ErrPairUsed,
		provisioning.ErrPinMismatch:   app.ErrPairServer,
		provisioning.ErrRateLimited:   app.ErrPairBusy,
	} {
		err := mapEnrollError(fmt.Errorf("enroll: %w", perr))
		assert.ErrorIs(t, err, aerr)
		assert.ErrorIs(t, err, perr)
	}
}

func TestPatientFromConfig(t *testing.T) {
	cfg := signal.Config{Patient: "Maria", Language: "it", AutoAnswer: true, Ward: "Ward 3", Bed: "12",
		Contacts: []signal.Contact{{Party: signal.Party{ID: "c1", Name: "Anna", Relation: "figlia"}, Online: true, Photo: "nohash"}}}
	p := patientFrom(cfg, nil)
	assert.Equal(t, "Maria", p.Name)
	assert.Equal(t, "it", p.Language)
	assert.True(t, p.AutoAnswer)
	require.Len(t, p.Contacts, 1)
	assert.Equal(t, app.Contact{ID: "c1", Name: "Anna", Relation: "figlia", Online: true}, p.Contacts[0])
}

func TestPairingNeedsAServer(t *testing.T) {
	dir := t.TempDir()
	store, err := provisioning.NewDeviceStore(provisioning.DeviceStoreConfig{Dir: dir})
	require.NoError(t, err)
	id, err := provisioning.LoadOrCreateIdentity(dir)
	require.NoError(t, err)
	d := NewDevice(Config{Dir: dir, Store: store, Identity: id})
	_, err = d.PairingRequest("ABCD2345")
	assert.ErrorIs(t, err, app.ErrPairNoServer)
	_, err = d.Pair(t.Context(), "ABCD2345")
	assert.ErrorIs(t, err, app.ErrPairNoServer)

	d = NewDevice(Config{Dir: dir, Store: store, Identity: id, Server: "https://ward3.example:8443"})
	u, err := d.PairingRequest("abcd-2345")
	require.NoError(t, err)
	code, fp, err := provisioning.ParsePairingRequest(mustQuery(t, u))
	require.NoError(t, err)
	assert.Equal(t, "ABCD2345", code)
	assert.Equal(t, id.Fingerprint(), fp, "the request carries this tablet's key")
}

func mustQuery(t *testing.T, raw string) url.Values {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	return u.Query()
}

func TestOpenMedia(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	_, _, err := OpenMedia("file:"+filepath.Join(t.TempDir(), "missing.png"), log)
	assert.Error(t, err, "a file that is not there is a clear error at start")

	frame := filepath.Join(t.TempDir(), "frame.png")
	writePNG(t, frame, image.NewGray(image.Rect(0, 0, 64, 48)))
	local, hasCamera, err := OpenMedia("file:"+frame, log)
	require.NoError(t, err)
	assert.True(t, hasCamera, "a picture file can show the tablet a QR code")
	require.NoError(t, local.Close())

	local, hasCamera, err = OpenMedia("test", log)
	require.NoError(t, err)
	assert.False(t, hasCamera, "the test pattern holds no QR code: the tablet shows its own")
	require.NoError(t, local.Close())

	if matches, _ := filepath.Glob("/dev/video*"); len(matches) == 0 {
		local, hasCamera, err = OpenMedia("camera", log)
		require.NoError(t, err, "no camera is not an error: the tablet shows its own code")
		assert.False(t, hasCamera)
		require.NotNil(t, local, "calls still send a picture")
		require.NoError(t, local.Close())
	}
}

// writePNG writes img to path as PNG.
func writePNG(t *testing.T, path string, img image.Image) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	require.NoError(t, f.Close())
}

func TestAppStateNamesTheEngines(t *testing.T) {
	for s := call.Idle; s <= call.Failed; s++ {
		assert.Equal(t, s.String(), appState(s).String())
	}
	assert.Equal(t, app.Failed, appState(call.State(99)))
}
