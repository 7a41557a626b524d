package server

import (
	"github.com/coder/websocket"
)

// kick starts a writer goroutine for what is queued, unless one is at it. A cluster proxy
// (no connection) has a writer of its own (cluster_proxy.go).
func (c *client) kick() {
	ws := c.ws.Load()
	if ws == nil || !c.writing.CompareAndSwap(false, true) {
		return
	}
	go c.writeQueue(ws)
}

// writeQueue writes what is queued, in order, and leaves when the queue is empty or the
// client is stopped (the loop sends what is left, then the close frame: finish).
func (c *client) writeQueue(ws *wsConn) {
	defer func() {
		select {
		case c.writerDone <- struct{}{}:
		default: // a token is there already
		}
	}()
	for {
		if c.isStopped() {
			c.writing.Store(false)
			return
		}
		select {
		case data := <-c.out:
			if err := ws.writeText(data); err != nil {
				c.writing.Store(false)
				c.stop(websocket.StatusAbnormalClosure, "", true)
				return
			}
		default:
			c.writing.Store(false)
			// A message queued after the look above, before the flag went down, found the flag
			// up and started no writer: this one goes on for it.
			if len(c.out) == 0 || !c.writing.CompareAndSwap(false, true) {
				return
			}
		}
	}
}

// finish ends the connection once the loop is over: abruptly, or after sending what is queued
// and the close frame. It takes the writer's place for good first.
func (c *client) finish(ws *wsConn) {
	for !c.writing.CompareAndSwap(false, true) {
		<-c.writerDone
	}
	if c.abrupt || ws.sentClose { // too slow, or closed by the client, or a protocol error
		ws.nc.Close()
		return
	}
	for {
		select {
		case data := <-c.out:
			if ws.writeText(data) != nil {
				ws.nc.Close()
				return
			}
			continue
		default:
		}
		break
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
