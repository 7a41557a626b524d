package e2e

import (
	"bedside/internal/testkit"
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"bedside/call"
	"bedside/server/store"
)

// The tablet reports its battery and app version when it connects and then every StatusEvery;
// the server keeps them for the nurse console. A family page reports nothing.
func TestTabletReportsStatus(t *testing.T) {
	w := newWard(t)
	battery := 87
	var reports atomic.Int32
	tab := newTablet(t, w, func(c *call.Config) {
		c.Status = func() (int, string) { reports.Add(1); return battery, "1.2.3" }
		c.StatusEvery = 20 * time.Millisecond
	})
	newFamily(t, w, func(c *call.Config) {
		c.Status = func() (int, string) { return 5, "evil" }
	})
	var d store.Device
	testkit.Eventually(t, "the server stores the tablet's status", func() bool {
		devs, err := w.st.Devices(context.Background(), w.demo.WardID)
		if err != nil || len(devs) != 1 {
			return false
		}
		d = devs[0]
		return d.Battery == battery
	})
	assert.Equal(t, "1.2.3", d.AppVersion)
	testkit.Eventually(t, "the tablet reports again and again", func() bool { return reports.Load() >= 3 })
	assert.True(t, tab.phone.Connected(), "status reports, even too frequent ones, keep the connection up")
}
