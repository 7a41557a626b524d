package server

import (
	"sync"

	"github.com/coder/websocket"
)

// outbox is a WebSocket client's bounded queue of messages to send. A writer goroutine
// exists while there is something in it: an idle connection holds neither a goroutine nor
// an array for it. At the end the client's loop takes the writer's place for good (finish).
type outbox struct {
	mu      sync.Mutex
	idle    sync.Cond // signalled when a writer leaves
	msgs    [][]byte
	writing bool // a writer goroutine is draining msgs
	taken   bool // the loop has taken the writer's place: no writer starts any more
}

// put queues data and starts a writer if none is at it; false when the queue is full.
func (q *outbox) put(c *client, data []byte) bool {
	q.mu.Lock()
	if len(q.msgs) >= sendQueue {
		q.mu.Unlock()
		return false
	}
	q.msgs = append(q.msgs, data)
	q.mu.Unlock()
	q.kick(c)
	return true
}

// kick starts a writer goroutine for what is queued, unless one is at it or the connection
// is not there yet (run kicks when it starts).
func (q *outbox) kick(c *client) {
	ws := c.ws.Load()
	q.mu.Lock()
	start := ws != nil && !q.writing && !q.taken && len(q.msgs) > 0
	if start {
		q.writing = true
	}
	q.mu.Unlock()
	if start {
		go q.write(c, ws)
	}
}

// next takes the next message for the writer; ok false when the writer must leave: the queue
// is empty or the client stopped (the loop sends what is left, then the close frame).
func (q *outbox) next(c *client) (data []byte, ok bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.msgs) == 0 || c.isStopped() {
		q.writing = false
		if q.idle.L != nil {
			q.idle.Broadcast()
		}
		return nil, false
	}
	data = q.msgs[0]
	q.msgs[0] = nil
	q.msgs = q.msgs[1:]
	if len(q.msgs) == 0 {
		q.msgs = nil // the array goes with the last message
	}
	return data, true
}

// write is the writer goroutine: it writes what is queued, in order.
func (q *outbox) write(c *client, ws *wsConn) {
	for {
		data, ok := q.next(c)
		if !ok {
			return
		}
		if err := ws.writeText(data); err != nil {
			// Part of the frame may be out: nothing more can be written after it, even if
			// the client was stopped before (and not abruptly).
			ws.cut()
			c.stop(websocket.StatusAbnormalClosure, "", true)
		}
	}
}

// take waits for the writer to leave, keeps any other from starting, and returns what is
// left in the queue.
func (q *outbox) take() [][]byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.taken = true
	if q.idle.L == nil {
		q.idle.L = &q.mu
	}
	for q.writing {
		q.idle.Wait()
	}
	rest := q.msgs
	q.msgs = nil
	return rest
}

// finish ends the connection once the loop is over: abruptly, or after sending what is queued
// and the close frame.
func (c *client) finish(ws *wsConn) {
	rest := c.q.take()
	// Too slow, or a write failed, or closed by the client, or a protocol error.
	if c.abrupt || ws.broken.Load() || ws.sentClose {
		ws.nc.Close()
		return
	}
	for _, data := range rest {
		if ws.writeText(data) != nil { // perhaps half written: no close frame after it
			ws.nc.Close()
			return
		}
	}
	// The library's own closing waited 5 s for a client that is not reading; this waits a
	// little, then closes regardless.
	ws.closeHandshake(c.stopStatus, c.stopReason, closeWait)
	ws.nc.Close()
}

// pingTick is the ping timer's callback: every PingInterval it pings the client, and
// pingTimeout later drops the client if the pong has not come. The timer is set again at
// the end of each firing, so firings never overlap.
func (c *client) pingTick() {
	if c.isStopped() {
		return
	}
	ws := c.ws.Load()
	next := c.s.cfg.PingInterval
	if c.pingCheck.Swap(false) {
		if ws.pingOut.Load() != 0 {
			c.stop(websocket.StatusPolicyViolation, "no pong", true)
			return
		}
		next = max(next-pingTimeout, 0)
	} else {
		if err := ws.ping(c.pingSeq.Add(1)); err != nil {
			c.stop(websocket.StatusPolicyViolation, "no pong", true)
			return
		}
		c.pingCheck.Store(true)
		next = pingTimeout
	}
	if !c.isStopped() {
		c.pingTimer.Reset(next)
	}
}

// helloTimeout ends a connection that has not said hello in time (a timer's callback).
func (c *client) helloTimeout() {
	if !c.hello.CompareAndSwap(helloWaiting, helloLate) {
		return
	}
	c.s.log.Info("no hello in time", "ip", c.ip)
	c.s.metrics.refusedConn(codeOf(ErrHelloTimeout))
	c.fail("", ErrHelloTimeout)
}

// linkExpired ends a family page's connection when its link expires (a timer's callback).
func (c *client) linkExpired() {
	if c.isStopped() {
		return
	}
	c.s.log.Info("family link expired while connected", "contact", c.id, "ip", c.ip)
	c.fail("", ErrLinkExpired)
}
