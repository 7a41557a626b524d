package server

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Bus joins the server instances of one deployment that share one database: it carries
// messages from one instance to another and holds the ward leases that say which instance
// owns each ward's calls (see cluster.go). Config.Bus is nil for a single server.
//
// PGBus is the real one (PostgreSQL LISTEN/NOTIFY and a lease table); MemoryNet gives
// in-process ones, for tests of several Servers in one process.
type Bus interface {
	// ID is this instance's id, unique in the deployment.
	ID() string
	// Publish sends data to instance to. It may block (bounded by ctx), so the hub never
	// calls it under its lock. A message to an instance that is gone is lost, as the instance
	// is.
	Publish(ctx context.Context, to string, data []byte) error
	// Listen hands f this instance's messages, one at a time, in the order each sender sent
	// them, until ctx ends or the bus is closed.
	Listen(ctx context.Context, f func(data []byte)) error
	// Claim renews this instance's leases among wards for ttl, takes those whose lease has
	// expired or that have none, and returns the owner of each of wards.
	Claim(ctx context.Context, wards []string, ttl time.Duration) (map[string]string, error)
	// Release gives up this instance's leases, so that another instance may take its wards
	// at once.
	Release(ctx context.Context) error
	// Close ends Listen and frees the bus's connections; its leases stay until they expire
	// (a crash looks the same).
	Close() error
}

// ErrBusClosed is returned by a closed Bus.
var ErrBusClosed = errors.New("server: bus closed")

// MemoryNet is a bus between Servers in one process, for tests: each Join gives one
// instance its Bus. Leases expire by its clock.
type MemoryNet struct {
	now func() time.Time

	mu     sync.Mutex
	nodes  map[string]*memoryBus
	leases map[string]memoryLease
}

type memoryLease struct {
	owner   string
	expires time.Time
}

// NewMemoryNet returns an empty network; now is its clock (time.Now when nil).
func NewMemoryNet(now func() time.Time) *MemoryNet {
	if now == nil {
		now = time.Now
	}
	return &MemoryNet{now: now, nodes: make(map[string]*memoryBus), leases: make(map[string]memoryLease)}
}

// Join adds an instance with this id and returns its bus.
func (n *MemoryNet) Join(id string) Bus {
	b := &memoryBus{net: n, id: id, wake: make(chan struct{}, 1), done: make(chan struct{})}
	n.mu.Lock()
	n.nodes[id] = b
	n.mu.Unlock()
	return b
}

// memoryBus is one instance on a MemoryNet. Its inbox has no bound: a sender never waits
// for a receiver, as NOTIFY does not.
type memoryBus struct {
	net  *MemoryNet
	id   string
	wake chan struct{}
	done chan struct{}

	mu     sync.Mutex
	inbox  [][]byte
	closed bool
}

func (b *memoryBus) ID() string { return b.id }

func (b *memoryBus) Publish(ctx context.Context, to string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b.net.mu.Lock()
	dst := b.net.nodes[to]
	b.net.mu.Unlock()
	if b.isClosed() {
		return ErrBusClosed
	}
	if dst == nil {
		return nil // gone: lost, as a NOTIFY nobody listens to
	}
	dst.mu.Lock()
	if !dst.closed {
		dst.inbox = append(dst.inbox, append([]byte(nil), data...))
	}
	dst.mu.Unlock()
	select {
	case dst.wake <- struct{}{}:
	default:
	}
	return nil
}

func (b *memoryBus) isClosed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closed
}

func (b *memoryBus) Listen(ctx context.Context, f func(data []byte)) error {
	for {
		b.mu.Lock()
		batch := b.inbox
		b.inbox = nil
		b.mu.Unlock()
		for _, m := range batch {
			f(m)
		}
		select {
		case <-b.wake:
		case <-b.done:
			return ErrBusClosed
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *memoryBus) Claim(ctx context.Context, wards []string, ttl time.Duration) (map[string]string, error) {
	if b.isClosed() {
		return nil, ErrBusClosed
	}
	n := b.net
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.now()
	out := make(map[string]string, len(wards))
	for _, w := range wards {
		l, ok := n.leases[w]
		if !ok || l.owner == b.id || !now.Before(l.expires) {
			l = memoryLease{owner: b.id, expires: now.Add(ttl)}
			n.leases[w] = l
		}
		out[w] = l.owner
	}
	return out, nil
}

func (b *memoryBus) Release(ctx context.Context) error {
	if b.isClosed() {
		return ErrBusClosed
	}
	n := b.net
	n.mu.Lock()
	defer n.mu.Unlock()
	for w, l := range n.leases {
		if l.owner == b.id {
			delete(n.leases, w)
		}
	}
	return nil
}

func (b *memoryBus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.closed {
		b.closed = true
		b.inbox = nil
		close(b.done)
		b.net.mu.Lock()
		delete(b.net.nodes, b.id)
		b.net.mu.Unlock()
	}
	return nil
}
