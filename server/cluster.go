package server

import (
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/coder/websocket"

	"bedside/call/signal"
)

// Several instances on one database serve one deployment (Config.Bus). Calls never cross
// wards, so each ward has ONE owning instance at a time, by a lease in the database that the
// owner renews every LeaseTTL/3 and another instance takes once it has expired. The owner's
// hub holds the ward's calls and presence exactly as a single server's does. A client
// connected to another instance is represented in the owner's hub by a proxy (a client
// without a connection, cluster_proxy.go): what the hub queues for the proxy goes over the bus
// to the client's instance, which queues it for the connection; the client's requests are
// checked against the store where it is connected and forwarded to the owner
// (cluster_route.go).
//
// When a ward changes owner (its owner stopped, was killed, or lost touch with the database),
// every instance closes its connections of that ward: their clients reconnect (to any
// instance), join the new owner and resume their calls, whose media went on peer to peer.
// Each instance also holds a lease on "@" + its id: an instance whose lease another took is
// gone, and the proxies of its clients leave the hub (their calls wait for them to resume).

// Bus envelope operations.
const (
	opJoin  = "join"  // client's instance → owner: a client joined; make its proxy
	opReq   = "req"   // client's instance → owner: a request of the client, checked
	opLeave = "leave" // client's instance → owner: the connection ended
	opOut   = "out"   // owner → client's instance: a message for the client
	opStop  = "stop"  // owner → client's instance: end the connection

	opRefresh = "refresh" // any → owner: a bed's data changed (Server.Refresh)
	opWard    = "ward"    // any → owner: a ward's shared data changed (Server.WardChanged)
	opRevoke  = "revoke"  // any → owner: a tablet was revoked (Server.RevokeDevice)

	opRevokeGuest = "revoke-guest" // any → owner: a guest link was revoked (Server.RevokeGuest)
)

// envelope is one message between instances.
type envelope struct {
	Op   string `json:"op"`
	From string `json:"from"`
	Conn uint64 `json:"conn"` // the connection's number at its instance

	// join
	Role   signal.Role    `json:"role,omitempty"`
	ID     string         `json:"id,omitempty"`
	BedID  string         `json:"bed,omitempty"`
	WardID string         `json:"ward,omitempty"`
	Config *signal.Config `json:"config,omitempty"`
	// A family page's link (its token's hash, and when it expires), which the owner checks
	// again when the bed's data changes (refresh.go).
	TokenHash   []byte    `json:"token_hash,omitempty"`
	LinkExpires time.Time `json:"link_expires,omitzero"`
	// A family or guest page's patient, and whether it is a guest's (group.go).
	PatientID string `json:"patient_id,omitempty"`
	Guest     bool   `json:"guest,omitempty"`

	// refresh, ward, revoke, revoke-guest: console changes carried out where the ward's
	// clients are
	Bed       string `json:"bed_id,omitempty"`
	Device    string `json:"device,omitempty"`
	GuestLink string `json:"guest_link,omitempty"` // revoke-guest; req join-guest: the link's id

	// req
	Kind  string          `json:"kind,omitempty"` // invite, act, relay, resume, join, join-guest, add, resume-group
	Call  string          `json:"call,omitempty"`
	Event callEvent       `json:"event,omitempty"`
	Side  side            `json:"side,omitempty"`
	Inv   *wireInvitation `json:"inv,omitempty"`
	Msg   *signal.Message `json:"msg,omitempty"`
	// join, join-guest, add: the settings the client's instance read fresh from the store;
	// add: who is rung.
	GroupCalls bool          `json:"group_calls,omitempty"`
	MayJoin    bool          `json:"may_join,omitempty"`
	Party      *signal.Party `json:"party,omitempty"`

	// out
	Data json.RawMessage `json:"data,omitempty"`

	// stop, leave
	Status websocket.StatusCode `json:"status,omitempty"`
	Reason string               `json:"reason,omitempty"`
	Abrupt bool                 `json:"abrupt,omitempty"`
	Policy bool                 `json:"policy,omitempty"` // leave: the server ended it on purpose
}

// wireInvitation is an invitation on the bus.
type wireInvitation struct {
	Dir       string       `json:"dir"`
	PatientID string       `json:"patient"`
	ContactID string       `json:"contact"`
	From      signal.Party `json:"from"`
	// Whether the patient allows group calls, read fresh where the request was checked.
	GroupCalls bool `json:"group_calls,omitempty"`
}

// clusterLink ties a client to another instance: a connection here whose ward's hub is at
// instance (proxy false), or a proxy in this hub of connection conn at instance (proxy true).
type clusterLink struct {
	instance string
	conn     uint64
	proxy    bool
}

type proxyKey struct {
	instance string
	conn     uint64
}

// cluster is this instance's part of the deployment.
type cluster struct {
	s   *Server
	bus Bus
	ttl time.Duration

	cancel context.CancelFunc
	wg     sync.WaitGroup // the listener, the lease loop and the proxies' writers

	mu       sync.Mutex
	owners   map[string]string    // ward (or "@" instance) → its owner, as last claimed
	members  map[*client]struct{} // clients in this hub: connections here and proxies
	remotes  map[uint64]*client   // connections here whose ward is owned elsewhere
	proxies  map[proxyKey]*client // this hub's stand-ins for connections elsewhere
	nextConn uint64
}

func newCluster(s *Server, bus Bus, ttl time.Duration) *cluster {
	ctx, cancel := context.WithCancel(context.Background())
	cl := &cluster{s: s, bus: bus, ttl: ttl, cancel: cancel,
		owners: make(map[string]string), members: make(map[*client]struct{}),
		remotes: make(map[uint64]*client), proxies: make(map[proxyKey]*client)}
	// This instance's own lease is held before any client can connect: the owner of a ward
	// takes the lease of every instance it holds proxies for when nobody holds it (that is how
	// it finds an instance gone), and would otherwise keep this one's, and this instance
	// believe it lost touch. When the claim fails, the lease loop tries again.
	cctx, ccancel := context.WithTimeout(ctx, ttl)
	if _, err := bus.Claim(cctx, []string{cl.self()}, ttl); err != nil {
		s.log.Warn("cluster: claim this instance's lease", "err", err)
	}
	ccancel()
	cl.wg.Add(2)
	go func() {
		defer cl.wg.Done()
		for ctx.Err() == nil {
			err := bus.Listen(ctx, cl.receive)
			if ctx.Err() != nil || err == ErrBusClosed {
				return
			}
			s.log.Error("cluster bus", "err", err)
			cl.cutOff()
			select {
			case <-ctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
	go cl.leaseLoop(ctx)
	return cl
}

// self is this instance's own lease name.
func (cl *cluster) self() string { return "@" + cl.bus.ID() }

// publish sends e to instance to.
func (cl *cluster) publish(ctx context.Context, to string, e envelope) error {
	e.From = cl.bus.ID()
	data, err := json.Marshal(e)
	if err != nil {
		return err
	}
	return cl.bus.Publish(ctx, to, data)
}

func (cl *cluster) addMember(c *client) {
	cl.mu.Lock()
	cl.members[c] = struct{}{}
	cl.mu.Unlock()
}

func (cl *cluster) removeMember(c *client) {
	cl.mu.Lock()
	delete(cl.members, c)
	cl.mu.Unlock()
}

// release gives up this instance's wards (it is stopping) and ends the proxies: their
// connections close and their clients reconnect to an instance that takes the wards.
func (cl *cluster) release() {
	ctx, cancel := storeCtx()
	if err := cl.bus.Release(ctx); err != nil {
		cl.s.log.Warn("cluster: release leases", "err", err)
	}
	cancel()
	cl.mu.Lock()
	var ps []*client
	for _, p := range cl.proxies {
		ps = append(ps, p)
	}
	cl.mu.Unlock()
	for _, p := range ps {
		p.stop(websocket.StatusGoingAway, string(signal.CodeShuttingDown), false)
	}
}

// close stops the loops and the proxies' writers, then closes the bus.
func (cl *cluster) close() {
	cl.cancel()
	cl.mu.Lock()
	for _, p := range cl.proxies {
		p.stop(websocket.StatusGoingAway, string(signal.CodeShuttingDown), true)
	}
	cl.mu.Unlock()
	cl.wg.Wait() // the proxies' last words (stop) go out before the bus closes
	if err := cl.bus.Close(); err != nil {
		cl.s.log.Warn("cluster: close bus", "err", err)
	}
}
