package provisioning

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"bedside/call/signal"
)

// Enrollment errors. Enroll wraps one of them with context; the kiosk switches on them with
// errors.Is to show the right words.
var (
	ErrEnrollInvalid = errors.New("provisioning: enrollment code not recognised") // no such token or code
	ErrEnrollExpired = errors.New("provisioning: enrollment code expired")
	ErrEnrollUsed    = errors.New("provisioning: enrollment code already used")
	ErrRateLimited   = errors.New("provisioning: too many attempts, try again later")
	ErrServer        = errors.New("provisioning: the server refused or failed")
	ErrUnreachable   = errors.New("provisioning: cannot reach the server")
	ErrPinMismatch   = errors.New("provisioning: the server's certificate does not match the pin")
	ErrBadServerURL  = errors.New("provisioning: bad server URL")
)

// Default timeouts of NewHTTPClient.
const (
	DefaultRequestTimeout = 15 * time.Second
	dialTimeout           = 5 * time.Second
	tlsHandshakeTimeout   = 5 * time.Second
)

// maxResponseSize bounds what the enrollment client reads of an answer.
const maxResponseSize = 64 << 10

// ClientConfig configures the HTTP client that talks to the ward server.
type ClientConfig struct {
	// Pin, when set, is the SHA-256 of the server's TLS leaf certificate (DER), as carried by
	// the QR payload: the server must present exactly that certificate, which replaces the
	// usual CA verification (ward servers often have self-signed certificates).
	Pin []byte
	// RootCAs verifies the server when there is no pin; nil means the system roots.
	RootCAs *x509.CertPool
	// Timeout bounds a whole request; 0 means DefaultRequestTimeout.
	Timeout time.Duration
	// Logger gets one line per enrollment; nil discards. Never given a token or code.
	Logger *slog.Logger
}

// TLSConfig returns the TLS client configuration for a server pinned to pin (SHA-256 of its
// leaf certificate, DER), or, with a nil pin, one that verifies against roots (nil: system
// roots). A pinned connection to any other certificate fails with an error wrapping
// ErrPinMismatch. The call engine can use it for the signaling WebSocket too.
func TLSConfig(pin []byte, roots *x509.CertPool) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	if len(pin) == 0 {
		return cfg, nil
	}
	if len(pin) != sha256.Size {
		return nil, fmt.Errorf("%w: a pin is a SHA-256 of %d bytes, not %d", ErrPinMismatch, sha256.Size, len(pin))
	}
	want := append([]byte(nil), pin...)
	// The pin replaces chain verification; VerifyConnection runs on every handshake, resumed
	// ones included.
	cfg.InsecureSkipVerify = true
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return fmt.Errorf("%w: no certificate", ErrPinMismatch)
		}
		got := sha256.Sum256(cs.PeerCertificates[0].Raw)
		if subtle.ConstantTimeCompare(got[:], want) != 1 {
			return ErrPinMismatch
		}
		return nil
	}
	return cfg, nil
}

// CertificatePin returns the pin of a DER certificate: its SHA-256.
func CertificatePin(der []byte) []byte {
	h := sha256.Sum256(der)
	return h[:]
}

// NewHTTPClient returns an HTTP client for the ward server with timeouts, TLS as TLSConfig
// describes, and no redirects followed.
func NewHTTPClient(cfg ClientConfig) (*http.Client, error) {
	tlsCfg, err := TLSConfig(cfg.Pin, cfg.RootCAs)
	if err != nil {
		return nil, err
	}
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultRequestTimeout
	}
	tr := &http.Transport{
		Proxy:                 nil, // a ward server is on the local network
		DialContext:           (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       tlsCfg,
		TLSHandshakeTimeout:   tlsHandshakeTimeout,
		ResponseHeaderTimeout: timeout,
		IdleConnTimeout:       60 * time.Second,
		MaxIdleConns:          4,
		ForceAttemptHTTP2:     true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, nil
}

// Enroller trades enrollment codes for device ids with a ward server.
type Enroller struct {
	client *http.Client
	pinned bool
	log    *slog.Logger
}

// NewEnroller returns an Enroller configured by cfg.
func NewEnroller(cfg ClientConfig) (*Enroller, error) {
	c, err := NewHTTPClient(cfg)
	if err != nil {
		return nil, err
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Enroller{client: c, pinned: len(cfg.Pin) > 0, log: log}, nil
}

// Enroll enrolls id with the server at serverURL using a token from a QR code or a typed short
// code, without a certificate pin (see Enroller for one). It is NewEnroller(ClientConfig{})
// followed by Enroller.Enroll.
func Enroll(ctx context.Context, serverURL, code string, id *Identity, name, appVersion string) (signal.EnrollResponse, error) {
	e, err := NewEnroller(ClientConfig{})
	if err != nil {
		return signal.EnrollResponse{}, err
	}
	return e.Enroll(ctx, serverURL, code, id, name, appVersion)
}

// EnrollPayload enrolls id with the server, token and pin of a scanned QR payload.
func EnrollPayload(ctx context.Context, p Payload, id *Identity, name, appVersion string, log *slog.Logger) (signal.EnrollResponse, error) {
	e, err := NewEnroller(ClientConfig{Pin: p.Pin, Logger: log})
	if err != nil {
		return signal.EnrollResponse{}, err
	}
	return e.Enroll(ctx, p.Server, p.Token, id, name, appVersion)
}

// Enroll posts a signal.EnrollRequest with id's public key to serverURL + signal.EnrollPath and,
// on success, saves the device id it gets in id. Failures wrap ErrEnrollInvalid,
// ErrEnrollExpired, ErrEnrollUsed, ErrRateLimited, ErrServer, ErrUnreachable, ErrPinMismatch
// or ErrBadServerURL. A code that is neither a token nor a short code is ErrEnrollInvalid
// without asking the server.
func (e *Enroller) Enroll(ctx context.Context, serverURL, code string, id *Identity, name, appVersion string) (signal.EnrollResponse, error) {
	var zero signal.EnrollResponse
	if err := CheckServerURL(serverURL); err != nil {
		return zero, fmt.Errorf("%w: %v", ErrBadServerURL, err)
	}
	if e.pinned && !strings.HasPrefix(serverURL, "https:") {
		return zero, fmt.Errorf("%w: a pinned server must use https", ErrBadServerURL)
	}
	if id == nil {
		return zero, errors.New("provisioning: enroll needs an identity")
	}
	code = NormalizeCode(code)
	if !IsToken(code) && !IsCode(code) {
		return zero, fmt.Errorf("%w: not a token or a short code", ErrEnrollInvalid)
	}
	body, err := json.Marshal(signal.EnrollRequest{
		Code:       code,
		PublicKey:  base64.StdEncoding.EncodeToString(id.PublicKey()),
		Name:       name,
		AppVersion: appVersion,
	})
	if err != nil {
		return zero, fmt.Errorf("provisioning: encode enroll request: %w", err)
	}
	url := strings.TrimRight(serverURL, "/") + signal.EnrollPath
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return zero, fmt.Errorf("%w: %v", ErrBadServerURL, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := e.client.Do(req)
	if err != nil {
		if errors.Is(err, ErrPinMismatch) {
			e.log.Warn("enroll: certificate pin mismatch", "server", serverURL)
			return zero, fmt.Errorf("enroll at %s: %w", serverURL, ErrPinMismatch)
		}
		if ctx.Err() != nil {
			return zero, fmt.Errorf("enroll at %s: %w", serverURL, ctx.Err())
		}
		return zero, fmt.Errorf("%w: %s: %v", ErrUnreachable, serverURL, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseSize+1))
	if err != nil {
		return zero, fmt.Errorf("%w: reading the answer: %v", ErrUnreachable, err)
	}
	if len(data) > maxResponseSize {
		return zero, fmt.Errorf("%w: answer larger than %d bytes", ErrServer, maxResponseSize)
	}
	if resp.StatusCode/100 != 2 {
		err := enrollError(resp.StatusCode, data)
		e.log.Info("enroll refused", "server", serverURL, "status", resp.StatusCode, "err", err)
		return zero, err
	}
	var out signal.EnrollResponse
	if err := json.Unmarshal(data, &out); err != nil || !signal.ValidID(out.Device) {
		return zero, fmt.Errorf("%w: malformed enrollment answer", ErrServer)
	}
	if err := id.SetDeviceID(out.Device); err != nil {
		return zero, fmt.Errorf("provisioning: enrolled as %s but cannot save it: %w", out.Device, err)
	}
	e.log.Info("enrolled", "server", serverURL, "device", out.Device)
	return out, nil
}

// enrollError maps a failed answer to the package's errors, in this one place.
func enrollError(status int, body []byte) error {
	var he signal.HTTPError
	if json.Unmarshal(body, &he) != nil {
		he = signal.HTTPError{}
	}
	msg := truncate(he.Message, 200)
	he.Code = signal.Code(truncate(string(he.Code), 64))
	var sentinel error
	switch {
	case he.Code == signal.CodeEnrollInvalid:
		sentinel = ErrEnrollInvalid
	case he.Code == signal.CodeEnrollExpired:
		sentinel = ErrEnrollExpired
	case he.Code == signal.CodeEnrollUsed:
		sentinel = ErrEnrollUsed
	case he.Code == signal.CodeRateLimited, he.Code == "" && status == http.StatusTooManyRequests:
		sentinel = ErrRateLimited
	default:
		sentinel = ErrServer
	}
	if he.Code == "" {
		return fmt.Errorf("%w (HTTP %d)", sentinel, status)
	}
	if msg == "" {
		return fmt.Errorf("%w (HTTP %d, %s)", sentinel, status, he.Code)
	}
	return fmt.Errorf("%w (HTTP %d, %s: %s)", sentinel, status, he.Code, msg)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
