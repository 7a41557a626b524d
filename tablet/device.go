package tablet

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"sync"

	"bedside/app"
	"bedside/call"
	"bedside/call/media"
	"bedside/call/signal"
	"bedside/provisioning"
)

// Screens is what a Device needs of the kiosk (an *app.Kiosk): where the call's pictures go,
// and where to attach the phone. Its methods are safe from any goroutine.
type Screens interface {
	RemoteVideo() app.VideoSink
	PeerVideo(id string) app.VideoSink
	SelfView() app.VideoSink
	AttachPhone(p app.Phone)
	DetachPhone()
	// Unpaired shows the setup screen: the server no longer knows this tablet.
	Unpaired()
}

// Config is what NewDevice needs.
type Config struct {
	Dir    string // the device data dir (the store's and the identity's)
	Server string // the ward server given on the command line; "" when unknown
	// MoreServers are other instances of Server's deployment, which the phone moves on to
	// when its connection is lost.
	MoreServers []string
	Version     string // the kiosk's version, sent when enrolling and in the device status
	Store       *provisioning.DeviceStore
	Identity    *provisioning.Identity
	// Local is the tablet's picture and sound for the whole run; nil: calls are receive-only.
	Local   *media.Local
	Speaker *Speaker // nil: silent calls
	// PIN is given the ward's nurse PIN hash from every configuration; nil ignores it.
	PIN    *provisioning.NursePIN
	Logger *slog.Logger
	// PowerSupplies is where the battery is read; "" means PowerSupplyDir.
	PowerSupplies string
	// NoMDNS: see call.APIOptions.NoMDNS.
	NoMDNS bool
	// TURNRoots: see call.APIOptions.TURNRoots; nil trusts the system's roots.
	TURNRoots *x509.CertPool
}

// Device is this tablet as the kiosk sees it: it pairs (app.Pairer), starts the call engine
// once paired and attaches it to the kiosk, and forgets everything when asked to pair again
// or when the server revoked it.
type Device struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	screens Screens
	id      *provisioning.Identity
	srv     string // the ward server: the pairing's, else Config.Server; "" when unknown
	phone   func() // stops the running phone; nil when none runs
}

// NewDevice returns the device; the pairing saved in the store, when there is one, names the
// server.
func NewDevice(cfg Config) *Device {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.PowerSupplies == "" {
		cfg.PowerSupplies = PowerSupplyDir
	}
	d := &Device{cfg: cfg, log: cfg.Logger, id: cfg.Identity, srv: cfg.Server}
	if pr, err := cfg.Store.LoadPairing(); err == nil {
		if cfg.Server != "" && cfg.Server != pr.Server {
			d.log.Warn("-server differs from the server this tablet is paired to; using the pairing's", "server", pr.Server)
		}
		d.srv = pr.Server
	}
	if d.id.DeviceID() != "" && d.srv == "" {
		d.log.Error("this tablet has a device id but knows no server; it must be paired again")
	}
	return d
}

// Paired reports whether the tablet is enrolled and knows its server.
func (d *Device) Paired() bool {
	return d.identity().DeviceID() != "" && d.server() != ""
}

// Attach gives the device the kiosk's screens, and starts the phone when the tablet is paired.
func (d *Device) Attach(s Screens) {
	d.mu.Lock()
	d.screens = s
	d.mu.Unlock()
	if d.Paired() {
		d.StartPhone()
	}
}

// server returns the ward server's base URL, or "" when the tablet knows none.
func (d *Device) server() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.srv
}

func (d *Device) identity() *provisioning.Identity {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.id
}

// Pair implements app.Pairer with the provisioning enrollment client: a typed short code, or
// the tablet's own code once a nurse approved its pairing request.
func (d *Device) Pair(ctx context.Context, code string) (app.Paired, error) {
	server := d.server()
	if server == "" {
		return app.Paired{}, fmt.Errorf("pair with a code: %w", app.ErrPairNoServer)
	}
	host, _ := os.Hostname()
	res, err := provisioning.Enroll(ctx, server, code, d.identity(), host, d.cfg.Version)
	if err != nil {
		return app.Paired{}, mapEnrollError(err)
	}
	return d.enrolled(res, provisioning.Pairing{Server: server})
}

// PairPayload implements app.Pairer for a scanned enrollment QR code: its server, token and
// certificate pin.
func (d *Device) PairPayload(ctx context.Context, p provisioning.Payload) (app.Paired, error) {
	if p.WiFiSSID != "" {
		// Joining a network is the tablet's system's job (its device management); the kiosk
		// only says that the code carried one.
		d.log.Info("the enrollment code carries Wi-Fi settings; the kiosk does not change the network")
	}
	host, _ := os.Hostname()
	res, err := provisioning.EnrollPayload(ctx, p, d.identity(), host, d.cfg.Version, d.log)
	if err != nil {
		return app.Paired{}, mapEnrollError(err)
	}
	return d.enrolled(res, provisioning.Pairing{Server: p.Server, Pin: p.Pin})
}

// PairingRequest implements app.Pairer: the console URL that a nurse's phone opens to approve
// this tablet's key for code.
func (d *Device) PairingRequest(code string) (string, error) {
	server := d.server()
	if server == "" {
		return "", app.ErrPairNoServer
	}
	return provisioning.PairingRequestURL(server, code, d.identity().Fingerprint()), nil
}

// enrolled saves a pairing the server accepted and starts the phone. When the pairing cannot be
// saved the tablet forgets the enrollment too: it is never half-paired.
func (d *Device) enrolled(res signal.EnrollResponse, pr provisioning.Pairing) (app.Paired, error) {
	pr.Ward, pr.Bed = res.Ward, res.Bed
	if err := d.cfg.Store.SavePairing(pr); err != nil {
		d.log.Error("cannot save the pairing; forgetting the enrollment", "err", err)
		d.forget()
		return app.Paired{}, fmt.Errorf("save the pairing: %w", err)
	}
	d.mu.Lock()
	d.srv = pr.Server
	attached := d.screens != nil
	d.mu.Unlock()
	d.log.Info("enrolled", "device", res.Device, "ward", res.Ward, "bed", res.Bed)
	if attached {
		d.StartPhone()
	}
	return app.Paired{Ward: res.Ward, Bed: res.Bed}, nil
}

// mapEnrollError wraps provisioning's refusals into the kiosk's, keeping the original.
func mapEnrollError(err error) error {
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

// Repair forgets the enrollment and the patient's data: the next pairing makes a new key. It
// is the kiosk's OnRepair. It returns once nothing of the old pairing can be written any more.
func (d *Device) Repair() {
	d.StopPhone()
	d.forget()
}

// forget resets the device store and makes a new identity.
func (d *Device) forget() {
	if err := d.cfg.Store.Reset(); err != nil {
		d.log.Error("cannot reset the device data", "err", err)
	}
	id, err := provisioning.LoadOrCreateIdentity(d.cfg.Dir)
	if err != nil {
		d.log.Error("cannot create a new identity", "err", err)
		return
	}
	d.mu.Lock()
	d.id = id
	d.srv = d.cfg.Server
	d.mu.Unlock()
}

// StopPhone stops the call engine and the configuration worker, and waits for both.
func (d *Device) StopPhone() {
	d.mu.Lock()
	stop := d.phone
	d.phone = nil
	d.mu.Unlock()
	if stop != nil {
		stop()
	}
}

// CachedPatient is the patient as last configured, from the device store, shown until the
// server speaks.
func (d *Device) CachedPatient() app.Patient {
	cfg, err := d.cfg.Store.LoadConfig()
	if err != nil {
		return app.Patient{}
	}
	return patientFrom(cfg, d.cfg.Store)
}

// httpClient is the client for the ward server's photos: pinned to the pairing's certificate
// when it has a pin.
func (d *Device) httpClient() *http.Client {
	var c *http.Client
	if pr, err := d.cfg.Store.LoadPairing(); err == nil {
		c, _ = provisioning.NewHTTPClient(provisioning.ClientConfig{Pin: pr.Pin, Logger: d.log})
	}
	if c == nil {
		c, _ = provisioning.NewHTTPClient(provisioning.ClientConfig{Logger: d.log})
	}
	return c
}

// StartPhone starts the call engine with the tablet's media and attaches it to the kiosk.
func (d *Device) StartPhone() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.phone != nil || d.screens == nil {
		return
	}
	screens, server, local := d.screens, d.srv, d.cfg.Local
	ws, err := signal.URL(server)
	if err != nil {
		d.log.Error("cannot start the phone", "err", err)
		return
	}
	if local == nil {
		d.log.Error("no camera or microphone; calls will be receive-only")
	}
	httpClient := d.httpClient()
	var more []string
	for _, m := range d.cfg.MoreServers {
		if u, err := signal.URL(m); err == nil {
			more = append(more, u)
		}
	}
	cfg := call.Config{
		ServerURL:   ws,
		ServerURLs:  more,
		Signer:      d.id,
		Media:       local,
		RemoteVideo: screens.RemoteVideo(),
		Logger:      d.log,
		HTTPClient:  httpClient,
		Status:      Status(d.cfg.PowerSupplies, d.cfg.Version),
		NoMDNS:      d.cfg.NoMDNS,
		TURNRoots:   d.cfg.TURNRoots,
	}
	if d.cfg.Speaker != nil {
		cfg.RemoteAudio = d.cfg.Speaker.CallSink()
	}
	// Each participant's picture to their tile, and their sound to a stream of its own: the
	// player mixes them.
	speaker := d.cfg.Speaker
	cfg.RemoteFor = func(peer string) (media.VideoSink, media.AudioSink, func()) {
		if speaker == nil {
			return screens.PeerVideo(peer), nil, nil
		}
		audio, release := speaker.PeerSink()
		return screens.PeerVideo(peer), audio, release
	}
	p, err := call.New(cfg)
	if err != nil {
		d.log.Error("cannot start the phone", "err", err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	a := newPhoneAdapter(p, local, d.cfg.Store, d.log)
	a.cache = newConfigCache(cacheConfig{Store: d.cfg.Store, HTTP: httpClient, Server: server,
		Signer: d.id, Logger: d.log, OnPhotos: a.photosCached}) // d.mu is held
	if d.cfg.PIN != nil {
		a.onConfig = func(cfg signal.Config) { d.cfg.PIN.SetWard(cfg.NursePINHash) }
	}
	ran := make(chan struct{})
	go func() {
		defer close(ran)
		err := p.Run(ctx)
		if err == nil {
			return
		}
		d.log.Error("the phone stopped", "err", err)
		if errors.Is(err, call.ErrAuth) && ctx.Err() == nil {
			// The server no longer knows this tablet (revoked): forget the pairing and
			// show the setup screen, where a nurse can pair it again.
			go func() {
				d.StopPhone()
				d.forget()
				screens.Unpaired()
			}()
		}
	}()
	translated := make(chan struct{})
	go func() {
		defer close(translated)
		a.translate(ctx)
	}()
	if local != nil {
		local.SetSelfView(screens.SelfView()) // only while a call sends the picture
	}
	screens.AttachPhone(a)
	d.phone = func() {
		screens.DetachPhone()
		if local != nil {
			local.SetSelfView(nil)
		}
		cancel()
		<-ran
		<-translated
		a.cache.Stop()
	}
}
