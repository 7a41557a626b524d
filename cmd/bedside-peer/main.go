// Command bedside-peer is a headless Bedside call-engine peer: the tablet's call engine without
// a screen, for benchmarks, load tests and demos. It connects to a ward server as the bedside
// device (enrolling with a pairing code the first time) or as a family link, sends the test
// pattern and tone or a picture file, answers or places calls, and prints one line of figures
// per interval while a call is up.
//
//	bedside-peer -server http://127.0.0.1:8080 -pair ABCD-EFGH -data ./peer -auto-answer
//	bedside-peer -server http://127.0.0.1:8080 -family-token TOKEN -dial patient -duration 30s
//	bedside-peer ... -media file:clip.y4m -stats-every 1s -cpuprofile cpu.pprof
//	bedside-peer ... -turn-ca hospital-ca.pem   (a relay over TLS with the hospital's own CA)
//
// Output lines on stdout, each "key=value" pairs after a word:
//
//	ready device=ID
//	call state=in-call dir=incoming call=ID
//	stats t=3.0s state=connected fps=30.0 frames=84 size=640x480 in_kbps=1043 out_kbps=1012 rtt_ms=0.4 sent_fps=30.0 sent_frames=90 encode_ms=6.1 ...
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	ossignal "os/signal"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"bedside/call"
	"bedside/call/media"
	"bedside/call/signal"
	"bedside/provisioning"
)

func main() {
	ctx, stop := ossignal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "bedside-peer:", err)
		if errors.Is(err, errUsage) {
			os.Exit(2)
		}
		os.Exit(1)
	}
}

var errUsage = errors.New("usage")

// options are the command line flags.
type options struct {
	server      string
	servers     []string // -server split at commas; server is the first
	pair        string
	familyToken string
	data        string
	media       string
	autoAnswer  bool
	join        bool
	dial        string
	duration    time.Duration
	statsEvery  time.Duration
	loopback    bool
	noMDNS      bool
	cpuProfile  string
	logLevel    string
	name        string
	turnCA      string
	turnRoots   *x509.CertPool // -turn-ca's certificates; nil: the system's roots
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("bedside-peer", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.server, "server", "", "ward server URL, like http://127.0.0.1:8080 (required); several instances of one deployment comma-separated, tried in turn when a connection is lost")
	fs.StringVar(&o.pair, "pair", "", "pairing code or enrollment token: connect as the bedside device, enrolling first if needed")
	fs.StringVar(&o.familyToken, "family-token", "", "connect as this family link (the token of /j/TOKEN)")
	fs.StringVar(&o.data, "data", "", "directory of the device identity (default: a fresh temporary one)")
	fs.StringVar(&o.media, "media", "test", "what to send: test (moving pattern and tone) or file:PATH (PNG, JPEG or Y4M)")
	fs.BoolVar(&o.autoAnswer, "auto-answer", false, "answer every incoming call at once")
	fs.BoolVar(&o.join, "join", false, "as a family link, join every call of the patient in progress that this link may join (group calls)")
	fs.StringVar(&o.dial, "dial", "", "place one call: a contact id (as the device) or \"patient\" (as a family link), then exit when it ends")
	fs.DurationVar(&o.duration, "duration", 0, "hang up each call this long after it is up (0: leave it to the other end)")
	fs.DurationVar(&o.statsEvery, "stats-every", time.Second, "print a stats line this often during a call (0: never)")
	fs.BoolVar(&o.loopback, "loopback", false, "gather ICE candidates on loopback addresses only")
	fs.BoolVar(&o.noMDNS, "no-mdns", false, "do not resolve mDNS .local candidates (never join the mDNS multicast group)")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file")
	fs.StringVar(&o.logLevel, "log-level", "warn", "log level on stderr: debug, info, warn, error")
	fs.StringVar(&o.name, "name", "bedside-peer", "device name given when enrolling")
	fs.StringVar(&o.turnCA, "turn-ca", "", "PEM file of the CA certificates that a TURN relay over TLS (turns:) is checked against, such as the hospital's own CA (default: the system's roots)")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w: %v", errUsage, err)
	}
	switch {
	case fs.NArg() > 0:
		return o, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	case o.server == "":
		return o, fmt.Errorf("%w: -server is required", errUsage)
	case (o.pair == "") == (o.familyToken == ""):
		return o, fmt.Errorf("%w: give exactly one of -pair and -family-token", errUsage)
	case o.media != "test" && !strings.HasPrefix(o.media, "file:"):
		return o, fmt.Errorf("%w: -media is test or file:PATH", errUsage)
	case o.duration < 0 || o.statsEvery < 0:
		return o, fmt.Errorf("%w: -duration and -stats-every cannot be negative", errUsage)
	case o.join && o.familyToken == "":
		return o, fmt.Errorf("%w: only a family link can -join", errUsage)
	case o.familyToken != "" && o.dial != "" && o.dial != "patient":
		return o, fmt.Errorf("%w: a family link can only -dial patient", errUsage)
	}
	o.servers = strings.Split(o.server, ",")
	for _, s := range o.servers {
		if err := provisioning.CheckServerURL(s); err != nil {
			return o, fmt.Errorf("%w: -server: %v", errUsage, err)
		}
	}
	o.server = o.servers[0] // enrolls there
	if o.turnCA != "" {
		var err error
		if o.turnRoots, err = call.LoadCertPool(o.turnCA); err != nil {
			return o, fmt.Errorf("%w: -turn-ca: %v", errUsage, err)
		}
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return fmt.Errorf("%w: -log-level: %v", errUsage, err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			_ = f.Close()
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			err = errors.Join(err, f.Close())
		}()
	}

	cfg := call.Config{Logger: log, AutoAnswer: o.autoAnswer, LoopbackOnly: o.loopback, NoMDNS: o.noMDNS,
		TURNRoots: o.turnRoots}
	if cfg.ServerURL, err = signal.URL(o.server); err != nil {
		return fmt.Errorf("%w: -server: %v", errUsage, err)
	}
	for _, s := range o.servers[1:] {
		u, err := signal.URL(s)
		if err != nil {
			return fmt.Errorf("%w: -server: %v", errUsage, err)
		}
		cfg.ServerURLs = append(cfg.ServerURLs, u)
	}
	who := "family"
	if o.pair != "" {
		id, cleanup, err := deviceIdentity(ctx, o)
		if err != nil {
			return err
		}
		defer cleanup()
		cfg.Signer, who = id, "device="+id.DeviceID()
	} else {
		cfg.FamilyToken = o.familyToken
	}

	local, err := openMedia(o.media, log)
	if err != nil {
		return err
	}
	defer local.Close()
	if err := local.Start(ctx); err != nil {
		return err
	}
	cfg.Media = local
	phone, err := call.New(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- phone.Run(ctx) }()
	p := &peer{o: o, phone: phone, local: local, out: stdout, log: log}
	loopErr := p.loop(ctx, cancel, who)
	cancel()
	return errors.Join(loopErr, <-ran)
}

// deviceIdentity loads the device identity from -data and enrolls it with -pair when it has no
// device id yet. Without -data the identity lives in a temporary directory that cleanup
// removes (the pairing code is used up: that device cannot come back).
func deviceIdentity(ctx context.Context, o options) (id *provisioning.Identity, cleanup func(), err error) {
	dir, remove := o.data, func() {}
	if dir == "" {
		tmp, err := os.MkdirTemp("", "bedside-peer-")
		if err != nil {
			return nil, nil, err
		}
		dir, remove = tmp, func() { _ = os.RemoveAll(tmp) }
	}
	id, err = provisioning.LoadOrCreateIdentity(filepath.Join(dir, "identity"))
	if err != nil {
		remove()
		return nil, nil, err
	}
	if id.DeviceID() != "" {
		return id, remove, nil
	}
	ectx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := provisioning.Enroll(ectx, o.server, o.pair, id, o.name, "bedside-peer"); err != nil {
		remove()
		return nil, nil, fmt.Errorf("enrolling: %w", err)
	}
	return id, remove, nil
}

// openMedia makes the outgoing media of -media.
func openMedia(spec string, log *slog.Logger) (*media.Local, error) {
	if path, ok := strings.CutPrefix(spec, "file:"); ok {
		return media.NewFile(path, media.FileOptions{Logger: log})
	}
	return media.NewTest(media.TestOptions{Logger: log})
}
