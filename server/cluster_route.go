package server

import (
	"context"

	"bedside/call/signal"
	"bedside/server/store"
)

// callRouter is what handle needs of the hub that holds a client's calls: this server's hub,
// or (in a cluster) the hub of the instance that owns the client's ward, reached by the bus.
type callRouter interface {
	invite(c *client, inv invitation) error
	act(c *client, id string, ev callEvent) error
	relay(c *client, m signal.Message) error
	resume(c *client, id string, sd side, inv invitation) error
	// Group calls (group_calls.go): groupCalls and mayJoin were read fresh from the store
	// where the client is connected.
	joinCall(c *client, id string, groupCalls, mayJoin bool) error
	joinGuest(c *client, id, linkID string, groupCalls bool) error
	addToCall(c *client, id string, to signal.Party, groupCalls, mayJoin bool) error
	resumeGroup(c *client, id string, inv invitation) error
}

// hubOf is where c's calls are.
func (s *Server) hubOf(c *client) callRouter {
	if c.link != nil && !c.link.proxy {
		return remoteHub{s.cluster}
	}
	return s.hub
}

// join joins an authenticated client to the hub of its ward: here, or at the ward's owner
// (which sends welcome by the bus).
func (s *Server) join(ctx context.Context, c *client, cfg *signal.Config) error {
	cl := s.cluster
	if cl == nil || c.wardID == "" {
		return s.hub.join(c, cfg)
	}
	owner, err := cl.ownerOf(ctx, c.wardID)
	if err != nil {
		return err
	}
	if owner == cl.bus.ID() {
		cl.addMember(c)
		if err := s.hub.join(c, cfg); err != nil {
			cl.removeMember(c)
			return err
		}
		return nil
	}
	cl.mu.Lock()
	cl.nextConn++
	c.link = &clusterLink{instance: owner, conn: cl.nextConn}
	cl.remotes[c.link.conn] = c
	cl.mu.Unlock()
	err = cl.publish(ctx, owner, envelope{Op: opJoin, Conn: c.link.conn, Role: c.role, ID: c.id,
		BedID: c.bedID, WardID: c.wardID, Config: cfg, TokenHash: c.tokenHash, LinkExpires: c.linkExpires,
		PatientID: c.patientID, Guest: c.guest})
	if err != nil {
		cl.mu.Lock()
		delete(cl.remotes, c.link.conn)
		cl.mu.Unlock()
		c.link = nil
		return err
	}
	return nil
}

// leave takes c out of the hub of its ward, as its connection ends.
func (s *Server) leave(c *client) {
	cl := s.cluster
	if cl == nil {
		s.hub.leave(c)
		return
	}
	if c.link == nil {
		s.hub.leave(c)
		cl.removeMember(c)
		return
	}
	cl.mu.Lock()
	delete(cl.remotes, c.link.conn)
	cl.mu.Unlock()
	ctx, cancel := storeCtx()
	defer cancel()
	err := cl.publish(ctx, c.link.instance, envelope{Op: opLeave, Conn: c.link.conn, Policy: c.stoppedByPolicy()})
	if err != nil {
		s.log.Warn("cluster: leave", "instance", c.link.instance, "err", err)
	}
}

// remoteHub forwards a client's checked requests to the instance that owns its ward. Errors
// there come back as error messages; here only a failure to send is returned.
type remoteHub struct{ cl *cluster }

func (r remoteHub) send(c *client, e envelope) error {
	e.Op, e.Conn = opReq, c.link.conn
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	return r.cl.publish(ctx, c.link.instance, e)
}

func wire(inv invitation) *wireInvitation {
	return &wireInvitation{Dir: string(inv.dir), PatientID: inv.patientID, ContactID: inv.contactID, From: inv.from,
		GroupCalls: inv.groupCalls}
}

// unwire is the invitation w carries (none when w is nil).
func unwire(w *wireInvitation) invitation {
	if w == nil {
		return invitation{}
	}
	return invitation{dir: store.Direction(w.Dir), patientID: w.PatientID, contactID: w.ContactID,
		from: w.From, groupCalls: w.GroupCalls}
}

func (r remoteHub) invite(c *client, inv invitation) error {
	return r.send(c, envelope{Kind: "invite", Inv: wire(inv)})
}

func (r remoteHub) act(c *client, id string, ev callEvent) error {
	return r.send(c, envelope{Kind: "act", Call: id, Event: ev})
}

func (r remoteHub) relay(c *client, m signal.Message) error {
	return r.send(c, envelope{Kind: "relay", Call: m.Call, Msg: &m})
}

func (r remoteHub) resume(c *client, id string, sd side, inv invitation) error {
	return r.send(c, envelope{Kind: "resume", Call: id, Side: sd, Inv: wire(inv)})
}

func (r remoteHub) joinCall(c *client, id string, groupCalls, mayJoin bool) error {
	return r.send(c, envelope{Kind: "join", Call: id, GroupCalls: groupCalls, MayJoin: mayJoin})
}

func (r remoteHub) joinGuest(c *client, id, linkID string, groupCalls bool) error {
	return r.send(c, envelope{Kind: "join-guest", Call: id, GuestLink: linkID, GroupCalls: groupCalls})
}

func (r remoteHub) addToCall(c *client, id string, to signal.Party, groupCalls, mayJoin bool) error {
	return r.send(c, envelope{Kind: "add", Call: id, Party: &to, GroupCalls: groupCalls, MayJoin: mayJoin})
}

func (r remoteHub) resumeGroup(c *client, id string, inv invitation) error {
	return r.send(c, envelope{Kind: "resume-group", Call: id, Inv: wire(inv)})
}
