package server

import (
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"bedside/call/signal"
)

const (
	// sendQueue is how many messages may wait for a slow client before it is dropped.
	sendQueue = 64
	// writeTimeout bounds every write to a client (Config.WriteTimeout's default), and
	// every message to another instance.
	writeTimeout = 10 * time.Second
	// closeWait is how long a closing connection waits for the client's close frame.
	closeWait = time.Second
	// pingTimeout is how long a client has to answer a ping.
	pingTimeout = 15 * time.Second
	// hardReadLimit is the size past which a message closes the connection; messages between
	// signal.MaxMessageSize and this are read, discarded and answered with too-large.
	hardReadLimit = 1 << 20
	// statusReplaced closes a device connection that a newer one replaced.
	statusReplaced = websocket.StatusPolicyViolation
)

// client is one WebSocket connection: an actor whose goroutine owns its session and reads
// the connection. What the hub and the timers send it goes through its bounded send queue,
// which a short-lived writer goroutine drains; pings come from a timer. An idle connection
// is one goroutine, parked with a shallow stack until its socket has input, and no buffer
// (wsconn.go): 20,000 idle connections are the goal of one server.
type client struct {
	s  *Server
	ip string
	// ws is the connection, once the upgrade is done: any goroutine may stop the client.
	ws atomic.Pointer[wsConn]
	// out is a cluster proxy's send queue, which its own writer drains (cluster_proxy.go);
	// nil for a WebSocket client, whose queue is q.
	out chan []byte
	q   outbox

	stopOnce   sync.Once
	stopped    chan struct{} // closed when the connection must end
	stopStatus websocket.StatusCode
	stopReason string
	abrupt     bool // close without the closing handshake (the client is too slow)

	// hello is helloWaiting until the hello comes (helloCame) or the timeout (helloLate).
	hello     atomic.Int32
	pingTimer *time.Timer
	pingSeq   atomic.Uint64 // the number of the last ping; the timer's callbacks count them
	pingCheck atomic.Bool   // the timer's next firing checks the last ping's pong

	// Set by the loop before join, read-only afterwards.
	role        signal.Role
	id          string // device id or contact id
	bedID       string
	tokenHash   []byte    // a family client's link token hash, to re-check the link
	linkExpires time.Time // when a family client's link expires; zero: never
	wardID      string    // a device's ward, or the ward of a family page's patient's bed
	patientID   string    // a family or guest page's patient
	guest       bool      // a guest page (a guest link's id in id; see group.go)

	// Owned by the loop (and run, after it): a status report the rate limit held back.
	pendingStatus *deviceStatus
	// Owned by the loop: the last invite was refused by the call limit.
	invitesRefused bool

	// Set before join, read-only afterwards: in a cluster, the client's tie to another
	// instance (cluster.go); nil for a client of this instance's hub.
	link *clusterLink

	// Guarded by hub.mu.
	joined bool
	call   *call
	// party is who this client is in a call, as the others see it; mayJoin whether it may
	// join calls in progress (a family page: its contact's MayJoin; a guest: always). Set at
	// hello and with every config the client is sent.
	party   signal.Party
	mayJoin bool
}

// The states of client.hello.
const (
	helloWaiting = iota
	helloCame
	helloLate
)

// serveWS upgrades the request and runs the connection on a goroutine of its own.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	c := &client{s: s, ip: remoteIP(r), stopped: make(chan struct{})}
	if err := s.addClient(c); err != nil {
		s.metrics.refusedConn(codeOf(err))
		httpError(w, err)
		return
	}
	t := &takeover{ResponseWriter: w}
	lib, err := websocket.Accept(t, r, &websocket.AcceptOptions{OriginPatterns: s.origins})
	if err != nil {
		if t.conn != nil {
			t.conn.Close()
		}
		s.removeClient(c)
		s.log.Info("websocket accept", "err", err)
		return
	}
	// The library's connection holds only the stand-in; closing it clears its finalizer,
	// without which its cycle of structures would never be collected.
	lib.CloseNow()
	ws := newWSConn(t.conn, t.pending)
	ws.writeTimeout = s.cfg.WriteTimeout
	c.ws.Store(ws)
	// The connection is hijacked: the handler returns, and with it net/http's goroutine and
	// what it holds (the request, its headers), about 10 KB of an idle connection.
	go func() {
		defer s.removeClient(c)
		c.run(ws)
	}()
}

// run is the connection's life: its loop until the connection ends, then the client leaves
// the hub and the connection closes. An idle connection's goroutine waits in ws.read, under
// loop and run: their frames are kept small (the work is done in functions of their own)
// so that its stack shrinks to 4 KB.
func (c *client) run(ws *wsConn) {
	start := time.Now()
	c.q.kick(c) // what was queued before the connection was there
	hello := time.AfterFunc(c.s.cfg.HelloTimeout, c.helloTimeout)
	c.pingTimer = time.AfterFunc(c.s.cfg.PingInterval, c.pingTick)
	linkTimer := c.loop(ws)
	hello.Stop()
	if linkTimer != nil {
		linkTimer.Stop()
	}
	c.end(ws, start)
}

// end is the connection's end, once its loop is over.
//
//go:noinline
func (c *client) end(ws *wsConn, start time.Time) {
	c.s.leave(c)
	// The request's log line came at the upgrade: this one says when the connection ended.
	c.s.log.Info("client left", "role", c.role, "id", c.id, "ip", c.ip, "after", time.Since(start).Round(time.Millisecond))
	if c.role == signal.RoleDevice {
		c.s.flushStatus(c)
		sctx, scancel := storeCtx()
		if err := c.s.cfg.Store.TouchDevice(sctx, c.id, c.s.cfg.Now()); err != nil {
			c.s.log.Warn("touch device", "device", c.id, "err", err)
		}
		scancel()
	}
	c.stop(websocket.StatusNormalClosure, "", false)
	c.finish(ws)
	c.pingTimer.Stop() // a firing under way sees stopped and does not set it again
}

// stop asks the connection to end with status and reason; abrupt skips the closing handshake.
// It never blocks, so the hub may call it under its lock.
func (c *client) stop(status websocket.StatusCode, reason string, abrupt bool) {
	c.stopOnce.Do(func() {
		c.stopStatus, c.stopReason, c.abrupt = status, reason, abrupt
		close(c.stopped)
		if ws := c.ws.Load(); ws != nil { // a proxy (cluster_proxy.go) has no connection
			if abrupt {
				ws.cut() // a write to a client that does not read ends now
			}
			ws.wake()
		}
	})
}

// isStopped reports whether stop was called.
func (c *client) isStopped() bool {
	select {
	case <-c.stopped:
		return true
	default:
		return false
	}
}

// stoppedByPolicy reports whether the server ended c's connection on purpose (revoked,
// expired), as opposed to the network or the client going away. A client dropped for being
// too slow (abruptly) is a network matter: its connection is most likely dead (a cut while
// messages for it piled up).
func (c *client) stoppedByPolicy() bool {
	return c.isStopped() && c.stopStatus == websocket.StatusPolicyViolation && !c.abrupt
}

// enqueue queues data for the writer, or drops the client when its queue is full.
func (c *client) enqueue(data []byte) {
	full := false
	if c.out != nil {
		select {
		case c.out <- data:
		case <-c.stopped: // going anyway
		default:
			full = true
		}
	} else {
		full = !c.q.put(c, data)
	}
	if full {
		c.s.log.Warn("dropping slow client", "ip", c.ip)
		c.stop(websocket.StatusPolicyViolation, "too slow", true)
	}
}

// send encodes m and queues it.
func (c *client) send(m signal.Message) {
	data, err := signal.Encode(m)
	if err != nil {
		c.s.log.Error("encode message", "type", m.Type, "err", err)
		return
	}
	c.enqueue(data)
}

// sendError reports err about call (may be empty) to the client.
func (c *client) sendError(callID string, err error) {
	c.send(signal.ErrorMessage(callID, protocolError(err)))
}

// fail reports err and ends the connection.
func (c *client) fail(callID string, err error) {
	c.sendError(callID, err)
	status := websocket.StatusPolicyViolation
	if errors.Is(err, ErrShuttingDown) {
		status = websocket.StatusGoingAway
	}
	c.stop(status, string(codeOf(err)), false)
}

// loop is the connection's session: challenge, hello, then the client's requests, until the
// connection fails or the client is stopped. It returns the timer of a family link's expiry.
func (c *client) loop(ws *wsConn) (linkTimer Timer) {
	var sess session
	if !c.challenge(&sess) {
		return nil
	}
	for !c.isStopped() {
		msg, err := ws.read()
		if err != nil || c.isStopped() || !c.onMessage(&sess, msg) {
			break
		}
	}
	return sess.linkTimer
}

// challenge sends the client the nonce that its hello signs.
//
//go:noinline
func (c *client) challenge(sess *session) bool {
	nonceBytes, err := c.s.random(18)
	if err != nil {
		c.fail("", err)
		return false
	}
	sess.nonce = base64.RawURLEncoding.EncodeToString(nonceBytes)
	c.send(signal.Message{Type: signal.TypeChallenge, Nonce: sess.nonce})
	return true
}

// session is what the loop keeps between a client's messages.
type session struct {
	nonce     string
	authed    bool
	linkTimer Timer
}

// onMessage acts on one message from the client; false ends the connection.
//
//go:noinline
func (c *client) onMessage(sess *session, msg wsMessage) bool {
	ctx := context.Background() // the call finishes before the loop goes on
	if msg.tooLarge {
		c.sendError("", signal.Errorf(signal.CodeTooLarge, "message over the %d byte limit", signal.MaxMessageSize))
		return true
	}
	m, err := signal.Decode(msg.data)
	if msg.binary {
		err = signal.Errorf(signal.CodeBadMessage, "binary messages are not accepted")
	}
	if err != nil {
		c.sendError(m.Call, err)
		return true
	}
	if !sess.authed {
		if m.Type != signal.TypeHello {
			c.sendError(m.Call, signal.Errorf(signal.CodeUnauthorized, "send hello first"))
			return true
		}
		if !c.hello.CompareAndSwap(helloWaiting, helloCame) {
			return false // too late: the timeout is ending the connection
		}
		if err := c.s.authenticate(ctx, c, m, sess.nonce); err != nil {
			c.s.log.Info("hello refused", "role", m.Role, "ip", c.ip, "code", codeOf(err))
			c.s.metrics.refusedConn(codeOf(err))
			c.fail("", err)
			return false
		}
		sess.authed = true
		if !c.linkExpires.IsZero() {
			sess.linkTimer = c.s.cfg.AfterFunc(c.linkExpires.Sub(c.s.cfg.Now()), c.linkExpired)
		}
		return true
	}
	if err := c.s.handle(ctx, c, m); err != nil {
		if errors.Is(err, ErrLinkExpired) || errors.Is(err, ErrLinkRevoked) || errors.Is(err, ErrDeviceRevoked) {
			c.fail(m.Call, err)
			return false
		}
		c.sendError(m.Call, err)
	}
	return true
}

// remoteIP is the request's peer address without the port. Forwarding headers are not
// trusted: the server is reached directly on the ward network.
func remoteIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
