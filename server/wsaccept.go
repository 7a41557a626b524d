package server

import (
	"bufio"
	"bytes"
	"net"
	"net/http"
	"time"
)

// takeover is the ResponseWriter that websocket.Accept upgrades: the library checks the
// request (method, headers, origin), answers 101 and hijacks the connection, then gets a
// stand-in for it, and the connection is the server's own (wsConn). The library's framing
// would keep a goroutine blocked in a read deep in its code and in TLS's for as long as a
// connection lives, with its buffers: 20,000 idle connections are the goal of one server.
type takeover struct {
	http.ResponseWriter
	conn    net.Conn // the hijacked connection, after Accept
	pending []byte   // what the client sent after its request, already read
}

func (t *takeover) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	// Through the ResponseController: the request log's writer wraps the connection's.
	conn, brw, err := http.NewResponseController(t.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	pending, err := brw.Reader.Peek(brw.Reader.Buffered())
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	t.conn, t.pending = conn, bytes.Clone(pending)
	stand := standIn{local: conn.LocalAddr(), remote: conn.RemoteAddr()}
	return stand, bufio.NewReadWriter(bufio.NewReaderSize(stand, 16), bufio.NewWriterSize(stand, 16)), nil
}

// standIn is what the WebSocket library holds instead of the connection it accepted: it
// reads and writes nothing, and closing it (the library's finalizer does) closes nothing.
type standIn struct{ local, remote net.Addr }

func (standIn) Read([]byte) (int, error)         { return 0, net.ErrClosed }
func (standIn) Write([]byte) (int, error)        { return 0, net.ErrClosed }
func (standIn) Close() error                     { return nil }
func (s standIn) LocalAddr() net.Addr            { return s.local }
func (s standIn) RemoteAddr() net.Addr           { return s.remote }
func (standIn) SetDeadline(time.Time) error      { return nil }
func (standIn) SetReadDeadline(time.Time) error  { return nil }
func (standIn) SetWriteDeadline(time.Time) error { return nil }
