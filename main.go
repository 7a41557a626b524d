// Command bedside is the bedside kiosk: the Fyne app on a patient's tablet that shows their
// family's photos, calls one with a tap, and answers their calls.
//
//	bedside [-server URL] [-pair CODE] [-data DIR] [-media camera|test|file:PATH] [-auto-answer] [-windowed] [-turn-ca FILE]
//
// An unpaired kiosk started without -pair pairs on its setup screen: it scans the nurse
// console's enrollment QR code with its camera (the code carries the server, so -server may be
// left out), or, without a camera, shows its own pairing request as a QR code and a short code
// for a nurse to approve (this needs -server), or takes a typed code (so does this).
//
// main only parses flags and wires things together: the screens are in package app, the call
// engine in package call, pairing and the device's data in package provisioning, what the
// tablet adds around the screens (the engine adapter, the configuration worker, the speaker)
// in package tablet, and the -demo mode in package demo.
package main

import (
	"context"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"time"

	fyneapp "fyne.io/fyne/v2/app"

	"bedside/app"
	"bedside/call"
	"bedside/demo"
	"bedside/provisioning"
	"bedside/tablet"
)

// appID is the kiosk's Fyne application id (also in FyneApp.toml).
const appID = "org.bedside.kiosk"

// version is the kiosk's version, sent when enrolling.
var version = "0.1.0"

type options struct {
	server      string
	moreServers []string // further instances of -server's deployment
	pair        string
	data        string
	media       string
	autoAnswer  bool
	windowed    bool
	nursePIN    string
	demo        string
	demoLang    string
	verbose     bool
	noMDNS      bool
	cpuProfile  string
	memProfile  string
	turnCA      string
	turnRoots   *x509.CertPool // -turn-ca's certificates; nil: the system's roots
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bedside:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (options, error) {
	var o options
	fs := flag.NewFlagSet("bedside", flag.ContinueOnError)
	fs.StringVar(&o.server, "server", "", "ward server base URL, e.g. https://ward.example:8443 (optional once paired, or when pairing by QR code); several instances of one deployment comma-separated")
	fs.StringVar(&o.pair, "pair", "", "pair with this code at start-up (else the setup screen asks)")
	fs.StringVar(&o.data, "data", "", "device data dir (default: <user config dir>/bedside)")
	fs.StringVar(&o.media, "media", "camera", "camera|test|file:PATH: real camera and microphone, the synthetic source, or a PNG, JPEG or Y4M file as the camera")
	fs.BoolVar(&o.autoAnswer, "auto-answer", false, "answer every incoming call after the 5-second countdown")
	fs.BoolVar(&o.windowed, "windowed", false, "run in a normal window, not locked fullscreen (development)")
	fs.StringVar(&o.nursePIN, "nurse-pin", "", "set a local nurse PIN, 6 to 12 digits (kept argon2id-hashed in the app's preferences); the ward's PIN, once it arrives, wins")
	fs.StringVar(&o.demo, "demo", "", "home|incoming|auto|in-call|outgoing|setup: show the screens with made-up data, no server")
	fs.StringVar(&o.demoLang, "demo-lang", "en", "the demo patient's language (en or it)")
	fs.BoolVar(&o.verbose, "v", false, "debug logging")
	fs.BoolVar(&o.noMDNS, "no-mdns", false, "do not resolve browsers' mDNS .local addresses (never join the mDNS multicast group); for tests")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (diagnostics)")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile to this file 10 s after start (diagnostics)")
	fs.StringVar(&o.turnCA, "turn-ca", "", "PEM file of the CA certificates that the ward's TURN relay over TLS is checked against, such as the hospital's own CA (default: the system's roots)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	switch {
	case o.media == "camera", o.media == "test":
	case strings.HasPrefix(o.media, "file:") && len(o.media) > len("file:"):
	default:
		return o, fmt.Errorf("-media must be camera, test or file:PATH, not %q", o.media)
	}
	if o.server != "" {
		// Several instances of one deployment, comma-separated: the first pairs the tablet;
		// the phone moves on to the next whenever its connection is lost.
		all := strings.Split(o.server, ",")
		for _, s := range all {
			if err := provisioning.CheckServerURL(s); err != nil {
				return o, fmt.Errorf("-server %q: %w", s, err)
			}
		}
		o.server, o.moreServers = all[0], all[1:]
	}
	if o.turnCA != "" {
		var err error
		if o.turnRoots, err = call.LoadCertPool(o.turnCA); err != nil {
			return o, fmt.Errorf("-turn-ca: %w", err)
		}
	}
	if o.data == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return o, fmt.Errorf("no -data and no user config dir: %w", err)
		}
		o.data = filepath.Join(dir, "bedside")
	}
	return o, nil
}

func run(args []string) error {
	o, err := parseFlags(args)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if o.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	if o.memProfile != "" {
		time.AfterFunc(10*time.Second, func() { writeHeapProfile(o.memProfile, log) })
	}

	start := time.Now()
	a := fyneapp.NewWithID(appID)
	a.Lifecycle().SetOnStarted(func() {
		log.Info("kiosk started", "ms", time.Since(start).Milliseconds())
		// Starting (parsing fonts, decoding photos, the first layout) leaves garbage that the
		// idle kiosk would keep resident for minutes: hand it back once the first screen shows.
		time.AfterFunc(3*time.Second, debug.FreeOSMemory)
	})
	if o.demo != "" {
		return demo.Run(a, demo.Options{Screen: o.demo, Lang: o.demoLang, Media: o.media,
			Windowed: o.windowed, AutoAnswer: o.autoAnswer}, log)
	}

	store, err := provisioning.NewDeviceStore(provisioning.DeviceStoreConfig{Dir: o.data, Logger: log})
	if err != nil {
		return err
	}
	id, err := provisioning.LoadOrCreateIdentity(o.data)
	if err != nil {
		return err
	}
	pins, err := provisioning.NewNursePIN(a.Preferences(), o.nursePIN, rand.Reader, log)
	if errors.Is(err, provisioning.ErrNursePIN) {
		// A kiosk service restarts whatever stops it: refusing to start would leave the bed
		// without calls. The PIN stays as it was, and the log says why.
		log.Error("-nurse-pin refused: a nurse PIN has 6 to 12 digits; the nurse PIN stays as it was")
		pins, err = provisioning.NewNursePIN(a.Preferences(), "", rand.Reader, log)
	}
	if err != nil {
		return err
	}

	local, hasCamera, err := tablet.OpenMedia(o.media, log)
	if err != nil {
		return err
	}
	if local != nil {
		defer local.Close()
		if err := local.Start(context.Background()); err != nil {
			return fmt.Errorf("start the camera: %w", err)
		}
	}
	sp := tablet.NewSpeaker(log)
	defer sp.Close()
	dev := tablet.NewDevice(tablet.Config{Dir: o.data, Server: o.server, MoreServers: o.moreServers, Version: version, Store: store,
		Identity: id, Local: local, Speaker: sp, PIN: pins, Logger: log, NoMDNS: o.noMDNS, TURNRoots: o.turnRoots})
	if !dev.Paired() && o.pair != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := dev.Pair(ctx, o.pair)
		cancel()
		if err != nil {
			log.Warn("pairing with -pair failed; the setup screen asks for a code", "err", err)
		}
	}
	paired := dev.Paired()
	cached := app.Patient{}
	if paired {
		cached = dev.CachedPatient()
	}

	k, err := app.New(app.Config{
		App:             a,
		Pairer:          dev,
		Camera:          tablet.Camera(hasCamera, local),
		Audio:           sp,
		Logger:          log,
		NursePIN:        pins,
		Paired:          paired,
		Kiosk:           !o.windowed,
		ForceAutoAnswer: o.autoAnswer,
		Patient:         cached,
		OnRepair:        dev.Repair,
		KeepAwake:       tablet.XsetAwake(log),
	})
	if err != nil {
		return err
	}
	dev.Attach(k)
	k.Window().ShowAndRun()
	k.Close()
	dev.StopPhone()
	return nil
}

// writeHeapProfile writes the live heap, after a collection, to path.
func writeHeapProfile(path string, log *slog.Logger) {
	runtime.GC()
	f, err := os.Create(path)
	if err != nil {
		log.Error("heap profile", "err", err)
		return
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		log.Error("heap profile", "err", err)
	}
}
