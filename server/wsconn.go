package server

import (
	"bytes"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/coder/websocket"

	"bedside/call/signal"
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
	broken  atomic.Bool   // cut was called: writes fail
	pingOut atomic.Uint64 // the number of our ping that awaits its pong; 0: none

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

// writeFrame writes one final frame of op with payload, within timeout.
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
	if err := w.nc.SetWriteDeadline(time.Now().Add(timeout)); err != nil {
		return err
	}
	if w.broken.Load() { // after the deadline: cut's own deadline is not undone
		return net.ErrClosed
	}
	_, err := w.nc.Write(frame)
	return err
}

// writeText writes one text message.
func (w *wsConn) writeText(data []byte) error { return w.writeFrame(opText, data, writeTimeout) }

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

// protocolError closes the connection with status and says why.
func (w *wsConn) protocolError(status websocket.StatusCode, format string, args ...any) error {
	err := fmt.Errorf("websocket: "+format, args...)
	_ = w.writeClose(status, "")
	return err
}

// parse consumes what it can of w.in. It returns done with a whole data message, or not done
// when it needs more input.
func (w *wsConn) parse() (wsMessage, bool, error) {
	defer w.keep()
	for {
		if !w.inFrame {
			ok, err := w.header()
			if err != nil || !ok {
				return wsMessage{}, false, err
			}
			continue
		}
		if w.frLeft > 0 && len(w.in) == 0 {
			return wsMessage{}, false, nil
		}
		k := min(int64(len(w.in)), w.frLeft)
		chunk := w.in[:k]
		w.in = w.in[k:]
		for i := range chunk {
			chunk[i] ^= w.frMask[(w.frPos+int64(i))%4]
		}
		w.frPos += k
		w.frLeft -= k
		w.msgSize += k
		if w.msgSize > hardReadLimit {
			return wsMessage{}, false, w.protocolError(websocket.StatusMessageTooBig, "message over %d bytes", hardReadLimit)
		}
		if !w.tooLarge {
			if w.msgSize > signal.MaxMessageSize {
				w.tooLarge, w.msg = true, nil
			} else {
				w.msg = append(w.msg, chunk...)
			}
		}
		if w.frLeft > 0 {
			return wsMessage{}, false, nil
		}
		w.inFrame = false
		if w.frFin {
			m := wsMessage{data: w.msg, binary: w.msgOp == opBinary, tooLarge: w.tooLarge}
			if m.binary {
				m.data = nil
			}
			if m.data == nil && !m.binary && !m.tooLarge {
				m.data = []byte{}
			}
			w.msgOp, w.msg, w.msgSize, w.tooLarge = 0, nil, 0, false
			return m, true, nil
		}
	}
}

// header reads a frame's header from w.in: a control frame whole (and acts on it), a data
// frame's header only; not ok when w.in does not hold enough yet.
func (w *wsConn) header() (ok bool, err error) {
	b := w.in
	if len(b) < 2 {
		return false, nil
	}
	fin, op := b[0]&0x80 != 0, b[0]&0x0F
	if b[0]&0x70 != 0 {
		return false, w.protocolError(websocket.StatusProtocolError, "reserved bits set")
	}
	if b[1]&0x80 == 0 {
		return false, w.protocolError(websocket.StatusProtocolError, "unmasked frame from a client")
	}
	n, size := int64(b[1]&0x7F), 2
	switch n {
	case 126:
		if len(b) < 4 {
			return false, nil
		}
		n, size = int64(binary.BigEndian.Uint16(b[2:])), 4
	case 127:
		if len(b) < 10 {
			return false, nil
		}
		u := binary.BigEndian.Uint64(b[2:])
		if u > 1<<62 {
			return false, w.protocolError(websocket.StatusProtocolError, "frame length %d", u)
		}
		n, size = int64(u), 10
	}
	if len(b) < size+4 {
		return false, nil
	}
	var mask [4]byte
	copy(mask[:], b[size:size+4])
	size += 4
	switch op {
	case opClose, opPing, opPong:
		if !fin || n > 125 {
			return false, w.protocolError(websocket.StatusProtocolError, "control frame fragmented or over 125 bytes")
		}
		if int64(len(b)-size) < n {
			return false, nil
		}
		payload := bytes.Clone(b[size : size+int(n)])
		w.in = b[size+int(n):]
		for i := range payload {
			payload[i] ^= mask[i%4]
		}
		return true, w.control(op, payload)
	case opText, opBinary:
		if w.msgOp != 0 {
			return false, w.protocolError(websocket.StatusProtocolError, "new message before the last one ended")
		}
		w.msgOp = op
	case opContinuation:
		if w.msgOp == 0 {
			return false, w.protocolError(websocket.StatusProtocolError, "continuation without a message")
		}
	default:
		return false, w.protocolError(websocket.StatusProtocolError, "unknown opcode %d", op)
	}
	w.in = b[size:]
	w.inFrame, w.frFin, w.frMask, w.frLeft, w.frPos = true, fin, mask, n, 0
	return true, nil
}

// control acts on a control frame: a ping is answered, a pong ends the wait for it, a close
// frame is answered with the same status and ends the reads.
func (w *wsConn) control(op byte, payload []byte) error {
	switch op {
	case opPing:
		return w.writeFrame(opPong, payload, controlTimeout)
	case opPong:
		if len(payload) == 8 {
			w.pingOut.CompareAndSwap(binary.BigEndian.Uint64(payload), 0)
		}
		return nil
	}
	if w.sentClose { // the answer to ours
		return errPeerClosed
	}
	status, reason := websocket.StatusNoStatusRcvd, ""
	switch {
	case len(payload) == 1:
		return w.protocolError(websocket.StatusProtocolError, "close frame of 1 byte")
	case len(payload) >= 2:
		status, reason = websocket.StatusCode(binary.BigEndian.Uint16(payload)), string(payload[2:])
	}
	if status == websocket.StatusNoStatusRcvd {
		w.sentClose = true
		_ = w.writeFrame(opClose, nil, controlTimeout)
	} else {
		_ = w.writeClose(status, reason)
	}
	return errPeerClosed
}

// keep lets go of w.in's array once it is all parsed, or copies a small rest out of a large
// one, so that an idle connection holds no buffer.
func (w *wsConn) keep() {
	switch {
	case len(w.in) == 0:
		w.in = nil
	case cap(w.in) > 4*len(w.in) && cap(w.in) > 512:
		w.in = bytes.Clone(w.in)
	}
}
