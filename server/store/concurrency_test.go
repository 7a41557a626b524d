package store_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/server/store"
)

// Links made while the patient is being discharged are either refused or revoked with the
// others: a discharged patient never keeps a working family link.
func (su suite) TestDischargeRacesNewLinks(t *testing.T) {
	f := su.newFixture(t)
	p := f.patient(t)
	c := f.contact(t, p.ID, "Bob")
	const n = 12
	var wg sync.WaitGroup
	errs := make([]error, n+1)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = f.s.CreateLink(f.ctx, store.Link{ContactID: c.ID, TokenHash: hash(fmt.Sprint("link", i)), Expires: t0.Add(time.Hour)})
		}()
		if i == n/2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[n] = f.s.Discharge(f.ctx, p.ID, t0.Add(time.Minute))
			}()
		}
	}
	wg.Wait()
	require.NoError(t, errs[n], "the discharge")
	for _, err := range errs[:n] {
		if err != nil {
			assert.ErrorIs(t, err, store.ErrConflict, "a link for a discharged patient is refused")
		}
	}
	links, err := f.s.Links(f.ctx, c.ID)
	require.NoError(t, err)
	for _, l := range links {
		assert.False(t, l.Revoked.IsZero(), "link %s still works after the discharge", l.ID)
	}
}

// Times given in any zone come back as the same instant in UTC, to the millisecond, whatever
// the database's own zone (the test PostgreSQL runs in Pacific/Chatham).
func (su suite) TestTimesKeepTheirInstant(t *testing.T) {
	f := su.newFixture(t)
	_, b := f.bed(t)
	zone := time.FixedZone("UTC-9:30", -(9*3600 + 1800))
	admitted := time.Date(2026, 3, 29, 1, 59, 59, 999_999_999, zone) // sub-millisecond digits go
	p, err := f.s.Admit(f.ctx, store.Patient{BedID: b.ID, FirstName: "Ada", Admitted: admitted})
	require.NoError(t, err)
	got, err := f.s.Patient(f.ctx, p.ID)
	require.NoError(t, err)
	assert.Equal(t, ms(admitted), got.Admitted)
	assert.Equal(t, time.UTC, got.Admitted.Location())
	assert.True(t, got.Admitted.Equal(admitted.Truncate(time.Millisecond)))

	started := time.Date(1999, 12, 31, 23, 59, 59, 1_500_000, time.FixedZone("CET", 3600))
	call, err := f.s.LogCall(f.ctx, store.CallRecord{PatientID: p.ID, Direction: store.FromPatient,
		Started: started, Ended: started.Add(90 * time.Second), Reason: "hangup", SetupMS: 120})
	require.NoError(t, err)
	calls, err := f.s.Calls(f.ctx, p.ID, 1)
	require.NoError(t, err)
	require.Len(t, calls, 1)
	assert.Equal(t, call, calls[0])
	assert.Equal(t, ms(started), calls[0].Started)
	assert.True(t, calls[0].Answered.IsZero(), "never answered stays zero")
}
