package server

import (
	"io"
	"net"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
)

// FuzzWSParse feeds the frame parser any bytes a client could send: it never panics, never
// hands over more than signal.MaxMessageSize, and either waits for more input, returns a
// message, or fails with a protocol error.
func FuzzWSParse(f *testing.F) {
	f.Add(clientFrame(true, opText, []byte(`{"type":"hello"}`)))
	f.Add(append(clientFrame(false, opText, []byte("ab")), clientFrame(true, opContinuation, []byte("cd"))...))
	f.Add(append(clientFrame(true, opPing, []byte("hi")), clientFrame(true, opBinary, []byte{1, 2})...))
	f.Add(clientFrame(true, opClose, []byte{0x03, 0xE8}))
	f.Add([]byte{0x81, 0xFF, 0x7F, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4})
	f.Add([]byte{0x81, 0x05, 'h', 'e', 'l', 'l', 'o'})
	f.Fuzz(func(t *testing.T, data []byte) {
		server, client := net.Pipe()
		defer server.Close()
		defer client.Close()
		go func() { _, _ = io.Copy(io.Discard, client) }()
		w := newWSConn(server, append([]byte(nil), data...))
		for range 64 {
			m, done, err := w.parse()
			if err != nil || !done {
				return
			}
			require.LessOrEqual(t, len(m.data), signal.MaxMessageSize)
		}
	})
}
