// Command bedside-server is the Bedside ward server: it serves the family page, the
// signaling WebSocket and the enrollment API from one SQLite file.
//
//	bedside-server -data /var/lib/bedside -addr :443 -tls-cert cert.pem -tls-key key.pem
//	bedside-server -demo -addr 127.0.0.1:8080
//
// With -demo it seeds a demo ward (bed 1, patient Maria, contact Anna) and prints a family
// link, a device pairing code, the demo bed's enrollment QR payload, a nurse console login
// and, while the demo ward keeps it, its tablet PIN (server.DemoNursePIN) on stdout. The
// nurse console is served under /console/. Two subcommands change a ward's data:
//
//	bedside-server user add -data DIR -name NAME -role admin|nurse [-ward W]
//	bedside-server enroll -data DIR -ward NAME [-bed B] [-png FILE] [-base-url URL]
package main

import (
	"bytes"
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
	"path/filepath"
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
	turnSec  string
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
	fl.StringVar(&o.turnIP, "turn-ip", "", "public IP address of the TURN relay (default: the host of -base-url or -addr)")
	fl.StringVar(&o.addAdmin, "add-admin", "", "create a console admin account with this name and print its one-time password")
	if err := fl.Parse(args); err != nil {
		return o, err
	}
	if fl.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %v", fl.Args())
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return o, errors.New("-tls-cert and -tls-key go together")
	}
	if (o.turnCert == "") != (o.turnKey == "") {
		return o, errors.New("-turn-tls-cert and -turn-tls-key go together")
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
	var secret []byte
	if o.turnSec != "" {
		b, err := os.ReadFile(o.turnSec)
		if err != nil {
			return nil, fmt.Errorf("-turn-secret-file: %w", err)
		}
		if secret = bytes.TrimSpace(b); len(secret) < 16 {
			return nil, errors.New("-turn-secret-file: the secret needs at least 16 bytes")
		}
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
	st, err := store.Open(ctx, filepath.Join(o.data, "bedside.db"), store.Options{})
	if err != nil {
		return err
	}
	defer st.Close()

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

	web, err := fs.Sub(assets.Web, "web")
	if err != nil {
		return err
	}
	var relay *server.TURN
	if o.relayOn() {
		relay, err = startTURN(o, baseURL, ln.Addr(), logger)
		if err != nil {
			return err
		}
		defer relay.Close()
	}
	srv, err := server.New(server.Config{Store: st, Logger: logger, BaseURL: baseURL, Web: web, TURN: relay})
	if err != nil {
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

	mux := http.NewServeMux()
	mux.Handle("/console/", con.Handler())
	mux.Handle("/", srv.Handler())
	hs := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    16 << 10,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	serveErr := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			serveErr <- hs.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			serveErr <- hs.Serve(ln)
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
