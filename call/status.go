package call

import (
	"context"
	"time"

	"bedside/call/signal"
)

// statusLoop reports the device's status every StatusEvery while connected; the first report
// goes out with each welcome (see handle).
func (p *Phone) statusLoop(ctx context.Context) {
	if p.cfg.Status == nil || p.cfg.Signer == nil {
		return
	}
	t := time.NewTicker(p.cfg.StatusEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if p.client.Connected() {
				p.mu.Lock()
				p.queueStatusLocked()
				p.mu.Unlock()
			}
		}
	}
}

// queueStatusLocked queues a status message for a device that has a Status source.
func (p *Phone) queueStatusLocked() {
	if p.cfg.Status == nil || p.cfg.Signer == nil {
		return
	}
	battery, version := p.cfg.Status()
	if battery < signal.BatteryUnknown || battery > 100 {
		battery = signal.BatteryUnknown
	}
	if len(version) > 64 {
		version = version[:64]
	}
	p.queue(signal.Message{Type: signal.TypeStatus, Battery: &battery, AppVersion: version})
}
