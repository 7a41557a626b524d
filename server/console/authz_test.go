package console_test

import (
	"crypto/ed25519"
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/provisioning"
	"bedside/server/store"
)

// wardSet is one ward with everything in it.
type wardSet struct {
	ward             store.Ward
	bed, freeBed     store.Bed
	patient          store.Patient
	contact          store.Contact
	link             store.Link
	device           store.Device
	guest            store.GuestLink
	photo, linkToken string
}

func (e *env) wardSet(t *testing.T, name, patient, contact string) wardSet {
	t.Helper()
	var s wardSet
	var err error
	s.ward, err = e.st.CreateWard(e.ctx, store.Ward{Name: name})
	require.NoError(t, err)
	s.bed, err = e.st.CreateBed(e.ctx, store.Bed{WardID: s.ward.ID, Name: "1"})
	require.NoError(t, err)
	s.freeBed, err = e.st.CreateBed(e.ctx, store.Bed{WardID: s.ward.ID, Name: "2"})
	require.NoError(t, err)
	s.patient, err = e.st.Admit(e.ctx, store.Patient{BedID: s.bed.ID, FirstName: patient, Language: "en"})
	require.NoError(t, err)
	jpg := testJPEG(t, 64, 64)
	sum := sha256.Sum256(jpg)
	s.photo = hexString(sum[:])
	require.NoError(t, e.st.PutPhoto(e.ctx, s.photo, "image/jpeg", jpg))
	s.contact, err = e.st.CreateContact(e.ctx, store.Contact{PatientID: s.patient.ID, Name: contact, Relation: "son", PhotoHash: s.photo})
	require.NoError(t, err)
	s.linkToken = name + "-token"
	th := sha256.Sum256([]byte(s.linkToken))
	s.link, err = e.st.CreateLink(e.ctx, store.Link{ContactID: s.contact.ID, TokenHash: th[:], Expires: e.clock.Now().Add(time.Hour)})
	require.NoError(t, err)
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	s.device, err = e.st.CreateDevice(e.ctx, store.Device{WardID: s.ward.ID, BedID: s.bed.ID, PublicKey: pub, Name: name + " tablet", Battery: -1})
	require.NoError(t, err)
	gh := sha256.Sum256([]byte(name + "-guest"))
	s.guest, err = e.st.CreateGuestLink(e.ctx, store.GuestLink{PatientID: s.patient.ID, TokenHash: gh[:], Name: "Ines",
		Role: "Interpreter", Expires: e.clock.Now().Add(time.Hour)})
	require.NoError(t, err)
	return s
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// untouched checks that nothing of the ward set was changed.
func (e *env) untouched(t *testing.T, s wardSet) {
	t.Helper()
	p, err := e.st.PatientInBed(e.ctx, s.bed.ID)
	require.NoError(t, err, "patient still in the bed")
	assert.Equal(t, s.patient, p)
	_, err = e.st.PatientInBed(e.ctx, s.freeBed.ID)
	assert.ErrorIs(t, err, store.ErrNotFound, "free bed still free")
	k, err := e.st.Contact(e.ctx, s.contact.ID)
	require.NoError(t, err)
	assert.Equal(t, s.contact, k)
	links, err := e.st.Links(e.ctx, s.contact.ID)
	require.NoError(t, err)
	require.Len(t, links, 1)
	assert.True(t, links[0].Revoked.IsZero(), "link not revoked")
	d, err := e.st.Device(e.ctx, s.device.ID)
	require.NoError(t, err)
	assert.False(t, d.Revoked, "device not revoked")
	beds, err := e.st.Beds(e.ctx, s.ward.ID)
	require.NoError(t, err)
	assert.Len(t, beds, 2, "no bed added")
	w, err := e.st.Ward(e.ctx, s.ward.ID)
	require.NoError(t, err)
	assert.Nil(t, w.NursePINHash, "no nurse PIN set")
	gs, err := e.st.GuestLinks(e.ctx, s.patient.ID)
	require.NoError(t, err)
	require.Len(t, gs, 1, "no guest link made")
	assert.True(t, gs[0].Revoked.IsZero(), "guest link not revoked")
}

type endpoint struct {
	method, path string
	form         url.Values
}

// endpoints lists every console endpoint that names something, aimed at set s (from the
// point of view of someone working in ward a).
func endpoints(a, s wardSet, code string) []endpoint {
	fp := provisioning.KeyFingerprint(make([]byte, 32))
	return []endpoint{
		{"GET", "/console/wards/" + s.ward.ID, nil},
		{"POST", "/console/wards/" + s.ward.ID + "/beds", url.Values{"name": {"9"}}},
		{"POST", "/console/wards/" + s.ward.ID + "/enroll", url.Values{"bed": {s.bed.ID}}},
		{"POST", "/console/wards/" + a.ward.ID + "/enroll", url.Values{"bed": {s.bed.ID}}},
		{"POST", "/console/wards/" + s.ward.ID + "/pin", url.Values{"pin": {"1234"}, "repeat": {"1234"}}},
		{"POST", "/console/devices/" + s.device.ID + "/revoke", nil},
		{"POST", "/console/pair", url.Values{"c": {code}, "f": {fp}, "target": {"bed:" + s.freeBed.ID}}},
		{"POST", "/console/pair", url.Values{"c": {code}, "f": {fp}, "target": {"ward:" + s.ward.ID}}},
		{"GET", "/console/beds/" + s.bed.ID, nil},
		{"POST", "/console/beds/" + s.freeBed.ID + "/admit", url.Values{"first": {"Eve"}}},
		{"POST", "/console/patients/" + s.patient.ID, url.Values{"first": {"Eve"}}},
		{"POST", "/console/patients/" + s.patient.ID + "/transfer", url.Values{"from": {s.bed.ID}, "bed": {s.freeBed.ID}}},
		{"POST", "/console/patients/" + a.patient.ID + "/transfer", url.Values{"from": {a.bed.ID}, "bed": {s.freeBed.ID}}},
		{"GET", "/console/patients/" + s.patient.ID + "/discharge", nil},
		{"POST", "/console/patients/" + s.patient.ID + "/discharge", url.Values{"bed": {s.bed.ID}}},
		{"POST", "/console/patients/" + s.patient.ID + "/contacts", url.Values{"name": {"Eve"}}},
		{"GET", "/console/contacts/" + s.contact.ID, nil},
		{"POST", "/console/contacts/" + s.contact.ID, url.Values{"name": {"Eve"}}},
		{"GET", "/console/contacts/" + s.contact.ID + "/photo", nil},
		{"POST", "/console/contacts/" + s.contact.ID + "/delete", nil},
		{"POST", "/console/contacts/" + s.contact.ID + "/links", url.Values{"days": {"7"}, "replace": {"1"}}},
		{"POST", "/console/contacts/" + s.contact.ID + "/links/" + s.link.ID + "/revoke", nil},
		{"POST", "/console/contacts/" + a.contact.ID + "/links/" + s.link.ID + "/revoke", nil},
		{"POST", "/console/patients/" + s.patient.ID + "/guests", url.Values{"guestname": {"Eve"}, "hours": {"3"}}},
		{"POST", "/console/patients/" + s.patient.ID + "/guests/" + s.guest.ID + "/revoke", nil},
		{"POST", "/console/patients/" + a.patient.ID + "/guests/" + s.guest.ID + "/revoke", nil},
	}
}

func (b *browser) send(ep endpoint) response {
	b.t.Helper()
	if ep.method == "GET" {
		return b.get(ep.path)
	}
	form := url.Values{}
	for k, v := range ep.form {
		form[k] = v
	}
	return b.post(ep.path, form)
}

func TestNurseSeesOnlyHerWards(t *testing.T) {
	e := newEnv(t, nil)
	a := e.wardSet(t, "Ward A", "Alice", "Arturo")
	bw := e.wardSet(t, "Ward B", "Bianca", "Bruno")
	pw := e.user(t, "nurse-a", store.RoleNurse, a.ward.ID)
	nurse := e.browser(t)
	nurse.login("nurse-a", pw)
	_, code, err := provisioning.NewEnrollmentSecrets(strings.NewReader(strings.Repeat("k", 64)))
	require.NoError(t, err)

	for _, ep := range endpoints(a, bw, code) {
		t.Run(ep.method+" "+ep.path, func(t *testing.T) {
			r := nurse.send(ep)
			assert.Equal(t, http.StatusNotFound, r.status)
			for _, secret := range []string{"Ward B", "Bianca", "Bruno", bw.linkToken} {
				assert.NotContains(t, r.body, secret)
			}
		})
	}
	e.untouched(t, bw)
	_, err = e.st.ConsumeEnrollment(e.ctx, provisioning.HashSecret(code), "", e.clock.Now())
	assert.ErrorIs(t, err, store.ErrNotFound, "no pairing approved into ward B")

	// Her own ward answers, and the lists name nothing of ward B.
	for _, path := range []string{"/console/", "/console/wards/" + a.ward.ID, "/console/beds/" + a.bed.ID,
		"/console/contacts/" + a.contact.ID, "/console/patients/" + a.patient.ID + "/discharge", "/console/audit",
		"/console/pair?c=" + code + "&f=" + provisioning.KeyFingerprint(make([]byte, 32))} {
		r := nurse.get(path)
		assert.Equal(t, http.StatusOK, r.status, path)
		if path != "/console/audit" {
			assert.Contains(t, r.body, "Ward A", path)
		}
		assert.NotContains(t, r.body, "Ward B", path)
		assert.NotContains(t, r.body, bw.freeBed.ID, path)
	}

	// Wards and beds are an administrator's.
	r := nurse.post("/console/wards", url.Values{"name": {"Ward C"}})
	assert.Equal(t, http.StatusForbidden, r.status)
	r = nurse.post("/console/wards/"+a.ward.ID+"/beds", url.Values{"name": {"9"}})
	assert.Equal(t, http.StatusForbidden, r.status)
	e.untouched(t, a)

	// An administrator reaches ward B.
	apw := e.user(t, "admin", store.RoleAdmin)
	admin := e.browser(t)
	admin.login("admin", apw)
	for _, path := range []string{"/console/wards/" + bw.ward.ID, "/console/beds/" + bw.bed.ID, "/console/contacts/" + bw.contact.ID} {
		r := admin.get(path)
		assert.Equal(t, http.StatusOK, r.status, path)
	}
}

func TestLoggedOutGoesToLogin(t *testing.T) {
	e := newEnv(t, nil)
	a := e.wardSet(t, "Ward A", "Alice", "Arturo")
	all := append(endpoints(a, a, "ABCDEFGH"),
		endpoint{"GET", "/console/", nil}, endpoint{"GET", "/console/audit", nil},
		endpoint{"GET", "/console/password", nil}, endpoint{"POST", "/console/password", nil},
		endpoint{"POST", "/console/logout", nil}, endpoint{"POST", "/console/wards", url.Values{"name": {"X"}}},
		endpoint{"GET", "/console/pair?c=ABCDEFGH&f=x", nil}, endpoint{"GET", "/console/staff", nil},
		endpoint{"POST", "/console/staff", url.Values{"name": {"x"}, "role": {"admin"}}})
	anon := e.browser(t)
	for _, ep := range all {
		t.Run(ep.method+" "+ep.path, func(t *testing.T) {
			r := anon.send(ep)
			require.Equal(t, http.StatusSeeOther, r.status)
			assert.True(t, strings.HasPrefix(r.location, "/console/login"), r.location)
			if ep.method == "GET" {
				assert.Equal(t, "/console/login?next="+url.QueryEscape(ep.path), r.location)
			}
		})
	}
	e.untouched(t, a)

	// A session ends after its time.
	pw := e.user(t, "nurse", store.RoleNurse, a.ward.ID)
	b := e.browser(t)
	b.login("nurse", pw)
	e.clock.Add(13 * time.Hour)
	r := b.get("/console/")
	assert.Equal(t, http.StatusSeeOther, r.status)

	// And after logging out.
	b.login("nurse", pw)
	r = b.post("/console/logout", nil)
	require.Equal(t, http.StatusSeeOther, r.status)
	r = b.get("/console/")
	assert.Equal(t, http.StatusSeeOther, r.status)
}

func TestChangesNeedTheCSRFToken(t *testing.T) {
	e := newEnv(t, nil)
	a := e.wardSet(t, "Ward A", "Alice", "Arturo")
	pw := e.user(t, "admin", store.RoleAdmin)
	b := e.browser(t)
	b.login("admin", pw)
	var posts []endpoint
	for _, ep := range endpoints(a, a, "ABCDEFGH") {
		if ep.method == "POST" {
			posts = append(posts, ep)
		}
	}
	posts = append(posts, endpoint{"POST", "/console/wards", url.Values{"name": {"X"}}},
		endpoint{"POST", "/console/logout", nil},
		endpoint{"POST", "/console/password", url.Values{"current": {pw}, "new": {"0123456789ab"}, "repeat": {"0123456789ab"}}})
	for _, token := range []string{"", "wrong"} {
		for _, ep := range posts {
			t.Run(token+" "+ep.path, func(t *testing.T) {
				form := url.Values{"csrf": {token}}
				for k, v := range ep.form {
					form[k] = v
				}
				r := b.post(ep.path, form)
				assert.Equal(t, http.StatusForbidden, r.status)
				assert.Contains(t, r.body, "form has expired")
			})
		}
	}
	// A good token from another site is refused too.
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/console/wards", strings.NewReader(url.Values{"csrf": {b.csrf}, "name": {"X"}}.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	r := b.do(req)
	assert.Equal(t, http.StatusForbidden, r.status)
	e.untouched(t, a)
	wards, err := e.st.Wards(e.ctx)
	require.NoError(t, err)
	assert.Len(t, wards, 1)
	r = b.get("/console/")
	assert.Equal(t, http.StatusOK, r.status, "still logged in")
}

// TestLockoutAttemptDoesNotStopTheOwner: someone at the nurse's own address tries her name
// with wrong passwords again and again (five were enough to lock the account for 15 minutes,
// from anywhere). The attempts are slowed and then refused, but she logs in at once from
// the browser she used before; a browser she never used waits out the name's limit.
func TestLockoutAttemptDoesNotStopTheOwner(t *testing.T) {
	e := newEnv(t, nil)
	pw := e.user(t, "nurse", store.RoleAdmin)
	own := e.browser(t)
	own.login("nurse", pw)
	own.post("/console/logout", nil)

	attacker := e.browser(t)
	attacker.get("/console/login")
	statuses := map[int]int{}
	for i := 0; i < 40; i++ {
		r := attacker.post("/console/login", url.Values{"name": {"nurse"}, "password": {fmt.Sprint("guess", i)}})
		statuses[r.status]++
		if i < 3 {
			require.Equal(t, http.StatusUnauthorized, r.status)
			assert.Contains(t, r.body, "Wrong name or password")
		}
		e.clock.Add(30 * time.Second)
	}
	assert.Equal(t, 40, statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests])
	assert.Less(t, statuses[http.StatusUnauthorized], 20, "most guesses are refused unchecked: %v", statuses)
	t.Logf("40 guesses 30 s apart from one address: %d checked, %d refused unchecked", statuses[http.StatusUnauthorized], statuses[http.StatusTooManyRequests])
	r := attacker.post("/console/login", url.Values{"name": {"nurse"}, "password": {pw}})
	require.Equal(t, http.StatusTooManyRequests, r.status, "the attacker's browser gets no more tries")

	// The owner, at the same address, from her known browser: in at once.
	own.login("nurse", pw)
	// A browser she never used has to wait for the name's limit.
	other := e.browser(t)
	other.get("/console/login")
	r = other.post("/console/login", url.Values{"name": {"nurse"}, "password": {pw}})
	require.Equal(t, http.StatusTooManyRequests, r.status)
	e.clock.Add(2 * time.Hour)
	other.login("nurse", pw)

	log, err := e.st.AuditLog(e.ctx, 100)
	require.NoError(t, err)
	var actions []string
	for _, a := range log {
		actions = append(actions, a.Action)
	}
	assert.Contains(t, actions, "login-failed")
	assert.Contains(t, actions, "login")
	assert.NotContains(t, actions, "lockout")
}

// TestUnknownNamesAnswerAlike: a real name and an unknown one get the same answers, failure
// after failure, and leave the same trace: the answers do not tell which names exist.
func TestUnknownNamesAnswerAlike(t *testing.T) {
	run := func(name string) ([]string, int) {
		e := newEnv(t, nil)
		e.user(t, "nurse", store.RoleAdmin)
		b := e.browser(t)
		b.get("/console/login")
		var answers []string
		for i := 0; i < 15; i++ {
			r := b.post("/console/login", url.Values{"name": {name}, "password": {"wrong password"}})
			answers = append(answers, fmt.Sprint(r.status, " ", strings.ReplaceAll(r.body, name, "NAME")))
			e.clock.Add(5 * time.Second)
		}
		log, err := e.st.AuditLog(e.ctx, 100)
		require.NoError(t, err)
		return answers, len(log)
	}
	known, knownAudit := run("nurse")
	unknown, unknownAudit := run("nurze")
	require.Equal(t, known, unknown)
	require.Equal(t, knownAudit, unknownAudit, "the same audit entries")
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t, nil)
	b := e.browser(t)
	// Ten names from one address: each name fails once, the address runs out.
	for i := 0; i < 10; i++ {
		r := b.post("/console/login", url.Values{"name": {fmt.Sprint("nobody", i)}, "password": {"x"}})
		require.Equal(t, http.StatusUnauthorized, r.status)
	}
	r := b.post("/console/login", url.Values{"name": {"nobody"}, "password": {"x"}})
	assert.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Contains(t, r.body, "Too many attempts")
	e.clock.Add(time.Minute)
	r = b.post("/console/login", url.Values{"name": {"nobody"}, "password": {"x"}})
	assert.Equal(t, http.StatusUnauthorized, r.status)
}
