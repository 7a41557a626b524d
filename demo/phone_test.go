package demo

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/app"
	"bedside/provisioning"
)

// TestPhonePlaysAlong: the demo's phone answers what the kiosk asks as a cooperative engine
// does, with the demo's peer.
func TestPhonePlaysAlong(t *testing.T) {
	p := newPhone()
	anna := app.Contact{ID: "anna", Name: "Anna"}
	p.setPeer(anna)
	ctx := context.Background()
	for _, step := range []struct {
		do   func() error
		want app.CallEvent
	}{
		{func() error { return p.Dial(ctx, "anna") }, app.CallEvent{State: app.Ringing, Peer: anna}},
		{func() error { return p.Hangup(ctx) }, app.CallEvent{State: app.Ended, Reason: "hangup", Peer: anna}},
		{func() error { return p.Answer(ctx) }, app.CallEvent{State: app.InCall, Incoming: true, Peer: anna}},
		{func() error { return p.Decline(ctx) }, app.CallEvent{State: app.Ended, Incoming: true, Reason: "declined", Peer: anna}},
	} {
		require.NoError(t, step.do())
		assert.Equal(t, step.want, <-p.Events())
	}
}

func TestPairerAndPIN(t *testing.T) {
	pr := pairer{server: "https://ward3.example:8443"}
	res, err := pr.Pair(context.Background(), demoCode)
	require.NoError(t, err)
	assert.Equal(t, app.Paired{Ward: "Ward 3", Bed: "12"}, res)
	_, err = pr.Pair(context.Background(), "ZZZZ2345")
	assert.ErrorIs(t, err, app.ErrPairInvalid)
	u, err := pr.PairingRequest("ABCD2345")
	require.NoError(t, err)
	assert.Contains(t, u, "https://ward3.example:8443/")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err = pr.PairPayload(ctx, provisioning.Payload{Server: "https://ward3.example:8443", Token: "t"})
	assert.ErrorIs(t, err, context.Canceled, "a scanned code waits (the scan screen at work)")

	assert.True(t, pin{}.Known())
	assert.True(t, pin{}.Check(DemoPIN))
	assert.False(t, pin{}.Check("000000"))
}
