package console_test

import (
	"net/http"
	"net/url"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

var oneTimeRE = regexp.MustCompile(`id="one-time-password">([a-z0-9-]+)<`)

func TestStaffScreen(t *testing.T) {
	e := newEnv(t, nil)
	a := e.wardSet(t, "Ward A", "Alice", "Arturo")
	bw := e.wardSet(t, "Ward B", "Bianca", "Bruno")
	pw := e.user(t, "admin", store.RoleAdmin)
	admin := e.browser(t)
	admin.login("admin", pw)

	r := admin.get("/console/staff")
	require.Equal(t, http.StatusOK, r.status)

	// A new nurse for ward A, with a one-time password shown once.
	r = admin.post("/console/staff", url.Values{"name": {"giulia"}, "role": {"nurse"}, "ward": {a.ward.ID}})
	require.Equal(t, http.StatusOK, r.status, r.body)
	m := oneTimeRE.FindStringSubmatch(r.body)
	require.NotNil(t, m)
	nurse := e.browser(t)
	nurse.login("giulia", m[1])
	assert.Equal(t, http.StatusNotFound, nurse.get("/console/wards/"+bw.ward.ID).status)

	// Refusals keep the form.
	for _, form := range []url.Values{
		{"name": {"Giulia"}, "role": {"nurse"}, "ward": {a.ward.ID}}, // taken
		{"name": {"luca"}, "role": {"nurse"}},                        // no ward
		{"name": {"luca bianchi"}, "role": {"admin"}},                // bad name
		{"name": {"luca"}, "role": {"doctor"}},                       // bad role
		{"name": {"luca"}, "role": {"nurse"}, "ward": {"nope"}},      // no such ward
	} {
		r = admin.post("/console/staff", form)
		assert.GreaterOrEqual(t, r.status, 400, form)
		assert.Contains(t, r.body, `id="error"`)
	}

	// She moves to ward B.
	s, err := e.st.StaffByName(e.ctx, "giulia")
	require.NoError(t, err)
	r = admin.post("/console/staff/"+s.ID, url.Values{"role": {"nurse"}, "ward": {bw.ward.ID}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, http.StatusOK, nurse.get("/console/wards/"+bw.ward.ID).status)
	assert.Equal(t, http.StatusNotFound, nurse.get("/console/wards/"+a.ward.ID).status)

	// A forgotten password: a new one, and her sessions end.
	r = admin.post("/console/staff/"+s.ID+"/reset", nil)
	require.Equal(t, http.StatusOK, r.status)
	m2 := oneTimeRE.FindStringSubmatch(r.body)
	require.NotNil(t, m2)
	assert.NotEqual(t, m[1], m2[1])
	assert.Equal(t, http.StatusSeeOther, nurse.get("/console/").status)
	nurse.login("giulia", m2[1])

	// Nobody changes her own account here, and a nurse has no staff screen.
	me, err := e.st.StaffByName(e.ctx, "admin")
	require.NoError(t, err)
	r = admin.post("/console/staff/"+me.ID, url.Values{"role": {"nurse"}, "ward": {a.ward.ID}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	r = admin.post("/console/staff/"+me.ID+"/reset", nil)
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, http.StatusForbidden, nurse.get("/console/staff").status)
	assert.Equal(t, http.StatusForbidden, nurse.post("/console/staff", url.Values{"name": {"x"}, "role": {"admin"}}).status)
	assert.Equal(t, http.StatusForbidden, nurse.post("/console/staff/"+me.ID+"/reset", nil).status)
	assert.Equal(t, http.StatusForbidden, nurse.post("/console/staff/"+me.ID, url.Values{"role": {"nurse"}, "ward": {bw.ward.ID}}).status)
	me2, err := e.st.StaffByName(e.ctx, "admin")
	require.NoError(t, err)
	assert.Equal(t, me.PasswordHash, me2.PasswordHash)
	assert.Equal(t, store.RoleAdmin, me2.Role)
}
