package call

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"time"
)

// hostAddrs returns the host's IPv4 addresses, loopback left out: ICE gathers on IPv4 only
// (NewAPI), and IPv6 temporary addresses come and go by themselves every day or so.
func hostAddrs() ([]netip.Addr, error) {
	ifAddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	out := make([]netip.Addr, 0, len(ifAddrs))
	for _, a := range ifAddrs {
		p, err := netip.ParsePrefix(a.String())
		if err != nil || !p.Addr().Unmap().Is4() || p.Addr().IsLoopback() {
			continue
		}
		out = append(out, p.Addr().Unmap())
	}
	return out, nil
}

// gone returns the addresses of before that now lacks.
func gone(before, now []netip.Addr) []netip.Addr {
	var out []netip.Addr
	for _, a := range before {
		if !slices.Contains(now, a) {
			out = append(out, a)
		}
	}
	return out
}

// watchNetwork looks at the host's addresses every NetworkCheckEvery until ctx is done, and
// tells the loop when one of them went: the host moved to another network (a tablet roaming to
// another access point), so its connections on the old address are dead. Noticing it here
// takes a fraction of a second; ICE would notice only after its disconnection timeout, and the
// server connection after a missed ping. When the addresses cannot be read (a platform that
// does not let apps list them), the watch stops and ICE's own timers are the only ones.
func (p *Phone) watchNetwork(ctx context.Context) {
	if p.cfg.NetworkCheckEvery < 0 {
		return
	}
	before, err := p.cfg.Addrs()
	if err != nil {
		p.log.Info("not watching the network addresses", "err", err)
		return
	}
	t := time.NewTicker(p.cfg.NetworkCheckEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		now, err := p.cfg.Addrs()
		if err != nil {
			continue
		}
		if lost := gone(before, now); len(lost) > 0 {
			p.post(func(l *loop) { l.onAddressLost(lost) })
		}
		before = now
	}
}

// onAddressLost reacts to the host losing addresses: the server connection goes at once (it
// is dead if it used one of them), so that this end is back on the server, reachable by the
// caller's restart offer, before the caller notices the loss; a call in progress says it is
// reconnecting, and the caller restarts ICE at once (the callee asks it to, see askRestart),
// in each pair of a group call.
func (l *loop) onAddressLost(lost []netip.Addr) {
	l.p.log.Info("network address gone; reconnecting", "addrs", lost)
	if l.connected {
		l.p.client.Reconnect()
		l.connected = false
		l.dirty = true
	}
	c := l.call
	if c == nil || c.info.State != InCall {
		return
	}
	l.pairsAddressLost(c)
	if c.sess == nil {
		return
	}
	// A restart answered before the move aimed at the old address: it no longer counts.
	c.moved, c.remoteRestart = true, false
	if c.info.Reconnecting {
		return
	}
	l.outage(c)
}
