// Command bedside-server is the Bedside ward server: it serves the family page, the
// signaling WebSocket and the enrollment API from one SQLite file.
//
//	bedside-server -data /var/lib/bedside -addr :443 -tls-cert cert.pem -tls-key key.pem
//	bedside-server -demo -addr 127.0.0.1:8080
//
// The embedded TURN relay runs with -turn, -turn-tcp and/or -turn-tls; with -turn-url the
// server hands out an external relay (coturn, use-auth-secret) instead, whose
// static-auth-secret is in -turn-secret-file. deploy/server.md has a two-instance setup.
//
// With -metrics-listen ADDR it serves /metrics (Prometheus text format), /readyz and /healthz
// on that internal address too. On SIGTERM it drains: /readyz answers 503 and new WebSocket
// connections are refused at once; the connected clients get -drain-grace (5 s), then are told
// the server is shutting down (they reconnect elsewhere; their calls go on) and it exits.
//
// With -demo it seeds a demo ward (bed 1, patient Maria, contact Anna) and prints a family
// link, the contact's id, a device pairing code, the demo bed's enrollment QR payload, a
// nurse console login and, while the demo ward keeps it, its tablet PIN (server.DemoNursePIN)
// on stdout. The nurse console is served under /console/. Two subcommands change a ward's data:
//
//	bedside-server user add -data DIR -name NAME -role admin|nurse [-ward W]
//	bedside-server enroll -data DIR -ward NAME [-bed B] [-png FILE] [-base-url URL]
package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"bedside/assets"
	"bedside/provisioning"
	"bedside/server"
	"bedside/server/console"
	"bedside/server/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	handled, err := subcommand(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if !handled {
		err = run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bedside-server:", err)
		os.Exit(1)
	}
}

// options are the command line flags.
type options struct {
	addr     string
	data     string
	db       string // a postgres:// URL or a SQLite file; empty: bedside.db in data
	demo     bool
	tlsCert  string
	tlsKey   string
	baseURL  string
	logLevel string
	addAdmin string
	turn     string
	turnTCP  string
	turnTLS  string
	turnCert string
	turnKey  string
	turnHost string
	turnIP   string
	// retentionDays is how long a discharged patient's personal data is kept.
	retentionDays int
	metricsListen string        // internal address of /metrics and /readyz; off when empty
	drainGrace    time.Duration // how long connected clients keep the server on SIGTERM
	turnSec       string
	turnURLs      urlList       // an external relay's URLs (-turn-url); the embedded relay is off
	turnTTL       time.Duration // how long relay credentials last
	cluster       string        // PostgreSQL database joining this instance to others; off when empty
	clusterLease  time.Duration // how long a ward's owner holds it without renewing
	maxConns      int           // connections open at once in all; 0: HTTPLimits' default
}

// relayOn says whether any TURN listener is asked for.
func (o options) relayOn() bool { return o.turn != "" || o.turnTCP != "" || o.turnTLS != "" }

// demoAdmin is the console account that -demo creates when it is missing.
const demoAdmin = "admin"

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fl := flag.NewFlagSet("bedside-server", flag.ContinueOnError)
	fl.SetOutput(stderr)
	fl.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fl.StringVar(&o.data, "data", "data", "directory of the database (bedside.db), created when missing")
	fl.StringVar(&o.db, "db", "", dbUsage)
	fl.BoolVar(&o.demo, "demo", false, "seed a demo ward and print a family link and a pairing code")
	fl.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM); serve HTTPS with -tls-key")
	fl.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM)")
	fl.StringVar(&o.baseURL, "base-url", "", "public URL of the server for printed links (default from -addr)")
	fl.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	fl.StringVar(&o.turn, "turn", "", "UDP address for the embedded TURN relay, e.g. :3478 (off when empty)")
	fl.StringVar(&o.turnTCP, "turn-tcp", "", "TCP address for TURN over TCP, e.g. :3478 (off when empty)")
	fl.StringVar(&o.turnTLS, "turn-tls", "", "address for TURN over TLS, e.g. :5349, or :443 where nothing else gets out (off when empty)")
	fl.StringVar(&o.turnCert, "turn-tls-cert", "", "TLS certificate file (PEM) of TURN over TLS (default: -tls-cert)")
	fl.StringVar(&o.turnKey, "turn-tls-key", "", "TLS private key file (PEM) of TURN over TLS (default: -tls-key)")
	fl.StringVar(&o.turnHost, "turn-host", "", "name of the relay in the ICE servers' URLs, which its TLS certificate names (default: the host of -base-url, or -turn-ip)")
	fl.StringVar(&o.turnSec, "turn-secret-file", "", "file holding the relay's shared secret (what coturn's static-auth-secret would be); random at each start when empty")
	fl.Var(&o.turnURLs, "turn-url", "an external relay (coturn with use-auth-secret) to hand out instead of the embedded one, e.g. turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349?transport=tcp (repeat it, or separate with commas); needs -turn-secret-file")
	fl.DurationVar(&o.turnTTL, "turn-credential-ttl", time.Hour, "how long the relay credentials in each welcome last; coturn refuses them after that even in a call, so behind -turn-url make it longer than the longest relayed call (a revoked link keeps coturn's relay that long)")
	fl.StringVar(&o.turnIP, "turn-ip", "", "public IP address of the TURN relay (default: the host of -base-url or -addr)")
	fl.IntVar(&o.retentionDays, "retention-days", 30, "days a discharged patient's contacts, links, photos and name are kept before they are deleted")
	fl.StringVar(&o.metricsListen, "metrics-listen", "", "internal address for /metrics, /readyz and /healthz, e.g. 127.0.0.1:9090 (off when empty); never the public one")
	fl.DurationVar(&o.drainGrace, "drain-grace", 5*time.Second, "on SIGTERM, how long connected clients keep the server (not ready, refusing new connections) before they are told to reconnect elsewhere")
	fl.StringVar(&o.addAdmin, "add-admin", "", "create a console admin account with this name and print its one-time password")
	fl.StringVar(&o.cluster, "cluster", "", "PostgreSQL database (postgres:// URL) that joins this instance to the others serving the same data: calls and signaling pass between them through it; default: -db when it is PostgreSQL; \"off\": a single instance")
	fl.DurationVar(&o.clusterLease, "cluster-lease", 5*time.Second, "with -cluster, how long an instance holds a ward without renewing: a stopped instance's wards move to another within about this")
	fl.IntVar(&o.maxConns, "max-conns", 0, "most connections open at once, WebSockets included (default: the open-file limit less 128, at most 16,384); each idle one costs about 16 KB over TLS, and the open-file limit must be at least this plus 128")
	if err := fl.Parse(args); err != nil {
		return o, err
	}
	if fl.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fl.Args())
	}
	if o.clusterLease < 300*time.Millisecond || o.clusterLease > 5*time.Minute {
		return o, fmt.Errorf("-cluster-lease %s: want 300ms to 5m", o.clusterLease)
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return o, errors.New("-tls-cert and -tls-key go together")
	}
	if err := checkMaxConns(o.maxConns); err != nil {
		return o, err
	}
	if o.retentionDays < 1 || o.retentionDays > 3650 {
		return o, fmt.Errorf("-retention-days %d: want 1 to 3650", o.retentionDays)
	}
	if o.drainGrace < 0 || o.drainGrace > 10*time.Minute {
		return o, fmt.Errorf("-drain-grace %s: want 0 to 10m", o.drainGrace)
	}
	if o.metricsListen != "" && o.metricsListen == o.addr && !strings.HasSuffix(o.addr, ":0") {
		return o, errors.New("-metrics-listen must not be the public -addr")
	}
	if (o.turnCert == "") != (o.turnKey == "") {
		return o, errors.New("-turn-tls-cert and -turn-tls-key go together")
	}
	if err := o.checkRelayFlags(); err != nil {
		return o, err
	}
	if o.turnCert == "" {
		o.turnCert, o.turnKey = o.tlsCert, o.tlsKey
	}
	if o.turnTLS != "" && o.turnCert == "" {
		return o, errors.New("-turn-tls needs a certificate: -turn-tls-cert and -turn-tls-key, or -tls-cert and -tls-key")
	}
	return o, nil
}

// startTURN starts the embedded relay on the -turn addresses, announced at -turn-ip, or else at
// the IP of the base URL or of the listening address.
func startTURN(o options, baseURL string, addr net.Addr, logger *slog.Logger) (*server.TURN, error) {
	var host string
	if u, err := url.Parse(baseURL); err == nil {
		host = u.Hostname()
	}
	var ip net.IP
	if o.turnIP != "" {
		if ip = net.ParseIP(o.turnIP); ip == nil {
			return nil, fmt.Errorf("-turn-ip %q is not an IP address", o.turnIP)
		}
	} else {
		ip = net.ParseIP(host)
		if ip == nil || ip.IsUnspecified() {
			if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsUnspecified() {
				ip = tcp.IP
			}
		}
		if ip == nil || ip.IsUnspecified() {
			return nil, errors.New("-turn needs -turn-ip: the relay's public IP address")
		}
	}
	if o.turnHost != "" {
		host = o.turnHost
	} else if h := net.ParseIP(host); h != nil {
		host = "" // an address: the relay's own is right
	}
	secret, err := readTURNSecret(o.turnSec)
	if err != nil {
		return nil, err
	}
	relay, err := server.NewTURN(server.TURNConfig{Secret: secret, Listen: o.turn, TCPListen: o.turnTCP, TLSListen: o.turnTLS,
		TLSCertFile: o.turnCert, TLSKeyFile: o.turnKey, PublicIP: ip, Host: host, Logger: logger,
		AllowLoopback: ip.IsLoopback()})
	if err != nil {
		return nil, err
	}
	attrs := []any{"public_ip", ip.String()}
	for _, a := range []struct {
		name string
		addr net.Addr
	}{{"udp", relay.Addr()}, {"tcp", relay.TCPAddr()}, {"tls", relay.TLSAddr()}} {
		if a.addr != nil {
			attrs = append(attrs, a.name, a.addr.String())
		}
	}
	logger.Info("TURN relay", attrs...)
	return relay, nil
}

// certificatePin is the pin of the TLS certificate that tablets check when they pair, or nil
// without TLS.
func certificatePin(certFile, keyFile string) ([]byte, error) {
	if certFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("TLS certificate: %w", err)
	}
	return provisioning.CertificatePin(cert.Certificate[0]), nil
}

// run is the whole program: it serves until ctx is cancelled, then shuts down cleanly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("-log-level: %w", err)
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

	if err := os.MkdirAll(o.data, 0o700); err != nil {
		return fmt.Errorf("data directory: %w", err)
	}
	target := dbTarget(o.db, o.data)
	st, err := store.Open(ctx, target, store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()
	logger.Info("store open", "engine", st.Engine(), "db", store.RedactURL(target))

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	baseURL := o.baseURL
	if baseURL == "" {
		baseURL = scheme + "://" + ln.Addr().String()
	}
	logger.Info("listening", "addr", ln.Addr().String(), "url", baseURL)

	web, err := fs.Sub(assets.Web, "web")
	if err != nil {
		return err
	}
	var relay *server.TURN
	switch {
	case len(o.turnURLs) > 0:
		relay, err = startExternalTURN(o, logger)
	case o.relayOn():
		relay, err = startTURN(o, baseURL, ln.Addr(), logger)
	}
	if err != nil {
		return err
	}
	if relay != nil {
		defer relay.Close()
	}
	var bus server.Bus
	if o.cluster == "" && store.IsPostgresURL(target) {
		o.cluster = target // several instances may share it: join them
	}
	if o.cluster != "" && o.cluster != "off" {
		pg, err := server.NewPGBus(ctx, o.cluster, "")
		if err != nil {
			return fmt.Errorf("-cluster: %w", err)
		}
		logger.Info("cluster instance", "id", pg.ID())
		bus = pg
	}
	srv, err := server.New(server.Config{Store: st, Logger: logger, BaseURL: baseURL, Web: web, TURN: relay,
		TURNCredentialTTL: o.turnTTL, Retention: time.Duration(o.retentionDays) * 24 * time.Hour, Bus: bus, LeaseTTL: o.clusterLease})
	if err != nil {
		if bus != nil {
			bus.Close()
		}
		return err
	}
	pin, err := certificatePin(o.tlsCert, o.tlsKey)
	if err != nil {
		return err
	}
	consoleFiles, err := fs.Sub(assets.Console, "console")
	if err != nil {
		return err
	}
	con, err := console.New(console.Config{Store: st, Files: consoleFiles, Hub: srv, Logger: logger,
		BaseURL: baseURL, Secure: o.tlsCert != "", Pairing: provisioning.Payload{Pin: pin}})
	if err != nil {
		return err
	}
	if o.demo {
		if err := demoLines(ctx, st, baseURL, pin, stdout); err != nil {
			return err
		}
	}
	if o.addAdmin != "" {
		pw, err := console.AddUser(ctx, st, o.addAdmin, store.RoleAdmin, nil, rand.Reader)
		if err != nil {
			return fmt.Errorf("-add-admin: %w", err)
		}
		fmt.Fprintf(stdout, "nurse login: %s %s\n", o.addAdmin, pw)
	}

	if o.metricsListen != "" {
		stopMetrics, err := metricsServer(o.metricsListen, srv, logger)
		if err != nil {
			return err
		}
		defer func() {
			sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = stopMetrics(sctx)
		}()
	}

	mux := http.NewServeMux()
	mux.Handle("/console/", con.Handler())
	mux.Handle("/", srv.Handler())
	// Header and body deadlines, and connection caps per address and in all: a client that
	// trickles its requests, or opens hundreds, does not take the server from everyone else.
	limits := server.HTTPLimits{Logger: logger, MaxConns: o.maxConns}
	hs := server.NewHTTPServer(mux, limits)
	limited := server.LimitListener(ln, limits)
	serveErr := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			serveErr <- hs.ServeTLS(limited, o.tlsCert, o.tlsKey)
		} else {
			serveErr <- hs.Serve(limited)
		}
	}()
	logger.Info("serving", "addr", ln.Addr().String(), "url", baseURL)

	select {
	case err := <-serveErr:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	logger.Info("shutting down")
	drain(srv, o.drainGrace, logger)
	srv.Close() // WebSockets are hijacked: Shutdown does not wait for them
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-serveErr; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
