package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// readyTimeout bounds the store ping of /readyz: a store that takes longer is not ready.
const readyTimeout = 2 * time.Second

// Drain begins a graceful stop: from now on /readyz answers 503, so that a load balancer sends
// new clients to another instance, and new WebSocket connections are refused with
// shutting-down. The clients already connected carry on (a call being set up may finish)
// until Close, which tells them the server is shutting down; they reconnect elsewhere and
// resume their calls there. Drain returns at once; calling it again does nothing.
func (s *Server) Drain() {
	if !s.draining.Swap(true) {
		s.log.Info("draining: not ready, refusing new connections")
	}
}

// pinger is what readiness needs of a store that can check its connection cheaply.
type pinger interface {
	Ping(ctx context.Context) error
}

// ready reports why the server should not get new clients, or nil: it is draining or
// closing, or its store does not answer within readyTimeout.
func (s *Server) ready(ctx context.Context) error {
	s.mu.Lock()
	closing := s.closing
	s.mu.Unlock()
	if closing || s.draining.Load() {
		return ErrShuttingDown
	}
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var err error
	if p, ok := s.cfg.Store.(pinger); ok {
		err = p.Ping(ctx)
	} else {
		_, err = s.cfg.Store.Wards(ctx) // a small read all the same
	}
	if err != nil {
		return fmt.Errorf("server: store does not answer: %w", err)
	}
	return nil
}

// serveReady is /readyz: 200 "ready" when the server takes new clients, else 503 with why
// (draining, or the store not answering; the store's error itself goes to the log only).
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	err := s.ready(r.Context())
	now := readyNow
	switch {
	case err == nil:
		fmt.Fprintln(w, "ready")
	case errors.Is(err, ErrShuttingDown):
		now = readyDraining
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "draining")
	default:
		now = readyNoStore
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintln(w, "store not answering")
	}
	s.noteReady(now, err)
}

// readiness is what /readyz answers, in short.
type readiness int32

// The readinesses.
const (
	readyNow      readiness = iota // takes new clients
	readyDraining                  // draining or closing
	readyNoStore                   // the store does not answer
)

func (r readiness) String() string {
	switch r {
	case readyNow:
		return "ready"
	case readyDraining:
		return "draining"
	case readyNoStore:
		return "store not answering"
	}
	return "unknown"
}

// noteReady logs a change of readiness (err is why it is not ready), and nothing when a probe
// finds it as the last one did: a load balancer probes every few seconds, and a line each time
// would bury the rest of the log. Each change is logged once, by the probe that made it.
func (s *Server) noteReady(now readiness, err error) {
	was := readiness(s.readyWas.Swap(int32(now)))
	switch {
	case was == now:
	case now == readyNow:
		s.log.Info("ready again", "was", was)
	case now == readyNoStore:
		s.log.Warn("not ready", "reason", now, "err", err)
	default:
		s.log.Info("not ready", "reason", now)
	}
}

// MetricsHandler returns the handler of the internal listener: /metrics (Prometheus text
// format), /readyz and /healthz. Serve it on an address only the monitoring network reaches,
// never beside Handler: the public handler has no /metrics.
func (s *Server) MetricsHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /metrics", s.serveMetrics)
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.HandleFunc("GET /healthz", s.serveHealth)
	return mux
}

// Connections is how many WebSocket connections are open: a drain may stop waiting when none
// is left.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.clients)
}
