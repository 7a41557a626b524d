package console_test

import (
	"crypto/sha256"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

// audited reports whether the audit log has action on target.
func (e *env) audited(t *testing.T, action, target string) bool {
	t.Helper()
	log, err := e.st.AuditLog(e.ctx, 0)
	require.NoError(t, err)
	for _, a := range log {
		if a.Action == action && a.Target == target {
			return true
		}
	}
	return false
}

func TestGroupCallSettings(t *testing.T) {
	e := newEnv(t, nil)
	s := e.wardSet(t, "Ward A", "Alice", "Arturo")
	b := e.browser(t)
	b.login("head", e.user(t, "head", store.RoleAdmin))

	// Both allowed by default, and the forms say so.
	page := b.get("/console/beds/" + s.bed.ID)
	require.Equal(t, http.StatusOK, page.status)
	require.Regexp(t, `id="group-calls" value="1" checked`, page.body)
	page = b.get("/console/beds/" + s.freeBed.ID)
	require.Regexp(t, `id="group-calls" value="1" checked`, page.body, "the admit form allows them")
	page = b.get("/console/contacts/" + s.contact.ID)
	require.Regexp(t, `id="may-join" value="1" checked`, page.body)

	// The nurse turns group calls off for the patient.
	r := b.post("/console/patients/"+s.patient.ID, url.Values{"first": {"Alice"}, "language": {"en"}, "groupform": {"1"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	p, err := e.st.Patient(e.ctx, s.patient.ID)
	require.NoError(t, err)
	require.True(t, p.GroupCallsOff)
	require.True(t, e.audited(t, "group-calls-off", s.patient.ID))
	require.Contains(t, e.hub.told(), "config "+s.bed.ID)
	// A form that does not show the box (an older page) leaves the setting alone.
	r = b.post("/console/patients/"+s.patient.ID, url.Values{"first": {"Alice"}, "language": {"en"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	p, err = e.st.Patient(e.ctx, s.patient.ID)
	require.NoError(t, err)
	require.True(t, p.GroupCallsOff)
	r = b.post("/console/patients/"+s.patient.ID, url.Values{"first": {"Alice"}, "language": {"en"}, "groupform": {"1"}, "group": {"1"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	require.True(t, e.audited(t, "group-calls-on", s.patient.ID))

	// The contact may not join calls others started.
	r = b.post("/console/contacts/"+s.contact.ID, url.Values{"name": {"Arturo"}, "joinform": {"1"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	k, err := e.st.Contact(e.ctx, s.contact.ID)
	require.NoError(t, err)
	require.True(t, k.JoinOff)
	require.True(t, e.audited(t, "may-join-off", s.contact.ID))
	page = b.get("/console/contacts/" + s.contact.ID)
	require.NotRegexp(t, `id="may-join" value="1" checked`, page.body)

	// A contact added with the box ticked may join.
	r = b.post("/console/patients/"+s.patient.ID+"/contacts", url.Values{"name": {"Bea"}, "joinform": {"1"}, "join": {"1"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	added, err := e.st.Contact(e.ctx, idOf(t, r.location))
	require.NoError(t, err)
	require.False(t, added.JoinOff)
}

var guestURLRE = regexp.MustCompile(`id="guest-url" value="([^"]+)"`)

func TestGuestLinks(t *testing.T) {
	e := newEnv(t, nil)
	s := e.wardSet(t, "Ward A", "Alice", "Arturo")
	b := e.browser(t)
	b.login("head", e.user(t, "head", store.RoleAdmin))
	b.get("/console/beds/" + s.bed.ID)

	r := b.post("/console/patients/"+s.patient.ID+"/guests", url.Values{"guestname": {"Olga"}, "guestrole": {"Chaplain"}, "hours": {"4"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	require.True(t, strings.HasPrefix(r.location, "/console/beds/"+s.bed.ID+"?guest="), r.location)
	page := b.get(r.location)
	m := guestURLRE.FindStringSubmatch(page.body)
	require.NotNil(t, m, "the new link is shown")
	token := m[1][strings.LastIndex(m[1], "/j/")+3:]
	sum := sha256.Sum256([]byte(token))
	g, err := e.st.GuestLinkByToken(e.ctx, sum[:])
	require.NoError(t, err)
	require.Equal(t, "Olga", g.Name)
	require.Equal(t, "Chaplain", g.Role)
	require.Equal(t, 4*time.Hour, g.Expires.Sub(g.Created))
	require.True(t, e.audited(t, "create-guest-link", g.ID))
	require.Contains(t, page.body, `data-guest="Olga"`)
	// Shown once: the page without the redirect's id does not show it.
	require.NotRegexp(t, guestURLRE, b.get("/console/beds/"+s.bed.ID).body)

	// Refused: no name, too many hours, group calls off.
	r = b.post("/console/patients/"+s.patient.ID+"/guests", url.Values{"guestname": {" "}})
	require.Equal(t, http.StatusBadRequest, r.status)
	r = b.post("/console/patients/"+s.patient.ID+"/guests", url.Values{"guestname": {"X"}, "hours": {"13"}})
	require.Equal(t, http.StatusBadRequest, r.status)
	p := s.patient
	p.GroupCallsOff = true
	require.NoError(t, e.st.UpdatePatient(e.ctx, p))
	r = b.post("/console/patients/"+s.patient.ID+"/guests", url.Values{"guestname": {"X"}})
	require.Equal(t, http.StatusConflict, r.status)
	require.Contains(t, r.body, `id="guest-groupoff"`)

	// Revoked: the store says so, the live side drops the page, the audit log has it.
	r = b.post("/console/patients/"+s.patient.ID+"/guests/"+g.ID+"/revoke", nil)
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	g, err = e.st.GuestLink(e.ctx, g.ID)
	require.NoError(t, err)
	require.False(t, g.Revoked.IsZero())
	require.Contains(t, e.hub.told(), "guest "+g.ID)
	require.True(t, e.audited(t, "revoke-guest-link", g.ID))
}

func TestCallLogShowsParticipants(t *testing.T) {
	e := newEnv(t, nil)
	s := e.wardSet(t, "Ward A", "Alice", "Arturo")
	b := e.browser(t)
	b.login("head", e.user(t, "head", store.RoleAdmin))
	now := e.clock.Now()
	_, err := e.st.LogCall(e.ctx, store.CallRecord{PatientID: s.patient.ID, ContactID: s.contact.ID, DeviceID: s.device.ID,
		Direction: store.FromPatient, Started: now, Answered: now, Ended: now.Add(time.Minute), Reason: "hangup",
		Participants: []store.CallParticipant{
			{ID: "device", Kind: store.KindDevice, Joined: now, Left: now.Add(time.Minute), Reason: "hangup"},
			{ID: s.contact.ID, Kind: store.KindFamily, Joined: now, Left: now.Add(time.Minute), Reason: "hangup"},
			{ID: s.guest.ID, Kind: store.KindGuest, Joined: now, Left: now.Add(30 * time.Second), Reason: "failed"},
		}})
	require.NoError(t, err)
	page := b.get("/console/beds/" + s.bed.ID)
	require.Equal(t, http.StatusOK, page.status)
	require.Contains(t, page.body, `<span data-participant="device">Alice (tablet): ended</span>`)
	require.Contains(t, page.body, `<span data-participant="family">Arturo: ended</span>`)
	require.Contains(t, page.body, `<span data-participant="guest">Ines (Guest · Interpreter): failed</span>`)
}
