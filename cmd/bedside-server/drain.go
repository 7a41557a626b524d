package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"bedside/server"
)

// metricsServer serves srv's internal handler (/metrics, /readyz, /healthz) on addr, which
// only the monitoring network should reach. It returns the function that stops it.
func metricsServer(addr string, srv *server.Server, logger *slog.Logger) (stop func(context.Context) error, err error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("-metrics-listen: %w", err)
	}
	hs := server.NewHTTPServer(srv.MetricsHandler(), server.HTTPLimits{Logger: logger})
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			logger.Error("metrics listener", "err", err)
		}
	}()
	logger.Info("metrics", "addr", ln.Addr().String())
	return hs.Shutdown, nil
}

// drainPoll is how often a drain looks whether any client is still connected.
const drainPoll = 100 * time.Millisecond

// drain makes srv report not-ready and refuse new connections, then gives the connected
// clients grace (a load balancer notices, calls being set up connect) before returning; it
// returns sooner when no client is connected.
func drain(srv *server.Server, grace time.Duration, logger *slog.Logger) {
	srv.Drain()
	logger.Info("draining", "grace", grace.String(), "connections", srv.Connections())
	end := time.NewTimer(grace)
	defer end.Stop()
	tick := time.NewTicker(drainPoll)
	defer tick.Stop()
	for srv.Connections() > 0 {
		select {
		case <-end.C:
			return
		case <-tick.C:
		}
	}
}
