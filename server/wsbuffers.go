package server

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
)

// wsBufferSize is the size of a WebSocket connection's read and write buffers. net/http hands
// a hijacked connection 4 KB of each, kept for the connection's life: 8 KB of every idle
// page. Signaling messages are small; a larger one is read or written in several pieces.
const wsBufferSize = 1024

// smallBuffers is a ResponseWriter whose Hijack returns the connection with buffers of
// wsBufferSize, holding whatever the client sent past the upgrade request already.
type smallBuffers struct{ http.ResponseWriter }

func (w smallBuffers) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	// Through the ResponseController: the request log's writer wraps the connection's.
	conn, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err != nil {
		return nil, nil, err
	}
	pending, err := brw.Reader.Peek(brw.Reader.Buffered())
	if err != nil {
		conn.Close()
		return nil, nil, err
	}
	pending = bytes.Clone(pending)
	r := bufio.NewReaderSize(io.MultiReader(bytes.NewReader(pending), conn), max(wsBufferSize, len(pending)))
	if len(pending) > 0 {
		// Into r's buffer: the WebSocket library resets r's source to the connection and keeps
		// only what r has buffered.
		if _, err := r.Peek(len(pending)); err != nil {
			conn.Close()
			return nil, nil, err
		}
	}
	return conn, bufio.NewReadWriter(r, bufio.NewWriterSize(conn, wsBufferSize)), nil
}
