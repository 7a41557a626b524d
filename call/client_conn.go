package call

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"bedside/call/signal"

	"github.com/coder/websocket"
)

// connection is one authenticated WebSocket: its bounded send queue, and done, closed when it
// is over.
type connection struct {
	out   chan []byte
	done  chan struct{}
	drop  func()             // ends the connection at once (Client.Reconnect)
	check chan time.Duration // asks the pinger for a ping now, answered within the duration
}

// connectOnce dials, authenticates and serves one connection until it drops or ctx is done.
// welcomed says whether the server welcomed us on it.
func (c *Client) connectOnce(ctx context.Context) (welcomed bool, err error) {
	hctx, cancel := context.WithTimeout(ctx, c.cfg.HandshakeTimeout)
	defer cancel()
	ws, _, err := websocket.Dial(hctx, c.endpoint(), &websocket.DialOptions{
		HTTPClient: c.httpClient(),
		HTTPHeader: c.cfg.HTTPHeader,
	})
	if err != nil {
		return false, fmt.Errorf("call: dial: %w", err)
	}
	ws.SetReadLimit(signal.MaxMessageSize)
	welcome, err := c.handshake(hctx, ws)
	if err != nil {
		ws.CloseNow()
		return false, err
	}
	return true, c.serve(ctx, ws, welcome)
}

// handshake answers the challenge and waits for welcome. A family client sends its hello at
// once (its hello does not depend on the nonce); a device signs the challenge's nonce.
func (c *Client) handshake(ctx context.Context, ws *websocket.Conn) (signal.Message, error) {
	if c.cfg.Signer == nil {
		hello := signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: c.cfg.FamilyToken}
		if err := writeMessage(ctx, ws, hello); err != nil {
			return signal.Message{}, err
		}
	}
	for {
		m, err := readMessage(ctx, ws)
		if err != nil {
			return signal.Message{}, fmt.Errorf("call: handshake: %w", err)
		}
		switch m.Type {
		case signal.TypeChallenge:
			if c.cfg.Signer == nil {
				continue
			}
			sig := c.cfg.Signer.Sign(signal.HelloPayload(m.Nonce))
			hello := signal.Message{
				Type:   signal.TypeHello,
				Role:   signal.RoleDevice,
				Device: c.cfg.Signer.DeviceID(),
				Sig:    base64.StdEncoding.EncodeToString(sig),
			}
			if err := writeMessage(ctx, ws, hello); err != nil {
				return signal.Message{}, err
			}
		case signal.TypeWelcome:
			return m, nil
		case signal.TypeError:
			err := &signal.Error{Code: m.Code, Message: m.Message}
			switch m.Code {
			case signal.CodeUnauthorized, signal.CodeForbidden, signal.CodeRevoked,
				signal.CodeLinkExpired, signal.CodeLinkRevoked:
				return signal.Message{}, fmt.Errorf("%w: %w", ErrAuth, err)
			}
			return signal.Message{}, fmt.Errorf("call: handshake: %w", err)
		default:
			c.log.Debug("ignoring message before welcome", "type", m.Type)
		}
	}
}

// serve runs one authenticated connection: a writer goroutine draining the bounded queue with
// write deadlines, a pinger, a watcher that closes the socket politely when ctx ends, and the
// reader here. It returns why the connection ended, once every goroutine has stopped.
func (c *Client) serve(ctx context.Context, ws *websocket.Conn, welcome signal.Message) error {
	// The socket's own context is detached from ctx so that a normal shutdown can still send a
	// close frame; cancel kills it at once.
	sctx, cancel := context.WithCancel(context.Background())
	conn := &connection{out: make(chan []byte, c.cfg.QueueSize), done: make(chan struct{}),
		check: make(chan time.Duration, 1)}
	var wg sync.WaitGroup
	var errOnce sync.Once
	var lostErr error
	fail := func(err error) {
		errOnce.Do(func() { lostErr = err })
		cancel()
	}
	conn.drop = func() { fail(errReconnect) }
	wg.Add(3)
	go func() { defer wg.Done(); c.writer(sctx, ws, conn, fail) }()
	go func() { defer wg.Done(); c.pinger(sctx, ws, conn.check, fail) }()
	go func() {
		defer wg.Done()
		select {
		case <-ctx.Done():
			_ = ws.Close(websocket.StatusNormalClosure, "bye")
			cancel()
		case <-sctx.Done():
		}
	}()

	c.apply(welcome)
	c.mu.Lock()
	c.conn = conn
	select {
	case <-c.welcomed:
	default:
		close(c.welcomed)
	}
	c.mu.Unlock()
	c.log.Info("signaling connected")

	if c.deliver(ctx, Inbound{Message: welcome}) {
		for {
			m, err := readMessage(sctx, ws)
			if err != nil {
				var perr *signal.Error
				if errors.As(err, &perr) && perr.Code != signal.CodeTooLarge {
					// A malformed message from the server: skip it, keep the connection.
					c.log.Warn("bad message from server", "code", perr.Code, "type", m.Type)
					continue
				}
				fail(err)
				break
			}
			c.apply(m)
			if !c.deliver(ctx, Inbound{Message: m}) {
				break
			}
		}
	}
	fail(ctx.Err())
	c.mu.Lock()
	c.conn = nil
	c.mu.Unlock()
	close(conn.done)
	wg.Wait()
	ws.CloseNow()
	if lostErr == nil {
		lostErr = ErrNotConnected
	}
	if ctx.Err() == nil {
		c.deliver(ctx, Inbound{Disconnected: true, Err: lostErr})
	}
	return lostErr
}

func (c *Client) writer(ctx context.Context, ws *websocket.Conn, conn *connection, fail func(error)) {
	for {
		select {
		case <-ctx.Done():
			return
		case data := <-conn.out:
			wctx, cancel := context.WithTimeout(ctx, c.cfg.WriteTimeout)
			err := ws.Write(wctx, websocket.MessageText, data)
			cancel()
			if err != nil {
				fail(fmt.Errorf("call: write: %w", err))
				return
			}
		}
	}
}

// pinger pings every PingInterval, and at once when asked on check (Client.Check), and fails
// the connection when a ping is not answered in time.
func (c *Client) pinger(ctx context.Context, ws *websocket.Conn, check <-chan time.Duration, fail func(error)) {
	t := time.NewTicker(c.cfg.PingInterval)
	defer t.Stop()
	for {
		wait := c.cfg.WriteTimeout
		select {
		case <-ctx.Done():
			return
		case d := <-check:
			wait = min(wait, d)
		case <-t.C:
		}
		pctx, cancel := context.WithTimeout(ctx, wait)
		err := ws.Ping(pctx)
		cancel()
		if err != nil {
			fail(fmt.Errorf("call: ping: %w", err))
			return
		}
	}
}

// readMessage reads and decodes one message. A message the socket cannot deliver (closed, or
// over the read limit) is a transport error; one that does not decode is a *signal.Error.
func readMessage(ctx context.Context, ws *websocket.Conn) (signal.Message, error) {
	typ, data, err := ws.Read(ctx)
	if err != nil {
		return signal.Message{}, fmt.Errorf("call: read: %w", err)
	}
	if typ != websocket.MessageText {
		return signal.Message{}, signal.Errorf(signal.CodeBadMessage, "binary message")
	}
	return signal.Decode(data)
}

func writeMessage(ctx context.Context, ws *websocket.Conn, m signal.Message) error {
	data, err := signal.Encode(m)
	if err != nil {
		return fmt.Errorf("call: encode %s: %w", m.Type, err)
	}
	if err := ws.Write(ctx, websocket.MessageText, data); err != nil {
		return fmt.Errorf("call: write %s: %w", m.Type, err)
	}
	return nil
}

// jitter returns a duration between d/2 and d, so that a ward's tablets do not all reconnect
// in the same instant after a server restart.
func jitter(d time.Duration) time.Duration {
	half := d / 2
	return half + rand.N(d-half+1)
}
