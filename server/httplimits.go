package server

import (
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// HTTPLimits bounds what clients can hold of the ward's HTTP server: how long they may take
// to send a request's headers and body, and how many connections they may keep open. Zero
// fields take the defaults.
type HTTPLimits struct {
	// HeaderTimeout is how long a client has to send a request's headers; 10 s.
	HeaderTimeout time.Duration
	// BodyTimeout, plus the body's announced size at MinBodyRate, is how long a client has to
	// send a request's body; 10 s. A client that trickles its body is cut off then, and a
	// body the server refused without reading is not waited for longer either.
	BodyTimeout time.Duration
	// MinBodyRate is the slowest a large body may arrive, in bytes per second; 32 KiB/s.
	MinBodyRate int
	// IdleTimeout closes a kept-alive connection that sends no new request; 120 s.
	IdleTimeout time.Duration
	// MaxConns caps the open connections in all; the process's file limit less 128 (for the
	// database, the relay and the logs), at most 16,384. An operator allows more with
	// bedside-server's -max-conns (an idle WebSocket costs about 16 KB over TLS).
	MaxConns int
	// MaxConnsPerIP caps the open connections of one remote address; 500 (the WebSocket
	// default: a hospital's guest Wi-Fi puts many family pages behind one address).
	MaxConnsPerIP int
	Logger        *slog.Logger // discards when nil
}

func (l *HTTPLimits) defaults() {
	if l.HeaderTimeout <= 0 {
		l.HeaderTimeout = 10 * time.Second
	}
	if l.BodyTimeout <= 0 {
		l.BodyTimeout = 10 * time.Second
	}
	if l.MinBodyRate <= 0 {
		l.MinBodyRate = 32 << 10
	}
	if l.IdleTimeout <= 0 {
		l.IdleTimeout = 120 * time.Second
	}
	if l.MaxConns <= 0 {
		l.MaxConns = 16384
		var rl syscall.Rlimit
		if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err == nil && rl.Cur > 256 && rl.Cur-128 < uint64(l.MaxConns) {
			l.MaxConns = int(rl.Cur - 128)
		}
	}
	if l.MaxConnsPerIP <= 0 {
		l.MaxConnsPerIP = 500
	}
	if l.Logger == nil {
		l.Logger = slog.New(slog.DiscardHandler)
	}
}

// NewHTTPServer returns the http.Server that serves h within l: header and body deadlines,
// small headers, idle connections closed. Serve it on LimitListener's listener.
func NewHTTPServer(h http.Handler, l HTTPLimits) *http.Server {
	l.defaults()
	return &http.Server{
		Handler:           bodyDeadline(h, l),
		ReadHeaderTimeout: l.HeaderTimeout,
		IdleTimeout:       l.IdleTimeout,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(l.Logger.Handler(), slog.LevelWarn),
	}
}

// bodyDeadline sets the read deadline of every request that carries a body: BodyTimeout plus
// its announced size at MinBodyRate. The server's own ReadTimeout cannot do this, as it would
// also cut the WebSocket connections (GET requests, without a body, which get no deadline
// here). A deadline also bounds what Go reads of a refused body after the handler returns.
func bodyDeadline(next http.Handler, l HTTPLimits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength != 0 && r.Body != nil && r.Body != http.NoBody {
			d := l.BodyTimeout
			if r.ContentLength > 0 {
				d += time.Duration(r.ContentLength) * time.Second / time.Duration(l.MinBodyRate)
			}
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		next.ServeHTTP(w, r)
	})
}

// LimitListener returns ln with l's connection caps: a connection over MaxConns in all, or
// over MaxConnsPerIP from its address, is closed as soon as it is accepted, so that one
// address cannot take every file descriptor and the server stays up for everyone else.
func LimitListener(ln net.Listener, l HTTPLimits) net.Listener {
	l.defaults()
	return &limitListener{Listener: ln, lim: l, perIP: make(map[string]int)}
}

type limitListener struct {
	net.Listener
	lim HTTPLimits

	mu    sync.Mutex
	total int
	perIP map[string]int
}

// Accept returns the next connection within the caps, closing those over them.
func (ln *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip := connIP(c)
		if ln.take(ip) {
			return &limitedConn{Conn: c, release: func() { ln.release(ip) }}, nil
		}
		ln.lim.Logger.Debug("connection refused: too many open", "ip", ip)
		c.Close()
	}
}

func (ln *limitListener) take(ip string) bool {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	if ln.total >= ln.lim.MaxConns || ln.perIP[ip] >= ln.lim.MaxConnsPerIP {
		return false
	}
	ln.total++
	ln.perIP[ip]++
	return true
}

func (ln *limitListener) release(ip string) {
	ln.mu.Lock()
	defer ln.mu.Unlock()
	ln.total--
	if ln.perIP[ip]--; ln.perIP[ip] <= 0 {
		delete(ln.perIP, ip)
	}
}

// limitedConn gives its place back once, when it is closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

// SyscallConn reaches the socket, so that an idle WebSocket can wait for input without a
// buffer (wsConn.wait).
func (c *limitedConn) SyscallConn() (syscall.RawConn, error) {
	if sc, ok := c.Conn.(syscall.Conn); ok {
		return sc.SyscallConn()
	}
	return nil, errors.ErrUnsupported
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// connIP is a connection's remote address without the port.
func connIP(c net.Conn) string {
	host, _, err := net.SplitHostPort(c.RemoteAddr().String())
	if err != nil {
		return c.RemoteAddr().String()
	}
	return host
}
