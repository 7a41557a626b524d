package server

import (
	"cmp"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"
)

// WebSocket opcodes (RFC 6455, section 5.2).
const (
	opContinuation = 0x0
	opText         = 0x1
	opBinary       = 0x2
	opClose        = 0x8
	opPing         = 0x9
	opPong         = 0xA
)

// controlTimeout bounds the write of a pong or a close frame.
const controlTimeout = 5 * time.Second

var (
	// errWoken ends a read that another goroutine interrupted (wsConn.wake).
	errWoken = errors.New("websocket: read interrupted")
	// errPeerClosed ends the reads of a connection whose client sent a close frame.
	errPeerClosed = errors.New("websocket: closed by the client")
	// scratch holds the buffers that reads go through; an idle connection holds none.
	scratch = sync.Pool{New: func() any { b := make([]byte, 4096); return &b }}
	// aLongTimeAgo is a deadline in the past: it interrupts a read or a write at once.
	aLongTimeAgo = time.Unix(1, 0)
)

// wsConn is the server's end of one WebSocket connection once the opening handshake is done
// (websocket.Accept does it): messages and control frames, read by one goroutine (the
// client's) with a parser that can stop anywhere and go on when more bytes come, and written
// by any goroutine, one frame at a time.
//
// An idle connection costs no buffer and a shallow stack: its goroutine waits for the socket
// to become readable (wait) before it takes a scratch buffer, instead of blocking in a read
// deep inside the TLS and WebSocket code. Another goroutine interrupts that wait with wake.
type wsConn struct {
	nc  net.Conn        // the connection; a *tls.Conn over TLS
	raw syscall.RawConn // the socket under it; nil: a read waits instead
	tls bool            // nc may hold input already taken from the socket

	woken   atomic.Bool   // wake was called: reads end with errWoken
	broken  atomic.Bool   // cut was called, or a write failed: writes fail
	pingOut atomic.Uint64 // the number of our ping that awaits its pong; 0: none
	// until, once hurry set it, is the latest any write may end (Unix nanoseconds); 0: none.
	until atomic.Int64
	// writeTimeout bounds the write of a message; writeTimeout (the constant) when zero.
	writeTimeout time.Duration

	wmu sync.Mutex // one frame at a time on the wire

	// Read state, owned by the reading goroutine.
	in        []byte // bytes read and not parsed yet; nil when there are none
	inFrame   bool   // in the payload of a data frame
	frFin     bool   // the frame ends its message
	frMask    [4]byte
	frLeft    int64 // payload bytes of the frame still to come
	frPos     int64 // payload bytes of the frame read, for the mask's phase
	msgOp     byte  // the data message being read: opText or opBinary; 0: none
	msg       []byte
	msgSize   int64
	tooLarge  bool
	closing   bool // the closing handshake: reads ignore wake
	sentClose bool
}

// wsMessage is one data message from the client: a text message's bytes, or nil for a binary
// one; tooLarge when it was over signal.MaxMessageSize (and dropped).
type wsMessage struct {
	data     []byte
	binary   bool
	tooLarge bool
}

func newWSConn(nc net.Conn, pending []byte) *wsConn {
	w := &wsConn{nc: nc}
	if len(pending) > 0 {
		w.in = pending
	}
	inner := nc
	if t, ok := nc.(*tls.Conn); ok {
		w.tls = true
		inner = t.NetConn()
	}
	if sc, ok := inner.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			w.raw = rc
		}
	}
	return w
}

// wake makes the reading goroutine's read end with errWoken, now or at its next read.
func (w *wsConn) wake() {
	w.woken.Store(true)
	_ = w.nc.SetReadDeadline(aLongTimeAgo)
}

// cut makes writes fail from now on, a write in progress included: the client is dropped
// without ceremony.
func (w *wsConn) cut() {
	w.broken.Store(true)
	_ = w.nc.SetWriteDeadline(aLongTimeAgo)
}

// hurry makes every write end by until, the one in progress included: a closing server does
// not wait a full write timeout for a client that no longer takes what it is sent.
func (w *wsConn) hurry(until time.Time) {
	w.until.Store(until.UnixNano())
	_ = w.nc.SetWriteDeadline(until)
	if w.broken.Load() { // after the deadline: cut's own is not undone
		_ = w.nc.SetWriteDeadline(aLongTimeAgo)
	}
}

// writeFrame writes one final frame of op with payload, within timeout (and by hurry's
// until).
func (w *wsConn) writeFrame(op byte, payload []byte, timeout time.Duration) error {
	frame := make([]byte, 0, 10+len(payload))
	frame = append(frame, 0x80|op)
	switch n := len(payload); {
	case n < 126:
		frame = append(frame, byte(n))
	case n <= 0xFFFF:
		frame = append(frame, 126, byte(n>>8), byte(n))
	default:
		frame = append(frame, 127)
		frame = binary.BigEndian.AppendUint64(frame, uint64(n))
	}
	frame = append(frame, payload...)
	w.wmu.Lock()
	defer w.wmu.Unlock()
	deadline := time.Now().Add(timeout)
	if u := w.until.Load(); u != 0 && u < deadline.UnixNano() {
		deadline = time.Unix(0, u)
	}
	if err := w.nc.SetWriteDeadline(deadline); err != nil {
		return err
	}
	// After the deadline: cut's and hurry's own deadlines are not undone.
	if w.broken.Load() {
		return net.ErrClosed
	}
	if u := w.until.Load(); u != 0 && u < deadline.UnixNano() {
		_ = w.nc.SetWriteDeadline(time.Unix(0, u))
	}
	_, err := w.nc.Write(frame)
	return err
}

// writeText writes one text message.
func (w *wsConn) writeText(data []byte) error {
	return w.writeFrame(opText, data, cmp.Or(w.writeTimeout, writeTimeout))
}

// writeClose sends the close frame with status and reason, once.
func (w *wsConn) writeClose(status websocket.StatusCode, reason string) error {
	if w.sentClose {
		return nil
	}
	w.sentClose = true
	if len(reason) > 123 {
		reason = reason[:123]
	}
	p := binary.BigEndian.AppendUint16(nil, uint16(status))
	return w.writeFrame(opClose, append(p, reason...), controlTimeout)
}

// ping sends ping number n; its pong clears pingOut.
func (w *wsConn) ping(n uint64) error {
	w.pingOut.Store(n)
	return w.writeFrame(opPing, binary.BigEndian.AppendUint64(nil, n), controlTimeout)
}

// closeHandshake sends the close frame and reads (dropping messages) until the client's comes
// back or wait passes, as RFC 6455 asks before the TCP connection is closed.
func (w *wsConn) closeHandshake(status websocket.StatusCode, reason string, wait time.Duration) {
	w.closing = true
	if w.writeClose(status, reason) != nil {
		return
	}
	_ = w.nc.SetReadDeadline(time.Now().Add(wait))
	for {
		if _, err := w.read(); err != nil {
			return
		}
	}
}

// read returns the client's next data message. It answers pings, takes pongs and answers a
// close frame (then fails with errPeerClosed) on the way. A protocol error sends the close
// frame that says so and fails.
func (w *wsConn) read() (wsMessage, error) {
	for {
		m, done, err := w.parse()
		if err != nil || done {
			return m, err
		}
		if err := w.fill(); err != nil {
			return wsMessage{}, err
		}
	}
}

// fill reads more input into w.in. With nothing pending it first waits for the socket to be
// readable, holding no buffer.
func (w *wsConn) fill() error {
	if len(w.in) == 0 && !w.closing {
		if w.woken.Load() {
			return errWoken
		}
		if w.tls {
			// Input may sit decrypted in the TLS connection, which the socket no longer shows:
			// a read that cannot wait takes it.
			if err := w.readSome(true); err == nil || !isTimeout(err) {
				return err
			}
		}
		if w.raw != nil {
			if err := w.wait(); err != nil {
				return w.readErr(err)
			}
		}
	}
	return w.readSome(false)
}

// readSome reads once into w.in; now: without waiting (a timeout when nothing is there).
func (w *wsConn) readSome(now bool) error {
	if now {
		_ = w.nc.SetReadDeadline(aLongTimeAgo)
	}
	buf := scratch.Get().(*[]byte)
	n, err := w.nc.Read(*buf)
	w.in = append(w.in, (*buf)[:n]...)
	scratch.Put(buf)
	if now {
		// Cleared before wake is looked at: a wake after this still interrupts.
		_ = w.nc.SetReadDeadline(time.Time{})
		if w.woken.Load() {
			return errWoken
		}
	}
	if n > 0 {
		return nil
	}
	return w.readErr(err)
}

func (w *wsConn) readErr(err error) error {
	if !w.closing && w.woken.Load() {
		return errWoken
	}
	return err
}

// wait blocks until the socket has input (or an error, or the end) or the read deadline
// passes. It peeks at one byte, so it sees input that an earlier read left in the socket.
func (w *wsConn) wait() error {
	return w.raw.Read(func(fd uintptr) bool {
		var b [1]byte
		_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return err != syscall.EAGAIN && err != syscall.EWOULDBLOCK
	})
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }
