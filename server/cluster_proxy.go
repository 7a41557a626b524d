package server

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/coder/websocket"

	"bedside/call/signal"
)

// receive handles one envelope from the bus. Envelopes arrive one at a time, in the order
// each sender sent them; nothing here waits on a client.
func (cl *cluster) receive(data []byte) {
	var e envelope
	if err := json.Unmarshal(data, &e); err != nil {
		cl.s.log.Error("cluster: bad envelope", "err", err)
		return
	}
	switch e.Op {
	case opJoin:
		cl.joinProxy(e)
	case opReq:
		if p := cl.proxy(e.From, e.Conn); p != nil {
			cl.apply(p, e)
		} else {
			cl.refuse(e) // its proxy is gone (this instance lost the ward): reconnect
		}
	case opLeave:
		if p := cl.proxy(e.From, e.Conn); p != nil {
			cl.mu.Lock()
			delete(cl.proxies, proxyKey{e.From, e.Conn})
			cl.mu.Unlock()
			if e.Policy {
				p.stop(websocket.StatusPolicyViolation, "", false)
			} else {
				p.stop(websocket.StatusGoingAway, "", true)
			}
			cl.s.hub.leave(p)
			cl.removeMember(p)
		}
	case opRefresh, opWard, opRevoke, opRevokeGuest:
		cl.wg.Add(1)
		go func() { // store reads: the bus does not wait for them
			defer cl.wg.Done()
			ctx, cancel := storeCtx()
			defer cancel()
			cl.console(ctx, e)
		}()
	case opOut:
		if c := cl.remote(e.From, e.Conn); c != nil {
			c.enqueue(e.Data)
		}
	case opStop:
		if c := cl.remote(e.From, e.Conn); c != nil {
			c.stop(e.Status, e.Reason, e.Abrupt)
		}
	default:
		cl.s.log.Error("cluster: unknown envelope", "op", e.Op)
	}
}

func (cl *cluster) proxy(instance string, conn uint64) *client {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.proxies[proxyKey{instance, conn}]
}

// remote returns connection conn here when its hub is at instance.
func (cl *cluster) remote(instance string, conn uint64) *client {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	c := cl.remotes[conn]
	if c == nil || c.link.instance != instance {
		return nil
	}
	return c
}

// refuse tells the instance of connection e.Conn to close it: the client reconnects and joins
// whoever owns its ward now.
func (cl *cluster) refuse(e envelope) {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	err := cl.publish(ctx, e.From, envelope{Op: opStop, Conn: e.Conn,
		Status: websocket.StatusGoingAway, Reason: string(signal.CodeShuttingDown)})
	if err != nil {
		cl.s.log.Warn("cluster: refuse", "instance", e.From, "err", err)
	}
}

// joinProxy makes the proxy of a client connected at e.From and joins it to the hub, which
// sends it welcome (by the bus).
func (cl *cluster) joinProxy(e envelope) {
	p := &client{s: cl.s, ip: "instance " + e.From, out: make(chan []byte, sendQueue),
		stopped: make(chan struct{}), role: e.Role, id: e.ID, bedID: e.BedID, wardID: e.WardID,
		tokenHash: e.TokenHash, linkExpires: e.LinkExpires, patientID: e.PatientID, guest: e.Guest, link: &clusterLink{instance: e.From, conn: e.Conn, proxy: true}}
	key := proxyKey{e.From, e.Conn}
	cl.mu.Lock()
	old := cl.proxies[key]
	cl.proxies[key] = p
	cl.members[p] = struct{}{}
	cl.mu.Unlock()
	if old != nil { // cannot happen: connection numbers are not reused
		old.stop(websocket.StatusGoingAway, "", true)
		cl.s.hub.leave(old)
		cl.removeMember(old)
	}
	cl.wg.Add(1)
	go cl.proxyWriter(p)
	cfg := e.Config
	if cfg == nil {
		cfg = &signal.Config{}
	}
	// This instance's relay, which knows the proxy's calls, relays for it.
	cfg.ICEServers = cl.s.iceServers(p.role, p.id)
	if err := cl.s.hub.join(p, cfg); err != nil {
		p.fail("", err)
	}
}

// proxyWriter sends what the hub queues for proxy p to its client's instance, in order, and
// tells that instance to close the connection when p is stopped (replaced, too slow, the
// server stopping).
func (cl *cluster) proxyWriter(p *client) {
	defer cl.wg.Done()
	to, conn := p.link.instance, p.link.conn
	send := func(e envelope) error {
		e.Conn = conn
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		defer cancel()
		return cl.publish(ctx, to, e)
	}
	for {
		select {
		case data := <-p.out:
			if err := send(envelope{Op: opOut, Data: data}); err != nil {
				if !errors.Is(err, ErrBusClosed) {
					cl.s.log.Warn("cluster: forward to instance", "instance", to, "err", err)
				}
				p.stop(websocket.StatusGoingAway, "", true)
			}
		case <-p.stopped:
			if !p.abrupt {
				for drained := false; !drained; {
					select {
					case data := <-p.out:
						if send(envelope{Op: opOut, Data: data}) != nil {
							drained = true
						}
					default:
						drained = true
					}
				}
			}
			_ = send(envelope{Op: opStop, Status: p.stopStatus, Reason: p.stopReason, Abrupt: p.abrupt})
			return
		}
	}
}

// apply carries out a request of proxy p's client, checked at its instance. An error goes
// back to the client as an error message, as it would have from its own instance.
func (cl *cluster) apply(p *client, e envelope) {
	h := cl.s.hub
	inv := unwire(e.Inv)
	var err error
	switch e.Kind {
	case "invite":
		err = h.invite(p, inv)
	case "act":
		err = h.act(p, e.Call, e.Event)
	case "relay":
		if e.Msg == nil {
			err = signal.Errorf(signal.CodeBadMessage, "relay without a message")
			break
		}
		err = h.relay(p, *e.Msg)
	case "resume":
		err = h.resume(p, e.Call, e.Side, inv)
	case "join":
		err = h.joinCall(p, e.Call, e.GroupCalls, e.MayJoin)
	case "join-guest":
		err = h.joinGuest(p, e.Call, e.GuestLink, e.GroupCalls) // one store write, on the bus's goroutine
	case "add":
		if e.Party == nil {
			err = signal.Errorf(signal.CodeBadMessage, "add without a contact")
			break
		}
		err = h.addToCall(p, e.Call, *e.Party, e.GroupCalls, e.MayJoin)
	case "resume-group":
		err = h.resumeGroup(p, e.Call, inv)
	default:
		err = signal.Errorf(signal.CodeInternal, "unknown request %q from another instance", e.Kind)
	}
	if err != nil {
		p.sendError(e.Call, err)
	}
}
