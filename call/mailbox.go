package call

import "sync"

// mailbox is an unbounded, ordered queue with one reader. put never blocks and never drops
// (until the mailbox is closed), so pion's callbacks and timers can hand work to the phone's
// loop from any goroutine; the reader waits on ready and takes everything queued at once.
// The mutex guards the queue only: the state the work touches belongs to the reader.
type mailbox[T any] struct {
	ready chan struct{} // holds a token while the queue may be non-empty

	mu     sync.Mutex
	queue  []T
	closed bool
}

func (m *mailbox[T]) init() { m.ready = make(chan struct{}, 1) }

// put queues v; it reports false when the mailbox is closed.
func (m *mailbox[T]) put(v T) bool {
	m.mu.Lock()
	if m.closed {
		m.mu.Unlock()
		return false
	}
	m.queue = append(m.queue, v)
	m.mu.Unlock()
	select {
	case m.ready <- struct{}{}:
	default: // a token is already there
	}
	return true
}

// take returns everything queued, oldest first, and empties the queue.
func (m *mailbox[T]) take() []T {
	m.mu.Lock()
	defer m.mu.Unlock()
	q := m.queue
	m.queue = nil
	return q
}

// close refuses further puts and returns what was still queued.
func (m *mailbox[T]) close() []T {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	q := m.queue
	m.queue = nil
	return q
}
