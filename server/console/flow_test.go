package console_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"image"
	"image/color"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/provisioning"
	"bedside/server/store"
)

var idRE = regexp.MustCompile(`^/console/(?:wards|beds|contacts)/([^/?]+)`)

// idOf is the id in a redirect to a ward, bed or contact page.
func idOf(t *testing.T, location string) string {
	t.Helper()
	m := idRE.FindStringSubmatch(location)
	require.NotNil(t, m, "location %q", location)
	return m[1]
}

// testJPEG is a w×h JPEG photo.
func testJPEG(t testing.TB, w, h int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.RGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, img, nil))
	return buf.Bytes()
}

// multipartForm builds a form with fields and one photo part.
func multipartForm(t testing.TB, fields url.Values, filename, contentType string, photo []byte) (string, *bytes.Buffer) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, vs := range fields {
		for _, v := range vs {
			require.NoError(t, mw.WriteField(k, v))
		}
	}
	if filename != "" || photo != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="photo"; filename="`+filename+`"`)
		if contentType != "" {
			h.Set("Content-Type", contentType)
		}
		pw, err := mw.CreatePart(h)
		require.NoError(t, err)
		_, err = pw.Write(photo)
		require.NoError(t, err)
	}
	require.NoError(t, mw.Close())
	return mw.FormDataContentType(), &buf
}

func TestWholeFlow(t *testing.T) {
	e := newEnv(t, nil)
	pw := e.user(t, "admin", store.RoleAdmin)
	b := e.browser(t)
	b.login("admin", pw)

	r := b.post("/console/wards", url.Values{"name": {"Cardiology"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	wardID := idOf(t, r.location)
	r = b.post("/console/wards/"+wardID+"/beds", url.Values{"name": {"12"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	r = b.post("/console/wards/"+wardID+"/beds", url.Values{"name": {"14"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	beds, err := e.st.Beds(e.ctx, wardID)
	require.NoError(t, err)
	require.Len(t, beds, 2)
	bedID, bed2 := beds[0].ID, beds[1].ID

	r = b.get("/console/wards/" + wardID)
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, "Bed 12")

	// An enrollment QR for the bed, usable once.
	r = b.post("/console/wards/"+wardID+"/enroll", url.Values{"bed": {bedID}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, "data:image/png;base64,")
	code := regexp.MustCompile(`id="enroll-code">([A-Z0-9-]+)<`).FindStringSubmatch(r.body)
	require.NotNil(t, code)
	en, err := e.st.ConsumeEnrollment(e.ctx, provisioning.HashSecret(code[1]), "", e.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, bedID, en.BedID)
	// A code to print lasts longer; only the offered lifetimes are taken.
	r = b.post("/console/wards/"+wardID+"/enroll", url.Values{"minutes": {"1440"}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	code = regexp.MustCompile(`id="enroll-code">([A-Z0-9-]+)<`).FindStringSubmatch(r.body)
	require.NotNil(t, code)
	en, err = e.st.ConsumeEnrollment(e.ctx, provisioning.HashSecret(code[1]), "", e.clock.Now().Add(23*time.Hour))
	require.NoError(t, err)
	assert.Empty(t, en.BedID)
	r = b.post("/console/wards/"+wardID+"/enroll", url.Values{"minutes": {"100000"}})
	assert.Equal(t, http.StatusBadRequest, r.status)

	// Admit.
	r = b.post("/console/beds/"+bedID+"/admit", url.Values{"first": {"Maria"}, "language": {"it"}, "visiting": {"09:00-20:00"}, "auto": {"1"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	p, err := e.st.PatientInBed(e.ctx, bedID)
	require.NoError(t, err)
	assert.Equal(t, "Maria", p.FirstName)
	assert.True(t, p.AutoAnswer)
	r = b.post("/console/beds/"+bedID+"/admit", url.Values{"first": {"Luca"}})
	assert.Equal(t, http.StatusConflict, r.status)
	assert.Contains(t, r.body, "already has a patient")

	// A contact with a photo.
	ct, body := multipartForm(t, url.Values{"csrf": {b.csrf}, "name": {"Anna"}, "relation": {"daughter"}, "language": {"en"}},
		"anna.jpg", "image/jpeg", testJPEG(t, 1200, 800))
	r = b.postRaw("/console/patients/"+p.ID+"/contacts", ct, body)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	contactID := idOf(t, r.location)
	k, err := e.st.Contact(e.ctx, contactID)
	require.NoError(t, err)
	// Added to be called: the contact's page shows its family link at once.
	r = b.get(r.location)
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `id="link-url" value="`+e.srv.URL+"/j/")
	firstLinks, err := e.st.Links(e.ctx, contactID)
	require.NoError(t, err)
	require.Len(t, firstLinks, 1)
	require.NotEmpty(t, k.PhotoHash)
	ctype, data, err := e.st.Photo(e.ctx, k.PhotoHash)
	require.NoError(t, err)
	assert.Equal(t, "image/jpeg", ctype)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(data))
	require.NoError(t, err)
	assert.Equal(t, 512, cfg.Width)
	assert.Equal(t, 341, cfg.Height)
	r = b.get("/console/contacts/" + contactID + "/photo")
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, data, []byte(r.body))

	// A family link, shown once, stored hashed, with a message in the contact's language.
	r = b.post("/console/contacts/"+contactID+"/links", url.Values{"days": {"7"}, "replace": {"1"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	shown := r.location
	r = b.get(shown)
	require.Equal(t, http.StatusOK, r.status, r.body)
	m := regexp.MustCompile(`id="link-url" value="([^"]+)"`).FindStringSubmatch(r.body)
	require.NotNil(t, m)
	link := m[1]
	assert.True(t, strings.HasPrefix(link, e.srv.URL+"/j/"), link)
	token := link[strings.LastIndex(link, "/")+1:]
	sum := sha256.Sum256([]byte(token))
	l, err := e.st.LinkByToken(e.ctx, sum[:])
	require.NoError(t, err)
	assert.Equal(t, contactID, l.ContactID)
	assert.Contains(t, r.body, "Hello Anna")
	r = b.get("/console/contacts/" + contactID)
	assert.NotContains(t, r.body, token, "the token is never shown again")
	// Reloading the page that shows it shows the same link, and makes or stops no other.
	before, err := e.st.Links(e.ctx, contactID)
	require.NoError(t, err)
	r = b.get(shown)
	assert.Contains(t, r.body, token)
	after, err := e.st.Links(e.ctx, contactID)
	require.NoError(t, err)
	assert.Equal(t, before, after, "a reload makes or stops no link")
	l0, err := e.st.LinkByToken(e.ctx, sum[:])
	require.NoError(t, err)
	assert.True(t, l0.Revoked.IsZero(), "the link just made still works")

	// Revoke it.
	r = b.post("/console/contacts/"+contactID+"/links/"+l.ID+"/revoke", nil)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	l, err = e.st.LinkByToken(e.ctx, sum[:])
	require.NoError(t, err)
	assert.False(t, l.Revoked.IsZero())

	// Transfer to bed 14 and back needs a free bed; then discharge from the right bed only.
	r = b.post("/console/patients/"+p.ID+"/transfer", url.Values{"from": {bedID}, "bed": {bed2}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	_, err = e.st.PatientInBed(e.ctx, bed2)
	require.NoError(t, err)

	r = b.get("/console/patients/" + p.ID + "/discharge?bed=" + bed2)
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, "Discharge Maria from Cardiology, bed 14?")
	r = b.post("/console/patients/"+p.ID+"/discharge", url.Values{"bed": {bedID}})
	assert.Equal(t, http.StatusConflict, r.status, "the old bed is not where she is")
	r = b.post("/console/patients/"+p.ID+"/discharge", url.Values{"bed": {bed2}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	p, err = e.st.Patient(e.ctx, p.ID)
	require.NoError(t, err)
	assert.False(t, p.Discharged.IsZero())
	assert.Contains(t, e.hub.told(), "config "+bed2)

	// The audit log names every action.
	r = b.get("/console/audit")
	require.Equal(t, http.StatusOK, r.status)
	for _, s := range []string{"created a ward", "admitted a patient", "discharged a patient", "made a family link", "revoked a family link"} {
		assert.Contains(t, r.body, s)
	}

	// The style sheet, script and icon, and nothing else of the templates' directory.
	for path, status := range map[string]int{"console.css": 200, "console.js": 200, "bedside.svg": 200, "layout.html": 404, "nope.css": 404} {
		r = b.get("/console/static/" + path)
		assert.Equal(t, status, r.status, path)
	}

	// Italian.
	r = b.get("/console/lang?l=it&next=/console/audit")
	require.Equal(t, http.StatusSeeOther, r.status)
	r = b.get("/console/audit")
	assert.Contains(t, r.body, "ha dimesso un paziente")
}

func TestPairingRequestApproval(t *testing.T) {
	e := newEnv(t, nil)
	w, err := e.st.CreateWard(e.ctx, store.Ward{Name: "Ward 3"})
	require.NoError(t, err)
	bed, err := e.st.CreateBed(e.ctx, store.Bed{WardID: w.ID, Name: "12"})
	require.NoError(t, err)
	pw := e.user(t, "nurse", store.RoleNurse, w.ID)
	b := e.browser(t)

	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	fp := provisioning.KeyFingerprint(pub)
	_, code, err := provisioning.NewEnrollmentSecrets(rand.Reader)
	require.NoError(t, err)
	u, err := url.Parse(provisioning.PairingRequestURL(e.srv.URL, code, fp))
	require.NoError(t, err)

	// Logged out: the login page, which comes back here afterwards.
	r := b.get(u.RequestURI())
	require.Equal(t, http.StatusSeeOther, r.status)
	assert.Contains(t, r.location, "/console/login?next=")
	b.get(r.location)
	r = b.post("/console/login", url.Values{"name": {"nurse"}, "password": {pw}, "next": {u.RequestURI()}})
	require.Equal(t, http.StatusSeeOther, r.status)
	assert.Equal(t, u.RequestURI(), r.location)

	r = b.get(u.RequestURI())
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, provisioning.FormatCode(code))
	r = b.post("/console/pair", url.Values{"c": {code}, "f": {fp}, "target": {"bed:" + bed.ID}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	assert.Contains(t, r.body, `id="pair-done"`)

	// The tablet's own code now enrolls it to the bed, once, and only with the approved key.
	_, err = e.st.ConsumeEnrollment(e.ctx, provisioning.HashSecret(code), "AAAA-AAAA-AAAA-AAAA", e.clock.Now())
	require.ErrorIs(t, err, store.ErrNotFound, "another key cannot use the approved code")
	en, err := e.st.ConsumeEnrollment(e.ctx, provisioning.HashSecret(code), fp, e.clock.Now())
	require.NoError(t, err)
	assert.Equal(t, bed.ID, en.BedID)
	assert.Equal(t, w.ID, en.WardID)

	r = b.get("/console/pair?c=bad&f=" + fp)
	assert.Equal(t, http.StatusBadRequest, r.status)
}
