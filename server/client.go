package server

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"

	"bedside/call/signal"
)

const (
	// sendQueue is how many messages may wait for a slow client before it is dropped.
	sendQueue = 64
	// writeTimeout bounds every write to a client.
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

// client is one WebSocket connection: an actor whose loop goroutine owns its session, fed by
// a reader goroutine; the loop also drains its bounded send queue, and a short-lived goroutine
// pings now and then. An idle connection is two goroutines: each costs its stack (about 8 KB),
// and 20,000 idle connections are the goal of one server.
type client struct {
	s    *Server
	conn *websocket.Conn
	ip   string
	out  chan []byte
	// cancelWrite cuts a write in progress; stop calls it when it drops the client abruptly.
	cancelWrite context.CancelFunc
	writeCtx    context.Context

	stopOnce   sync.Once
	stopped    chan struct{} // closed when the connection must end
	stopStatus websocket.StatusCode
	stopReason string
	abrupt     bool // close without the closing handshake (the client is too slow)
	cancelRead context.CancelFunc

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

// inbound is one read from the connection.
type inbound struct {
	data     []byte
	tooLarge bool
	err      error
}

// serveWS upgrades the request and runs the connection on a goroutine of its own.
func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	c := &client{s: s, ip: remoteIP(r), out: make(chan []byte, sendQueue), stopped: make(chan struct{})}
	c.writeCtx, c.cancelWrite = context.WithCancel(context.Background())
	if err := s.addClient(c); err != nil {
		s.metrics.refusedConn(codeOf(err))
		httpError(w, err)
		return
	}
	conn, err := websocket.Accept(smallBuffers{w}, r, &websocket.AcceptOptions{OriginPatterns: s.origins})
	if err != nil {
		s.removeClient(c)
		s.log.Info("websocket accept", "err", err)
		return
	}
	c.conn = conn
	// The connection is hijacked: the handler returns, and with it net/http's goroutine and
	// what it holds (the request, its headers), about 10 KB of an idle connection.
	go func() {
		defer s.removeClient(c)
		c.run()
	}()
}

// run starts the reader and runs the loop until the connection ends, then closes it.
func (c *client) run() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c.cancelRead = cancel
	c.conn.SetReadLimit(hardReadLimit)
	in := make(chan inbound)
	readerDone := make(chan struct{})
	go c.reader(ctx, in, readerDone)

	start := time.Now()
	pinging := c.loop(ctx, in)

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
	c.finish()
	cancel()
	c.conn.CloseNow()
	if pinging != nil {
		<-pinging
	}
	<-readerDone
	c.cancelWrite()
}

// stop asks the connection to end with status and reason; abrupt skips the closing handshake.
// It never blocks, so the hub may call it under its lock.
func (c *client) stop(status websocket.StatusCode, reason string, abrupt bool) {
	c.stopOnce.Do(func() {
		c.stopStatus, c.stopReason, c.abrupt = status, reason, abrupt
		close(c.stopped)
		if abrupt && c.cancelWrite != nil { // a proxy (cluster_proxy.go) has its own writer
			c.cancelWrite() // a write to a client that does not read ends now
		}
	})
}

// stoppedByPolicy reports whether the server ended c's connection on purpose (revoked,
// expired), as opposed to the network or the client going away. A client dropped for being
// too slow (abruptly) is a network matter: its connection is most likely dead (a cut while
// messages for it piled up).
func (c *client) stoppedByPolicy() bool {
	select {
	case <-c.stopped:
		return c.stopStatus == websocket.StatusPolicyViolation && !c.abrupt
	default:
		return false
	}
}

// enqueue queues data for the writer, or drops the client when its queue is full.
func (c *client) enqueue(data []byte) {
	select {
	case c.out <- data:
	case <-c.stopped: // going anyway
	default:
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

// finish ends the connection once the loop is over: abruptly, or after sending what is queued
// and the close frame.
func (c *client) finish() {
	if c.abrupt {
		c.conn.CloseNow()
		return
	}
	for {
		select {
		case data := <-c.out:
			if c.write(data) != nil {
				c.conn.CloseNow()
				return
			}
		default:
			c.closeGracefully()
			return
		}
	}
}

// ping pings the client and drops it when no pong comes back in time; done is closed after.
func (c *client) ping(done chan<- struct{}) {
	defer close(done)
	ctx, cancel := context.WithTimeout(c.writeCtx, pingTimeout)
	defer cancel()
	if err := c.conn.Ping(ctx); err != nil {
		c.stop(websocket.StatusPolicyViolation, "no pong", true)
	}
}

// closeGracefully sends the close frame and waits a little for the client's, then closes
// regardless (the library itself would wait 5 s for a client that is not reading).
func (c *client) closeGracefully() {
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.conn.Close(c.stopStatus, c.stopReason)
	}()
	t := time.NewTimer(closeWait)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		c.cancelRead() // the reader's context closes the connection under the handshake
		<-done
	}
}

func (c *client) write(data []byte) error {
	ctx, cancel := context.WithTimeout(c.writeCtx, writeTimeout)
	defer cancel()
	return c.conn.Write(ctx, websocket.MessageText, data)
}

// reader reads messages and hands them to the loop until the connection fails. Once the
// connection is stopping it keeps reading (and dropping) until the closing handshake is done
// or ctx is cancelled, so that the client's close frame is seen.
func (c *client) reader(ctx context.Context, in chan<- inbound, done chan<- struct{}) {
	defer close(done)
	for {
		typ, r, err := c.conn.Reader(ctx)
		var msg inbound
		if err == nil {
			// A fresh buffer each time: an idle connection keeps no large one.
			msg.data, err = io.ReadAll(io.LimitReader(r, signal.MaxMessageSize+1))
			if err == nil && len(msg.data) > signal.MaxMessageSize {
				msg.tooLarge, msg.data = true, nil
				_, err = io.Copy(io.Discard, r)
			}
			if typ != websocket.MessageText {
				msg.data = nil // answered as a malformed message
			}
		}
		msg.err = err
		select {
		case in <- msg:
		case <-c.stopped:
		case <-ctx.Done():
			return
		}
		if err != nil {
			return
		}
	}
}

// loop is the connection's session: challenge, hello, then the client's requests; it writes
// what is queued for the client, and starts a ping every PingInterval. It returns the done
// channel of a ping still in flight, or nil.
func (c *client) loop(ctx context.Context, in <-chan inbound) (pinging chan struct{}) {
	nonceBytes, err := c.s.random(18)
	if err != nil {
		c.fail("", err)
		return nil
	}
	nonce := base64.RawURLEncoding.EncodeToString(nonceBytes)
	c.send(signal.Message{Type: signal.TypeChallenge, Nonce: nonce})
	hello := time.NewTimer(c.s.cfg.HelloTimeout)
	defer hello.Stop()
	pings := time.NewTicker(c.s.cfg.PingInterval)
	defer pings.Stop()
	authed := false
	var linkEnded chan struct{} // closed when a family page's link expires
	var linkTimer Timer
	defer func() {
		if linkTimer != nil {
			linkTimer.Stop()
		}
	}()
	for {
		select {
		case <-c.stopped:
			return pinging
		case data := <-c.out:
			if err := c.write(data); err != nil {
				c.stop(websocket.StatusAbnormalClosure, "", true)
				return pinging
			}
		case <-pings.C:
			if pinging != nil {
				select {
				case <-pinging:
				default:
					continue // the last one is still waiting for its pong
				}
			}
			pinging = make(chan struct{})
			go c.ping(pinging)
		case <-linkEnded:
			c.s.log.Info("family link expired while connected", "contact", c.id, "ip", c.ip)
			c.fail("", ErrLinkExpired)
			return pinging
		case <-hello.C:
			if !authed {
				c.s.log.Info("no hello in time", "ip", c.ip)
				c.s.metrics.refusedConn(codeOf(ErrHelloTimeout))
				c.fail("", ErrHelloTimeout)
				return pinging
			}
		case msg := <-in:
			if msg.err != nil {
				return pinging
			}
			if msg.tooLarge {
				c.sendError("", signal.Errorf(signal.CodeTooLarge, "message over the %d byte limit", signal.MaxMessageSize))
				continue
			}
			m, err := signal.Decode(msg.data)
			if msg.data == nil {
				err = signal.Errorf(signal.CodeBadMessage, "binary messages are not accepted")
			}
			if err != nil {
				c.sendError(m.Call, err)
				continue
			}
			if !authed {
				if m.Type != signal.TypeHello {
					c.sendError(m.Call, signal.Errorf(signal.CodeUnauthorized, "send hello first"))
					continue
				}
				if err := c.s.authenticate(ctx, c, m, nonce); err != nil {
					c.s.log.Info("hello refused", "role", m.Role, "ip", c.ip, "code", codeOf(err))
					c.s.metrics.refusedConn(codeOf(err))
					c.fail("", err)
					return pinging
				}
				authed = true
				hello.Stop()
				if !c.linkExpires.IsZero() {
					ch := make(chan struct{})
					linkEnded = ch
					linkTimer = c.s.cfg.AfterFunc(c.linkExpires.Sub(c.s.cfg.Now()), func() { close(ch) })
				}
				continue
			}
			if err := c.s.handle(ctx, c, m); err != nil {
				if errors.Is(err, ErrLinkExpired) || errors.Is(err, ErrLinkRevoked) || errors.Is(err, ErrDeviceRevoked) {
					c.fail(m.Call, err)
					return pinging
				}
				c.sendError(m.Call, err)
			}
		}
	}
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
