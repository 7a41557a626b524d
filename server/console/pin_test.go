package console_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/url"
	"testing"

	"bedside/provisioning"
	"bedside/server/console"
	"bedside/server/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNursePIN(t *testing.T) {
	var logs bytes.Buffer
	e := newEnv(t, func(c *console.Config) { c.Logger = slog.New(slog.NewTextHandler(&logs, nil)) })
	a := e.wardSet(t, "Ward A", "Alice", "Arturo")
	bw := e.wardSet(t, "Ward B", "Bianca", "Bruno")
	pw := e.user(t, "nurse-a", store.RoleNurse, a.ward.ID)
	nurse := e.browser(t)
	nurse.login("nurse-a", pw)
	path := "/console/wards/" + a.ward.ID + "/pin"

	r := nurse.get("/console/wards/" + a.ward.ID)
	require.Equal(t, http.StatusOK, r.status)
	assert.Contains(t, r.body, "No nurse PIN yet")
	assert.Contains(t, r.body, `action="`+path+`"`)

	// Bad PINs are refused with a message, and change nothing.
	for _, form := range []url.Values{
		{"pin": {"123"}, "repeat": {"123"}},
		{"pin": {"1234"}, "repeat": {"1234"}}, // 4 and 5 digits were enough before: no more
		{"pin": {"24680"}, "repeat": {"24680"}},
		{"pin": {"1234567890123"}, "repeat": {"1234567890123"}},
		{"pin": {"12a4"}, "repeat": {"12a4"}},
		{"pin": {"１２３４"}, "repeat": {"１２３４"}}, // full-width digits
		{"pin": {" 1234"}, "repeat": {" 1234"}},
		{"pin": {""}},
		{"pin": {"246802"}, "repeat": {"246801"}},
	} {
		r := nurse.post(path, form)
		assert.Equal(t, http.StatusBadRequest, r.status, form)
		assert.Regexp(t, "A PIN has 6 to 12 digits|The two PINs differ", r.body)
		if pin := form.Get("pin"); pin != "" {
			assert.NotContains(t, r.body, `value="`+pin+`"`, "the PIN is not echoed")
		}
	}
	w, err := e.st.Ward(e.ctx, a.ward.ID)
	require.NoError(t, err)
	assert.Nil(t, w.NursePINHash)
	assert.Empty(t, e.hub.told())

	// A nurse of the ward sets it: stored as the tablets' argon2id hash, audited, pushed to the
	// ward's tablets.
	r = nurse.post(path, url.Values{"pin": {"246801"}, "repeat": {"246801"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	assert.Equal(t, "/console/wards/"+a.ward.ID+"?ok=pin", r.location)
	w, err = e.st.Ward(e.ctx, a.ward.ID)
	require.NoError(t, err)
	assert.True(t, provisioning.IsNursePINHash(string(w.NursePINHash)), "a hash the tablets accept")
	assert.True(t, checkPIN(t, w.NursePINHash, "246801"))
	assert.False(t, checkPIN(t, w.NursePINHash, "246802"))
	assert.Equal(t, []string{"ward " + a.ward.ID}, e.hub.told())
	log, err := e.st.AuditLog(e.ctx, 1)
	require.NoError(t, err)
	require.Len(t, log, 1)
	assert.Equal(t, "set-nurse-pin", log[0].Action)
	assert.Equal(t, a.ward.ID, log[0].Target)
	r = nurse.get(r.location)
	assert.Contains(t, r.body, "PIN set. The tablets have it now.")
	assert.Contains(t, r.body, "have a nurse PIN")
	assert.Contains(t, nurse.get("/console/audit").body, "set the tablet PIN")

	// Not in another ward.
	r = nurse.post("/console/wards/"+bw.ward.ID+"/pin", url.Values{"pin": {"111111"}, "repeat": {"111111"}})
	assert.Equal(t, http.StatusNotFound, r.status)
	w, err = e.st.Ward(e.ctx, bw.ward.ID)
	require.NoError(t, err)
	assert.Nil(t, w.NursePINHash)

	// An administrator may set any ward's; the new PIN replaces the old.
	apw := e.user(t, "admin", store.RoleAdmin)
	admin := e.browser(t)
	admin.login("admin", apw)
	r = admin.post(path, url.Values{"pin": {"135799753124"}, "repeat": {"135799753124"}})
	require.Equal(t, http.StatusSeeOther, r.status, r.body)
	w, err = e.st.Ward(e.ctx, a.ward.ID)
	require.NoError(t, err)
	assert.True(t, checkPIN(t, w.NursePINHash, "135799753124"))

	for _, pin := range []string{"246801", "135799753124"} {
		assert.NotContains(t, logs.String(), pin)
	}
	assert.NotContains(t, logs.String(), string(w.NursePINHash))
}

// TestOlderPINHashIsNotSet: a PIN set before the tablets took argon2id (a bcrypt hash) is not
// one they accept: the ward's page says that no PIN is set, so that a nurse sets one again.
func TestOlderPINHashIsNotSet(t *testing.T) {
	e := newEnv(t, nil)
	a := e.wardSet(t, "Ward A", "Alice", "Arturo")
	require.NoError(t, e.st.SetNursePIN(e.ctx, a.ward.ID, []byte("$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy")))
	pw := e.user(t, "nurse-a", store.RoleNurse, a.ward.ID)
	nurse := e.browser(t)
	nurse.login("nurse-a", pw)
	r := nurse.get("/console/wards/" + a.ward.ID)
	assert.Contains(t, r.body, "No nurse PIN yet (one set before this version no longer counts)")
	assert.NotContains(t, r.body, "have a nurse PIN")
}

func checkPIN(t *testing.T, hash []byte, pin string) bool {
	t.Helper()
	ok, err := provisioning.CheckNursePIN(string(hash), pin)
	require.NoError(t, err)
	return ok
}

func TestTabletStatusShown(t *testing.T) {
	e := newEnv(t, nil)
	a := e.wardSet(t, "Ward A", "Alice", "Arturo")
	pw := e.user(t, "nurse-a", store.RoleNurse, a.ward.ID)
	b := e.browser(t)
	b.login("nurse-a", pw)

	r := b.get("/console/wards/" + a.ward.ID)
	require.Equal(t, http.StatusOK, r.status)
	assert.NotContains(t, r.body, "%</td>", "battery unknown")

	require.NoError(t, e.st.UpdateDeviceStatus(e.ctx, a.device.ID, 42, "1.7.3", e.clock.Now()))
	r = b.get("/console/wards/" + a.ward.ID)
	assert.Contains(t, r.body, "<td>42%</td>")
	assert.Contains(t, r.body, "<td>1.7.3</td>")
}
