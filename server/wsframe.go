package server

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/coder/websocket"

	"bedside/call/signal"
)

// The WebSocket frames a client sends (RFC 6455, section 5), parsed from wsConn.in.

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
