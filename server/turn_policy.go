package server

import (
	"errors"
	"net"
	"net/netip"

	"github.com/pion/turn/v5"
)

// errNoTCPRelay refuses TCP allocations (RFC 6062): media needs UDP relays only, and a TCP
// relay would let a credential holder probe ports with CONNECT.
var errNoTCPRelay = errors.New("server: turn: TCP allocations are not offered")

// udpRelayOnly makes UDP relay sockets and refuses TCP ones.
type udpRelayOnly struct {
	*turn.RelayAddressGeneratorStatic
}

func (udpRelayOnly) AllocateListener(turn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errNoTCPRelay
}

func (udpRelayOnly) AllocateConn(turn.AllocateConnConfig) (net.Conn, error) {
	return nil, errNoTCPRelay
}

// Addresses a relay never sends to, whoever announced them.
var (
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
	metadataV4  = netip.MustParseAddr("169.254.169.254")
	metadataV6  = netip.MustParseAddr("fd00:ec2::254")
)

// permittedPeer keeps the relay off the server itself, "this network", link-local and
// multicast addresses and the cloud metadata service. Private addresses stay allowed: the
// tablets live on them (whether a given one may be reached is the call's business).
func permittedPeer(ip net.IP, allowLoopback bool) bool {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return false
	}
	a = a.Unmap()
	switch {
	case a.IsLoopback():
		return allowLoopback
	case a.IsUnspecified(), a.IsMulticast(), a.IsLinkLocalUnicast(), a.IsLinkLocalMulticast(),
		a.IsInterfaceLocalMulticast(), thisNetwork.Contains(a), a == metadataV4, a == metadataV6:
		return false
	}
	return true
}

// allocKey names an allocation as a permission request sees it: the listener (its network
// and port) and the client's address.
type allocKey struct {
	network, port, src string
}

func keyOf(src net.Addr, listener net.Addr) allocKey {
	return allocKey{network: src.Network(), port: portOf(listener), src: src.String()}
}

// relayState is who holds each allocation and how many each holder has. It belongs to the
// relay's run goroutine.
type relayState struct {
	holders map[allocKey]holder
	count   map[holder]int
	refused map[string]uint64 // refused allocations by reason (refusedUsername, ...)
}

// run owns the relay's state until Close.
func (t *TURN) run() {
	defer close(t.ran)
	st := &relayState{holders: make(map[allocKey]holder), count: make(map[holder]int),
		refused: make(map[string]uint64)}
	for {
		select {
		case op := <-t.ops:
			op(st)
		case <-t.done:
			return
		}
	}
}

// post hands op to the run goroutine; false when the relay is closed.
func (t *TURN) post(op func(*relayState)) bool {
	select {
	case t.ops <- op:
		return true
	case <-t.done:
		return false
	}
}

func (t *TURN) allocationCreated(src, dst net.Addr, _, user, _ string, _ net.Addr, _ int) {
	_, h, ok := parseUsername(user)
	if !ok {
		return
	}
	k := keyOf(src, dst)
	t.post(func(st *relayState) {
		st.holders[k] = h
		st.count[h]++
	})
}

func (t *TURN) allocationDeleted(src, dst net.Addr, _, _, _ string) {
	k := keyOf(src, dst)
	t.post(func(st *relayState) {
		h, ok := st.holders[k]
		if !ok {
			return
		}
		delete(st.holders, k)
		if st.count[h]--; st.count[h] <= 0 {
			delete(st.count, h)
		}
	})
}

// permissionHandler decides CreatePermission and ChannelBind requests on one listener: the
// peer must be an address a relay may reach at all, and one that the other end of the
// allocation holder's call announced.
func (t *TURN) permissionHandler(listener net.Addr) turn.PermissionHandler {
	return func(src net.Addr, peer net.IP) bool {
		if !permittedPeer(peer, t.allowLoopback) {
			return false
		}
		a := t.authorityOf()
		if a == nil {
			return false
		}
		k := keyOf(src, listener)
		found := make(chan holder, 1)
		if !t.post(func(st *relayState) { found <- st.holders[k] }) {
			return false
		}
		h := <-found
		if h.id == "" {
			return false
		}
		ok := a.mayRelay(h, peer)
		if !ok {
			t.log.Debug("relay permission refused", "holder", h.tag())
		}
		return ok
	}
}

// Allocations is how many allocations the relay holds now.
func (t *TURN) Allocations() int {
	n := make(chan int, 1)
	if !t.post(func(st *relayState) { n <- len(st.holders) }) {
		return 0
	}
	return <-n
}
