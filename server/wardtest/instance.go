package wardtest

import (
	"io/fs"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"bedside/assets"
	"bedside/server"
)

// Instance is another server instance on a ward's database, as in a deployment of several
// instances behind one name (server.Config.Bus joins them).
type Instance struct {
	tb   testing.TB
	addr string
	hs   *http.Server
	bus  server.Bus

	URL string // http://127.0.0.1:port
	Srv *server.Server

	mu    sync.Mutex
	conns map[net.Conn]struct{} // every connection accepted, hijacked ones too
}

// AddInstance starts another server on w's store, on its own loopback listener, with the
// configuration w's Options give it, then changed by tweak (which sets its Bus). It stops
// when the test ends, before w.
func (w *Ward) AddInstance(tb testing.TB, tweak func(*server.Config)) *Instance {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(tb, "listen", err)
	in := &Instance{tb: tb, addr: ln.Addr().String(), conns: make(map[net.Conn]struct{})}
	in.URL = "http://" + in.addr
	cfg := server.Config{Store: w.Store, Web: w.webFS(tb), Logger: w.Logger().With("instance", in.addr),
		BaseURL: w.URL, Now: w.opts.Now, AfterFunc: w.opts.AfterFunc}
	if w.opts.Config != nil {
		w.opts.Config(&cfg)
	}
	if tweak != nil {
		tweak(&cfg)
	}
	in.bus = cfg.Bus
	in.Srv, err = server.New(cfg)
	must(tb, "new server instance", err)
	in.hs = &http.Server{Handler: in.Srv.Handler(), ReadHeaderTimeout: 10 * time.Second,
		ConnState: func(c net.Conn, st http.ConnState) {
			if st == http.StateNew {
				in.mu.Lock()
				in.conns[c] = struct{}{}
				in.mu.Unlock()
			}
		}}
	go func() { _ = in.hs.Serve(ln) }()
	tb.Cleanup(in.Stop)
	return in
}

// WSURL is the instance's signaling endpoint.
func (in *Instance) WSURL() string { return "ws://" + in.addr + "/ws" }

// Stop stops the instance as SIGTERM does: its clients are told, and its wards released.
func (in *Instance) Stop() {
	if in.Srv == nil {
		return
	}
	in.Srv.Close()
	if err := in.hs.Close(); err != nil {
		in.tb.Errorf("wardtest: close the instance's listener: %v", err)
	}
	in.Srv = nil
}

// Kill stops the instance as a crash does: its bus goes first (its leases stay until they
// expire, and nothing more reaches the other instances), then every connection is cut
// without a word.
func (in *Instance) Kill() {
	if in.Srv == nil {
		return
	}
	if in.bus != nil {
		_ = in.bus.Close()
	}
	_ = in.hs.Close()
	in.mu.Lock()
	for c := range in.conns {
		_ = c.Close()
	}
	in.mu.Unlock()
	in.Srv.Close()
	in.Srv = nil
}

// webFS is the family page's files.
func (w *Ward) webFS(tb testing.TB) fs.FS {
	web, err := fs.Sub(assets.Web, "web")
	must(tb, "family page files", err)
	return web
}
