package server

import (
	"context"
	"fmt"

	"bedside/call/signal"
)

// deviceStatus is what a device last reported about itself.
type deviceStatus struct {
	battery    int
	appVersion string
}

// handleStatus records a device's status report. Writes are rate limited per device (one a
// minute by default, Config.DeviceStatus); a report that comes too soon is kept and written
// with the next one that may be, or when the connection ends, so the last word is never lost.
// Only devices may send it.
func (s *Server) handleStatus(ctx context.Context, c *client, m signal.Message) error {
	if c.role != signal.RoleDevice {
		return fmt.Errorf("%w: only a tablet reports its status", ErrForbidden)
	}
	st := deviceStatus{battery: *m.Battery, appVersion: m.AppVersion}
	if !s.statusLimit.allow(c.id) {
		c.pendingStatus = &st
		return nil
	}
	c.pendingStatus = nil
	return s.writeStatus(ctx, c.id, st)
}

// flushStatus writes the report that the rate limit held back, if any; the connection is
// ending.
func (s *Server) flushStatus(c *client) {
	if c.pendingStatus == nil {
		return
	}
	ctx, cancel := storeCtx()
	defer cancel()
	if err := s.writeStatus(ctx, c.id, *c.pendingStatus); err != nil {
		s.log.Warn("device status", "device", c.id, "err", err)
	}
	c.pendingStatus = nil
}

func (s *Server) writeStatus(ctx context.Context, deviceID string, st deviceStatus) error {
	if err := s.cfg.Store.UpdateDeviceStatus(ctx, deviceID, st.battery, st.appVersion, s.cfg.Now()); err != nil {
		return fmt.Errorf("server: status of device %s: %w", deviceID, err)
	}
	return nil
}
