// Command bedside is the bedside kiosk: the Fyne app on a patient's tablet that shows their
// family's photos, calls one with a tap, and answers their calls.
//
//	bedside [-server URL] [-pair CODE] [-data DIR] [-media camera|test|file:PATH] [-auto-answer] [-windowed]
//
// An unpaired kiosk started without -pair pairs on its setup screen: it scans the nurse
// console's enrollment QR code with its camera (the code carries the server, so -server may be
// left out), or, without a camera, shows its own pairing request as a QR code and a short code
// for a nurse to approve (this needs -server), or takes a typed code (so does this).
//
// main only parses flags and wires things together: the screens are in package app, the call
// engine in package call, pairing and the device's data in package provisioning.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	fyneapp "fyne.io/fyne/v2/app"

	"bedside/app"
	"bedside/call/media"
	"bedside/call/signal"
	"bedside/provisioning"
)

// appID is the kiosk's Fyne application id (also in FyneApp.toml).
const appID = "org.bedside.kiosk"

// version is the kiosk's version, sent when enrolling.
var version = "0.1.0"

// defaultNursePIN is the nurse PIN until one is set with -nurse-pin.
const defaultNursePIN = "2580"

type options struct {
	server     string
	pair       string
	data       string
	media      string
	autoAnswer bool
	windowed   bool
	nursePIN   string
	demo       string
	demoLang   string
	verbose    bool
	cpuProfile string
	memProfile string
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
	fs.StringVar(&o.server, "server", "", "ward server base URL, e.g. https://ward.example:8443 (optional once paired, or when pairing by QR code)")
	fs.StringVar(&o.pair, "pair", "", "pair with this code at start-up (else the setup screen asks)")
	fs.StringVar(&o.data, "data", "", "device data dir (default: <user config dir>/bedside)")
	fs.StringVar(&o.media, "media", "camera", "camera|test|file:PATH: real camera and microphone, the synthetic source, or a PNG, JPEG or Y4M file as the camera")
	fs.BoolVar(&o.autoAnswer, "auto-answer", false, "answer every incoming call after the 5-second countdown")
	fs.BoolVar(&o.windowed, "windowed", false, "run in a normal window, not locked fullscreen (development)")
	fs.StringVar(&o.nursePIN, "nurse-pin", "", "set the nurse PIN, 4 to 12 digits (kept hashed in the app's preferences)")
	fs.StringVar(&o.demo, "demo", "", "home|incoming|auto|in-call|outgoing|setup: show the screens with made-up data, no server")
	fs.StringVar(&o.demoLang, "demo-lang", "en", "the demo patient's language (en or it)")
	fs.BoolVar(&o.verbose, "v", false, "debug logging")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (diagnostics)")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile to this file 10 s after start (diagnostics)")
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
		if err := provisioning.CheckServerURL(o.server); err != nil {
			return o, fmt.Errorf("-server %q: %w", o.server, err)
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
		return runDemo(a, o, log)
	}

	store, err := provisioning.NewDeviceStore(provisioning.DeviceStoreConfig{Dir: o.data, Logger: log})
	if err != nil {
		return err
	}
	id, err := provisioning.LoadOrCreateIdentity(o.data)
	if err != nil {
		return err
	}
	pins, err := newPINCheck(a.Preferences(), o.nursePIN, log)
	if err != nil {
		return err
	}

	local, hasCamera, err := openMedia(o.media, log)
	if err != nil {
		return err
	}
	if local != nil {
		defer local.Close()
		if err := local.Start(context.Background()); err != nil {
			return fmt.Errorf("start the camera: %w", err)
		}
	}
	sp := newSpeaker(log)
	defer sp.Close()
	w := &wiring{opts: o, log: log, store: store, id: id, speaker: sp, local: local, srv: o.server, pins: pins}
	if pr, err := store.LoadPairing(); err == nil {
		if o.server != "" && o.server != pr.Server {
			log.Warn("-server differs from the server this tablet is paired to; using the pairing's", "server", pr.Server)
		}
		w.srv = pr.Server
	}
	if id.DeviceID() != "" && w.srv == "" {
		log.Error("this tablet has a device id but knows no server; it must be paired again")
	}
	if (id.DeviceID() == "" || w.srv == "") && o.pair != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		_, err := w.Pair(ctx, o.pair)
		cancel()
		if err != nil {
			log.Warn("pairing with -pair failed; the setup screen asks for a code", "err", err)
		}
	}
	paired := id.DeviceID() != "" && w.server() != ""
	cached := app.Patient{}
	if paired {
		cached = w.cachedPatient()
	}

	k, err := app.New(app.Config{
		App:             a,
		Pairer:          w,
		Camera:          camera(hasCamera, local),
		Audio:           sp,
		Logger:          log,
		CheckPIN:        pins.Check,
		Paired:          paired,
		Kiosk:           !o.windowed,
		ForceAutoAnswer: o.autoAnswer,
		Patient:         cached,
		OnRepair:        w.repair,
		KeepAwake:       xsetAwake(log),
	})
	if err != nil {
		return err
	}
	w.kiosk = k
	if paired {
		w.startPhone()
	}
	k.Window().ShowAndRun()
	k.Close()
	w.stopPhone()
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

// camera is the setup screen's camera, when the tablet's picture can show it a QR code.
func camera(has bool, local *media.Local) app.Camera {
	if !has || local == nil {
		return nil
	}
	return cameraPreview{local}
}

// wiring connects the kiosk to enrollment, the device store and the call engine.
type wiring struct {
	opts    options
	log     *slog.Logger
	store   *provisioning.DeviceStore
	kiosk   *app.Kiosk
	speaker *speaker
	local   *media.Local // the tablet's picture and sound for the whole run; nil: none
	pins    *pinCheck    // the nurse PIN: the ward's from the server, else the local one

	mu    sync.Mutex
	id    *provisioning.Identity
	srv   string // the ward server: the pairing's, else -server; "" when unknown
	phone stopper
}

type stopper interface{ Stop() }

// server returns the ward server's base URL, or "" when the tablet knows none.
func (w *wiring) server() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.srv
}

func (w *wiring) identity() *provisioning.Identity {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.id
}

// Pair implements app.Pairer with the provisioning enrollment client: a typed short code, or
// the tablet's own code once a nurse approved its pairing request.
func (w *wiring) Pair(ctx context.Context, code string) (app.Paired, error) {
	server := w.server()
	if server == "" {
		return app.Paired{}, fmt.Errorf("pair with a code: %w", app.ErrPairNoServer)
	}
	host, _ := os.Hostname()
	res, err := provisioning.Enroll(ctx, server, code, w.identity(), host, version)
	if err != nil {
		return app.Paired{}, w.mapEnrollError(err)
	}
	return w.enrolled(res, provisioning.Pairing{Server: server})
}

// PairPayload implements app.Pairer for a scanned enrollment QR code: its server, token and
// certificate pin.
func (w *wiring) PairPayload(ctx context.Context, p provisioning.Payload) (app.Paired, error) {
	if p.WiFiSSID != "" {
		// Joining a network is the tablet's system's job (its device management); the kiosk
		// only says that the code carried one.
		w.log.Info("the enrollment code carries Wi-Fi settings; the kiosk does not change the network")
	}
	host, _ := os.Hostname()
	res, err := provisioning.EnrollPayload(ctx, p, w.identity(), host, version, w.log)
	if err != nil {
		return app.Paired{}, w.mapEnrollError(err)
	}
	return w.enrolled(res, provisioning.Pairing{Server: p.Server, Pin: p.Pin})
}

// PairingRequest implements app.Pairer: the console URL that a nurse's phone opens to approve
// this tablet's key for code.
func (w *wiring) PairingRequest(code string) (string, error) {
	server := w.server()
	if server == "" {
		return "", app.ErrPairNoServer
	}
	return provisioning.PairingRequestURL(server, code, w.identity().Fingerprint()), nil
}

// enrolled saves a pairing the server accepted and starts the phone. When the pairing cannot be
// saved the tablet forgets the enrollment too: it is never half-paired.
func (w *wiring) enrolled(res signal.EnrollResponse, pr provisioning.Pairing) (app.Paired, error) {
	pr.Ward, pr.Bed = res.Ward, res.Bed
	if err := w.store.SavePairing(pr); err != nil {
		w.log.Error("cannot save the pairing; forgetting the enrollment", "err", err)
		w.forget()
		return app.Paired{}, fmt.Errorf("save the pairing: %w", err)
	}
	w.mu.Lock()
	w.srv = pr.Server
	w.mu.Unlock()
	w.log.Info("enrolled", "device", res.Device, "ward", res.Ward, "bed", res.Bed)
	if w.kiosk != nil {
		w.startPhone()
	}
	return app.Paired{Ward: res.Ward, Bed: res.Bed}, nil
}

// mapEnrollError wraps provisioning's refusals into the kiosk's, keeping the original.
func (w *wiring) mapEnrollError(err error) error {
	switch {
	case errors.Is(err, provisioning.ErrEnrollInvalid):
		return fmt.Errorf("%w: %w", app.ErrPairInvalid, err)
	case errors.Is(err, provisioning.ErrEnrollExpired):
		return fmt.Errorf("%w: %w", app.ErrPairExpired, err)
	case errors.Is(err, provisioning.ErrEnrollUsed):
		return fmt.Errorf("%w: %w", app.ErrPairUsed, err)
	case errors.Is(err, provisioning.ErrPinMismatch), errors.Is(err, provisioning.ErrBadServerURL):
		return fmt.Errorf("%w: %w", app.ErrPairServer, err)
	case errors.Is(err, provisioning.ErrRateLimited):
		return fmt.Errorf("%w: %w", app.ErrPairBusy, err)
	}
	return err
}

// repair forgets the enrollment and the patient's data: the next pairing makes a new key.
func (w *wiring) repair() {
	w.stopPhone()
	w.forget()
}

// forget resets the device store and makes a new identity.
func (w *wiring) forget() {
	if err := w.store.Reset(); err != nil {
		w.log.Error("cannot reset the device data", "err", err)
	}
	id, err := provisioning.LoadOrCreateIdentity(w.opts.data)
	if err != nil {
		w.log.Error("cannot create a new identity", "err", err)
		return
	}
	w.mu.Lock()
	w.id = id
	w.srv = w.opts.server
	w.mu.Unlock()
}

func (w *wiring) stopPhone() {
	w.mu.Lock()
	p := w.phone
	w.phone = nil
	w.mu.Unlock()
	if p != nil {
		p.Stop()
	}
}

// xsetAwake keeps an X11 screen on from the moment a call rings until it ends, on top of
// Fyne's D-Bus screensaver inhibition: it wakes the screen (dpms force on, screensaver reset)
// and turns blanking off, then back on after the call. It does nothing without DISPLAY or xset.
func xsetAwake(log *slog.Logger) func(bool) {
	path, err := exec.LookPath("xset")
	if err != nil || os.Getenv("DISPLAY") == "" {
		return nil
	}
	var mu sync.Mutex // keeps the commands of successive calls in order
	return func(on bool) {
		steps := [][]string{{"s", "on"}, {"+dpms"}}
		if on {
			steps = [][]string{{"dpms", "force", "on"}, {"s", "reset"}, {"s", "off"}, {"-dpms"}}
		}
		go func() {
			mu.Lock()
			defer mu.Unlock()
			for _, args := range steps {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				if err := exec.CommandContext(ctx, path, args...).Run(); err != nil {
					log.Debug("xset failed", "args", args, "err", err)
				}
				cancel()
			}
		}()
	}
}
