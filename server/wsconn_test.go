package server

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
)

// clientFrame is a masked frame as a client sends it.
func clientFrame(fin bool, op byte, payload []byte) []byte {
	b := []byte{op}
	if fin {
		b[0] |= 0x80
	}
	switch n := len(payload); {
	case n < 126:
		b = append(b, 0x80|byte(n))
	case n <= 0xFFFF:
		b = append(b, 0x80|126, byte(n>>8), byte(n))
	default:
		b = append(b, 0x80|127)
		b = binary.BigEndian.AppendUint64(b, uint64(n))
	}
	mask := [4]byte{0x12, 0x34, 0x56, 0x78}
	b = append(b, mask[:]...)
	for i, c := range payload {
		b = append(b, c^mask[i%4])
	}
	return b
}

// serverFrame reads one frame from the server: its opcode and payload; op 0xFF on a
// failure (a masked frame, or the pipe closed).
func serverFrame(r io.Reader) (op byte, payload []byte) {
	var h [2]byte
	if _, err := io.ReadFull(r, h[:]); err != nil || h[1]&0x80 != 0 {
		return 0xFF, nil
	}
	n := int(h[1] & 0x7F)
	switch n {
	case 126:
		var x [2]byte
		if _, err := io.ReadFull(r, x[:]); err != nil {
			return 0xFF, nil
		}
		n = int(binary.BigEndian.Uint16(x[:]))
	case 127:
		return 0xFF, nil // the server sends nothing that large here
	}
	payload = make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0xFF, nil
	}
	return h[0] & 0x0F, payload
}

// pipeWS is a wsConn on one end of a pipe: each write at the other end is one read or more
// (the pipe hands over what a read asks for), so a stream can be cut anywhere.
func pipeWS(t *testing.T) (*wsConn, net.Conn) {
	server, client := net.Pipe()
	t.Cleanup(func() { server.Close(); client.Close() })
	return newWSConn(server, nil), client
}

// TestWSConnResumesAnywhere cuts a stream of frames (a fragmented message with a ping in the
// middle, then a small message) at every byte: the parser resumes where the input stopped.
func TestWSConnResumesAnywhere(t *testing.T) {
	var stream []byte
	stream = append(stream, clientFrame(false, opText, []byte(`{"type":`))...)
	stream = append(stream, clientFrame(true, opPing, []byte("hi"))...)
	stream = append(stream, clientFrame(false, opContinuation, []byte(`"hello",`))...)
	stream = append(stream, clientFrame(true, opContinuation, []byte(`"role":"family"}`))...)
	stream = append(stream, clientFrame(true, opText, nil)...)
	for cut := 1; cut < len(stream); cut++ {
		ws, client := pipeWS(t)
		go func() {
			_, _ = client.Write(stream[:cut])
			_, _ = client.Write(stream[cut:])
		}()
		pong := make(chan []byte, 1)
		go func() {
			op, p := serverFrame(client)
			if op == opPong {
				pong <- p
			}
		}()
		m, err := ws.read()
		require.NoError(t, err, "cut at %d", cut)
		require.Equal(t, `{"type":"hello","role":"family"}`, string(m.data), "cut at %d", cut)
		require.Equal(t, "hi", string(<-pong))
		m, err = ws.read()
		require.NoError(t, err)
		require.NotNil(t, m.data, "an empty text message is not a binary one")
		require.Empty(t, m.data)
		require.False(t, m.binary || m.tooLarge)
	}
}

func TestWSConnSizesAndKinds(t *testing.T) {
	ws, client := pipeWS(t)
	big := bytes.Repeat([]byte("x"), signal.MaxMessageSize+1)
	go func() {
		_, _ = client.Write(clientFrame(true, opBinary, []byte{1, 2, 3}))
		_, _ = client.Write(clientFrame(true, opText, big))
		_, _ = client.Write(clientFrame(true, opText, []byte(`{}`)))
	}()
	m, err := ws.read()
	require.NoError(t, err)
	require.True(t, m.binary)
	require.Nil(t, m.data)
	m, err = ws.read()
	require.NoError(t, err)
	require.True(t, m.tooLarge, "over the limit: dropped, the connection stays")
	m, err = ws.read()
	require.NoError(t, err)
	require.Equal(t, "{}", string(m.data))
}

func TestWSConnProtocolErrors(t *testing.T) {
	unmasked := clientFrame(true, opText, []byte("x"))
	unmasked[1] &^= 0x80
	for name, tc := range map[string]struct {
		in     []byte
		status websocket.StatusCode
	}{
		"unmasked":        {unmasked, websocket.StatusProtocolError},
		"reserved bits":   {append([]byte{0xC1}, clientFrame(true, opText, nil)[1:]...), websocket.StatusProtocolError},
		"unknown opcode":  {clientFrame(true, 0x3, nil), websocket.StatusProtocolError},
		"long control":    {clientFrame(true, opPing, make([]byte, 126)), websocket.StatusProtocolError},
		"lone continue":   {clientFrame(true, opContinuation, nil), websocket.StatusProtocolError},
		"two messages":    {append(clientFrame(false, opText, nil), clientFrame(true, opText, nil)...), websocket.StatusProtocolError},
		"over hard limit": {clientFrame(true, opText, make([]byte, hardReadLimit+1)), websocket.StatusMessageTooBig},
	} {
		t.Run(name, func(t *testing.T) {
			ws, client := pipeWS(t)
			go func() { _, _ = client.Write(tc.in) }()
			closed := make(chan websocket.StatusCode, 1)
			go func() {
				op, p := serverFrame(client)
				if op == opClose && len(p) >= 2 {
					closed <- websocket.StatusCode(binary.BigEndian.Uint16(p))
				}
				_, _ = io.Copy(io.Discard, client)
			}()
			_, err := ws.read()
			require.Error(t, err)
			require.Equal(t, tc.status, <-closed)
		})
	}
}

// TestWSConnClose answers the client's close frame with the same status and reason.
func TestWSConnClose(t *testing.T) {
	ws, client := pipeWS(t)
	go func() {
		_, _ = client.Write(clientFrame(true, opClose, append(binary.BigEndian.AppendUint16(nil, 4001), "bye"...)))
	}()
	echo := make(chan []byte, 1)
	go func() {
		_, p := serverFrame(client)
		echo <- p
	}()
	_, err := ws.read()
	require.ErrorIs(t, err, errPeerClosed)
	require.Equal(t, append(binary.BigEndian.AppendUint16(nil, 4001), "bye"...), <-echo)
	require.True(t, ws.sentClose)
}

// TestWSConnWake interrupts a read that waits for input, and the reads after it.
func TestWSConnWake(t *testing.T) {
	ws, _ := pipeWS(t)
	done := make(chan error, 1)
	go func() {
		_, err := ws.read()
		done <- err
	}()
	ws.wake()
	require.ErrorIs(t, <-done, errWoken)
	_, err := ws.read()
	require.True(t, errors.Is(err, errWoken))
}

// TestWSConnPong clears the ping that the pong answers, not another.
func TestWSConnPong(t *testing.T) {
	ws, client := pipeWS(t)
	go func() { _, _ = serverFrame(client) }()
	require.NoError(t, ws.ping(7))
	require.EqualValues(t, 7, ws.pingOut.Load())
	go func() {
		_, _ = client.Write(clientFrame(true, opPong, binary.BigEndian.AppendUint64(nil, 6)))
		_, _ = client.Write(clientFrame(true, opPong, binary.BigEndian.AppendUint64(nil, 7)))
		_, _ = client.Write(clientFrame(true, opText, []byte("{}")))
	}()
	_, err := ws.read()
	require.NoError(t, err)
	require.Zero(t, ws.pingOut.Load(), "the pong of ping 7 came")
}
