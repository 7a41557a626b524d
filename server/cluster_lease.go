package server

import (
	"context"
	"time"

	"github.com/coder/websocket"

	"bedside/call/signal"
)

// ownerOf returns the instance that owns ward, taking it when nobody holds it.
func (cl *cluster) ownerOf(ctx context.Context, ward string) (string, error) {
	owners, err := cl.bus.Claim(ctx, []string{ward}, cl.ttl)
	if err != nil {
		return "", err
	}
	cl.observe(owners)
	return owners[ward], nil
}

// leaseLoop renews the leases every ttl/3, takes over the wards of instances that are gone and
// closes the connections whose ward changed owner.
func (cl *cluster) leaseLoop(ctx context.Context) {
	defer cl.wg.Done()
	t := time.NewTicker(cl.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		names := cl.leaseNames()
		cctx, cancel := context.WithTimeout(ctx, cl.ttl)
		owners, err := cl.bus.Claim(cctx, names, cl.ttl)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				cl.s.log.Warn("cluster: renew leases", "err", err)
			}
			continue
		}
		cl.forget(names)
		cl.observe(owners)
	}
}

// leaseNames is what this instance holds or watches: its own name, the wards of its
// clients, and the instances its proxies stand in for.
func (cl *cluster) leaseNames() []string {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	set := map[string]struct{}{cl.self(): {}}
	for c := range cl.members {
		if c.wardID != "" {
			set[c.wardID] = struct{}{}
		}
	}
	for _, c := range cl.remotes {
		set[c.wardID] = struct{}{}
	}
	for k := range cl.proxies {
		set["@"+k.instance] = struct{}{}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	return out
}

// forget drops what is known of the owners of leases no longer watched.
func (cl *cluster) forget(names []string) {
	keep := make(map[string]struct{}, len(names))
	for _, n := range names {
		keep[n] = struct{}{}
	}
	cl.mu.Lock()
	for n := range cl.owners {
		if _, ok := keep[n]; !ok {
			delete(cl.owners, n)
		}
	}
	cl.mu.Unlock()
}

// observe takes in the owners of leases as just claimed and puts every connection right by
// them: a connection here whose ward's hub is at another instance than the ward's owner
// closes (its client reconnects and joins the owner), and so does every client in this hub of
// a ward this instance does not own (whose calls this hub lets go); the proxies of an instance
// that is gone leave; and when this instance's own lease was taken, it lost touch and closes
// every connection whose hub is elsewhere. It judges by the state, not by changes, so that
// nothing missed between two claims stays wrong.
func (cl *cluster) observe(owners map[string]string) {
	me := cl.bus.ID()
	var stop, gone []*client
	lost := map[string]bool{}
	cl.mu.Lock()
	for name, owner := range owners {
		old, known := cl.owners[name]
		cl.owners[name] = owner
		switch {
		case name == cl.self():
			if owner != me {
				cl.s.log.Warn("cluster: this instance's lease was taken: it lost touch")
				for _, c := range cl.remotes {
					stop = append(stop, c)
				}
			}
		case name[0] == '@':
			if owner != name[1:] {
				for k, p := range cl.proxies {
					if k.instance == name[1:] {
						gone = append(gone, p)
						delete(cl.proxies, k)
					}
				}
			}
		case known && old != owner:
			cl.s.log.Info("cluster: ward changed owner", "ward", name, "from", old, "to", owner)
		}
	}
	for _, c := range cl.remotes {
		if o, ok := owners[c.wardID]; ok && o != c.link.instance {
			stop = append(stop, c)
		}
	}
	for c := range cl.members {
		if o, ok := owners[c.wardID]; ok && o != me {
			stop = append(stop, c)
			lost[c.wardID] = true
		}
	}
	cl.mu.Unlock()

	for w := range lost {
		cl.s.hub.forgetWard(w)
	}
	for _, c := range stop {
		c.stop(websocket.StatusGoingAway, string(signal.CodeShuttingDown), false)
	}
	for _, p := range gone {
		// Its connection went with its instance: a network matter, so its call waits for it.
		p.stop(websocket.StatusGoingAway, "instance gone", true)
		cl.s.hub.leave(p)
		cl.removeMember(p)
	}
}

// cutOff starts afresh after the bus lost messages (its connection failed): whatever was in
// flight between this instance and others is unknown, so every connection whose hub is
// elsewhere closes (its client reconnects and resumes), and every proxy leaves this hub (its
// call waits for its client to resume it).
func (cl *cluster) cutOff() {
	cl.mu.Lock()
	var stop, gone []*client
	for _, c := range cl.remotes {
		stop = append(stop, c)
	}
	for k, p := range cl.proxies {
		gone = append(gone, p)
		delete(cl.proxies, k)
	}
	cl.mu.Unlock()
	for _, c := range stop {
		c.stop(websocket.StatusGoingAway, string(signal.CodeShuttingDown), false)
	}
	for _, p := range gone {
		p.stop(websocket.StatusGoingAway, "bus lost", false)
		cl.s.hub.leave(p)
		cl.removeMember(p)
	}
}
