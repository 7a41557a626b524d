package console_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

// A discharge says what is true of the bed's tablet: wiped now when it is online; when it is
// offline, wiped as soon as it connects, and the page says when that happened.
func TestDischargeSaysWhatTheTabletDid(t *testing.T) {
	e := newEnv(t, nil)
	pw := e.user(t, "admin", store.RoleAdmin)
	b := e.browser(t)
	b.login("admin", pw)
	w, err := e.st.CreateWard(e.ctx, store.Ward{Name: "Cardiology"})
	require.NoError(t, err)
	admit := func(bedName string, withTablet, online bool) (store.Bed, store.Patient, store.Device) {
		bed, err := e.st.CreateBed(e.ctx, store.Bed{WardID: w.ID, Name: bedName})
		require.NoError(t, err)
		p, err := e.st.Admit(e.ctx, store.Patient{BedID: bed.ID, FirstName: "Maria", Language: "en", Admitted: e.clock.Now()})
		require.NoError(t, err)
		var d store.Device
		if withTablet {
			d, err = e.st.CreateDevice(e.ctx, store.Device{WardID: w.ID, BedID: bed.ID, PublicKey: []byte(strings.Repeat(bedName, 32)), Name: "Tab " + bedName, Created: e.clock.Now()})
			require.NoError(t, err)
			require.NoError(t, e.st.TouchDevice(e.ctx, d.ID, e.clock.Now()))
			e.hub.mu.Lock()
			e.hub.online[d.ID] = online
			e.hub.mu.Unlock()
		}
		return bed, p, d
	}
	discharge := func(bed store.Bed, p store.Patient) response {
		e.clock.Add(time.Minute)
		r := b.post("/console/patients/"+p.ID+"/discharge", url.Values{"bed": {bed.ID}})
		require.Equal(t, http.StatusSeeOther, r.status, r.body)
		return b.get(r.location)
	}

	bed, p, _ := admit("1", true, true)
	r := discharge(bed, p)
	assert.Contains(t, r.body, "Patient discharged. The tablet is being wiped.")
	assert.NotContains(t, r.body, `id="wipe-state"`)

	bed, p, _ = admit("2", false, false)
	assert.Contains(t, discharge(bed, p).body, "Patient discharged. The bed has no tablet.")

	bed, p, d := admit("3", true, false)
	e.clock.Add(time.Minute)
	r0 := b.post("/console/patients/"+p.ID+"/discharge", url.Values{"bed": {bed.ID}})
	require.Equal(t, http.StatusSeeOther, r0.status)
	r = b.get(r0.location)
	assert.Contains(t, r.body, "Patient discharged. The tablet is offline: it will be wiped as soon as it connects.")
	assert.NotContains(t, r.body, "being wiped")
	assert.Contains(t, r.body, "The tablet has not connected since the discharge")
	// It connects: the same page now says it was wiped.
	e.clock.Add(time.Minute)
	require.NoError(t, e.st.TouchDevice(e.ctx, d.ID, e.clock.Now()))
	r = b.get(r0.location)
	assert.Contains(t, r.body, "The tablet connected at")
	assert.Contains(t, r.body, "and was wiped.")
}
