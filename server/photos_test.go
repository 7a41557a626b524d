package server_test

import (
	"context"
	"crypto/ed25519"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/provisioning"
	"bedside/server"
)

// signer signs photo requests as a test tablet, as provisioning.Identity does.
type signer struct{ d device }

func (s signer) DeviceID() string       { return s.d.id }
func (s signer) Sign(msg []byte) []byte { return ed25519.Sign(s.d.key, msg) }

// TestPhotoAccess: contact photos were served to anyone at /api/photos/<hash>, also after
// discharge. Now only the tablet of the patient's bed (a signed request) and the patient's
// family links get them, and no one once the patient is discharged.
func TestPhotoAccess(t *testing.T) {
	e := newEnv(t, nil)
	ctx := context.Background()
	hash := e.contactPhoto([]byte("\x89PNG\r\n\x1a\nAnna's photo"))
	url := e.url + provisioning.PhotosPath + hash
	tablet := signer{e.enroll(e.demo.PairingCode)}
	_, _, otherToken := e.otherPatient()
	_, code2, err := server.NewEnrollment(ctx, e.st, e.demo.WardID, "", time.Hour, server.EnrollmentOptions{Now: e.clock.Now})
	require.NoError(t, err)
	wardTablet := signer{e.enroll(code2)} // paired to the ward, no bed
	signed := func(s signer, at time.Time) string { return provisioning.PhotoAuthorization(s, hash, at) }

	status := func(header ...string) int {
		resp, _ := get(t, url, header...)
		return resp.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, status(), "no credential")
	require.Equal(t, http.StatusOK, status("Authorization", signed(tablet, e.clock.Now())), "the bed's tablet")
	require.Equal(t, http.StatusOK, status("Authorization", "Bearer "+e.demo.FamilyToken), "the patient's family")

	require.Equal(t, http.StatusNotFound, status("Authorization", "Bearer "+otherToken), "another patient's family")
	require.Equal(t, http.StatusNotFound, status("Authorization", signed(wardTablet, e.clock.Now())), "a tablet of no bed")
	require.Equal(t, http.StatusUnauthorized, status("Authorization", "Bearer AAAAAAAAAAAAAAAAAAAAAA"))
	require.Equal(t, http.StatusUnauthorized, status("Authorization", signed(tablet, e.clock.Now().Add(-time.Hour))), "an old signature")
	other := provisioning.PhotoAuthorization(tablet, hash+"0", e.clock.Now()) // signed for another photo
	require.Equal(t, http.StatusUnauthorized, status("Authorization", other))

	// Discharged: no one gets the photos any more.
	require.NoError(t, e.st.Discharge(ctx, e.demo.PatientID, e.clock.Now()))
	require.Equal(t, http.StatusNotFound, status("Authorization", signed(tablet, e.clock.Now())))
	require.Equal(t, http.StatusUnauthorized, status("Authorization", "Bearer "+e.demo.FamilyToken))
}

// TestKioskFetchesPhotos: the kiosk's DeviceStore.FetchPhotos signs its requests with the
// tablet's key and gets the photos (the server on the real clock, as the tablet is).
func TestKioskFetchesPhotos(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.Now = time.Now })
	ctx := context.Background()
	hash := e.contactPhoto([]byte("\x89PNG\r\n\x1a\nAnna's photo"))
	_, code, err := server.NewEnrollment(ctx, e.st, e.demo.WardID, e.demo.BedID, time.Hour, server.EnrollmentOptions{})
	require.NoError(t, err)
	tablet := signer{e.enroll(code)}
	ds, err := provisioning.NewDeviceStore(provisioning.DeviceStoreConfig{Dir: t.TempDir()})
	require.NoError(t, err)
	client, err := provisioning.NewHTTPClient(provisioning.ClientConfig{})
	require.NoError(t, err)
	cfg := signal.Config{Contacts: []signal.Contact{{Party: signal.Party{ID: e.demo.ContactID, Name: "Anna"}, Photo: hash}}}
	require.Error(t, ds.FetchPhotos(ctx, client, e.url, nil, cfg), "unsigned")
	require.NoError(t, ds.FetchPhotos(ctx, client, e.url, tablet, cfg))
	got, err := ds.Photo(hash)
	require.NoError(t, err)
	require.Equal(t, "\x89PNG\r\n\x1a\nAnna's photo", string(got))
}
