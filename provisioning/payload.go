package provisioning

import (
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode"
	"unicode/utf8"
)

// PayloadPrefix starts every enrollment QR payload of the current version.
const PayloadPrefix = "BSD1:"

// MaxPayloadLen is the largest payload, in bytes, that ParsePayload accepts and EncodePayload
// produces. It keeps the QR code small enough to scan from across a bed.
const MaxPayloadLen = 1024

// Limits on payload fields.
const (
	maxURLLen      = 256
	maxNameLen     = 100 // ward and bed names
	maxSSIDLen     = 32  // IEEE 802.11
	maxWiFiPassLen = 63  // WPA passphrase
)

// Payload errors. Every error from ParsePayload and EncodePayload matches ErrPayloadMalformed
// except ErrPayloadVersion (a newer app is needed); the more specific ones match both.
var (
	ErrPayloadVersion   = errors.New("provisioning: enrollment code of an unknown version")
	ErrPayloadMalformed = errors.New("provisioning: malformed enrollment code")
	ErrPayloadTooLarge  = errors.New("provisioning: enrollment code too large")
	ErrPayloadURL       = errors.New("provisioning: bad server URL in enrollment code")
	ErrPayloadToken     = errors.New("provisioning: bad token in enrollment code")
)

// WiFiSecurity is the security type of a Wi-Fi network, as in the common "WIFI:T:" QR codes.
type WiFiSecurity string

// The Wi-Fi security types.
const (
	WiFiWPA    WiFiSecurity = "WPA" // WPA/WPA2/WPA3 personal
	WiFiWEP    WiFiSecurity = "WEP"
	WiFiNoPass WiFiSecurity = "nopass" // an open network
)

// Valid reports whether s is one of the defined types.
func (s WiFiSecurity) Valid() bool {
	return s == WiFiWPA || s == WiFiWEP || s == WiFiNoPass
}

// Payload is what an enrollment QR code carries.
type Payload struct {
	Server string // the ward server's base URL, http or https, e.g. "https://ward3.example:8443"
	Token  string // the enrollment token (see NewEnrollmentSecrets)
	// Pin is the SHA-256 of the server's TLS leaf certificate (DER), or nil. Only with https.
	Pin []byte

	// Optional Wi-Fi network to join before enrolling. SSID empty means none.
	WiFiSSID     string
	WiFiSecurity WiFiSecurity // required with an SSID
	WiFiPassword string       // required for WPA and WEP, absent for nopass

	// For display only ("Pairing to Ward 3, bed 12"); the server decides the real binding.
	Ward string
	Bed  string
}

// Field keys, in the one order that EncodePayload writes and ParsePayload accepts.
const fieldOrder = "STPWAKNB"

func (p *Payload) fields() [len(fieldOrder)]string {
	var pin string
	if len(p.Pin) > 0 {
		pin = base64.RawURLEncoding.EncodeToString(p.Pin)
	}
	return [...]string{p.Server, p.Token, pin, p.WiFiSSID, string(p.WiFiSecurity), p.WiFiPassword, p.Ward, p.Bed}
}

// EncodePayload returns the text of an enrollment QR code:
//
//	BSD1:S=<server URL>;T=<token>[;P=<pin>][;W=<SSID>;A=<WPA|WEP|nopass>[;K=<password>]][;N=<ward>][;B=<bed>]
//
// Fields appear in that order; empty ones are left out. In values, '\' and ';' are escaped with
// a backslash. The pin is unpadded base64url. p is validated as ParsePayload would.
func EncodePayload(p Payload) (string, error) {
	if err := p.validate(); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(PayloadPrefix)
	first := true
	for i, v := range p.fields() {
		if v == "" {
			continue
		}
		if !first {
			b.WriteByte(';')
		}
		first = false
		b.WriteByte(fieldOrder[i])
		b.WriteByte('=')
		for j := 0; j < len(v); j++ {
			if v[j] == '\\' || v[j] == ';' {
				b.WriteByte('\\')
			}
			b.WriteByte(v[j])
		}
	}
	if b.Len() > MaxPayloadLen {
		return "", payloadErr(ErrPayloadTooLarge, "%d bytes, over %d", b.Len(), MaxPayloadLen)
	}
	return b.String(), nil
}

// ParsePayload parses the text of an enrollment QR code, strictly: an unknown version, an
// unknown, duplicate, empty, missing or out-of-order field, a bad escape, a server URL that is
// not plain http(s), a malformed token or pin, or more than MaxPayloadLen bytes is an error.
// Whenever it succeeds, EncodePayload gives s back exactly.
func ParsePayload(s string) (Payload, error) {
	if len(s) > MaxPayloadLen {
		return Payload{}, payloadErr(ErrPayloadTooLarge, "%d bytes, over %d", len(s), MaxPayloadLen)
	}
	if !strings.HasPrefix(s, PayloadPrefix) {
		if isOtherVersion(s) {
			return Payload{}, ErrPayloadVersion
		}
		return Payload{}, payloadErr(nil, "not a Bedside enrollment code")
	}
	var vals [len(fieldOrder)]string
	next := 0 // index in fieldOrder of the earliest field allowed next
	rest := s[len(PayloadPrefix):]
	for {
		if len(rest) < 2 || rest[1] != '=' {
			return Payload{}, payloadErr(nil, "expected a field")
		}
		k := strings.IndexByte(fieldOrder, rest[0])
		if k < 0 {
			return Payload{}, payloadErr(nil, "unknown field %q", rest[0])
		}
		if k < next {
			return Payload{}, payloadErr(nil, "field %c duplicate or out of order", rest[0])
		}
		v, n, err := unescapeValue(rest[2:])
		if err != nil {
			return Payload{}, err
		}
		if v == "" {
			return Payload{}, payloadErr(nil, "field %c is empty", rest[0])
		}
		vals[k] = v
		next = k + 1
		rest = rest[2+n:]
		if rest == "" {
			break
		}
		rest = rest[1:] // the ';'
	}
	p := Payload{
		Server: vals[0], Token: vals[1],
		WiFiSSID: vals[3], WiFiSecurity: WiFiSecurity(vals[4]), WiFiPassword: vals[5],
		Ward: vals[6], Bed: vals[7],
	}
	if vals[2] != "" {
		pin, err := base64.RawURLEncoding.Strict().DecodeString(vals[2])
		if err != nil || len(pin) != 32 {
			return Payload{}, payloadErr(nil, "the certificate pin is not a SHA-256 in base64url")
		}
		p.Pin = pin
	}
	if err := p.validate(); err != nil {
		return Payload{}, err
	}
	return p, nil
}

// unescapeValue reads one value up to an unescaped ';' or the end, returning it and how many
// bytes of s it used (not counting the ';').
func unescapeValue(s string) (string, int, error) {
	var b strings.Builder
	i := 0
	for i < len(s) {
		c := s[i]
		switch c {
		case ';':
			return b.String(), i, nil
		case '\\':
			if i+1 >= len(s) || (s[i+1] != '\\' && s[i+1] != ';') {
				return "", 0, payloadErr(nil, "bad escape")
			}
			b.WriteByte(s[i+1])
			i += 2
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), i, nil
}

// isOtherVersion reports whether s looks like "BSD<digits>:", a payload of another version.
func isOtherVersion(s string) bool {
	rest, ok := strings.CutPrefix(s, "BSD")
	if !ok {
		return false
	}
	n := 0
	for n < len(rest) && n < 4 && rest[n] >= '0' && rest[n] <= '9' {
		n++
	}
	return n > 0 && n < len(rest) && rest[n] == ':'
}

func (p *Payload) validate() error {
	if err := checkServerURL(p.Server); err != nil {
		return err
	}
	if !IsToken(p.Token) {
		return payloadErr(ErrPayloadToken, "not %d base32 characters", TokenLen)
	}
	if len(p.Pin) != 0 {
		if len(p.Pin) != 32 {
			return payloadErr(nil, "the certificate pin is not a SHA-256")
		}
		if !strings.HasPrefix(p.Server, "https:") {
			return payloadErr(nil, "a certificate pin needs an https server")
		}
	}
	for _, f := range []struct {
		name, v string
		max     int
	}{
		{"Wi-Fi SSID", p.WiFiSSID, maxSSIDLen},
		{"Wi-Fi password", p.WiFiPassword, maxWiFiPassLen},
		{"ward", p.Ward, maxNameLen},
		{"bed", p.Bed, maxNameLen},
	} {
		if err := checkText(f.name, f.v, f.max); err != nil {
			return err
		}
	}
	switch {
	case p.WiFiSSID == "" && (p.WiFiSecurity != "" || p.WiFiPassword != ""):
		return payloadErr(nil, "Wi-Fi settings without an SSID")
	case p.WiFiSSID == "":
		return nil
	case !p.WiFiSecurity.Valid():
		return payloadErr(nil, "unknown Wi-Fi security type")
	case p.WiFiSecurity == WiFiNoPass && p.WiFiPassword != "":
		return payloadErr(nil, "a password for an open Wi-Fi network")
	case p.WiFiSecurity != WiFiNoPass && p.WiFiPassword == "":
		return payloadErr(nil, "no password for a %s Wi-Fi network", p.WiFiSecurity)
	}
	return nil
}

// checkServerURL accepts a plain http(s) URL: a host, an optional port and path, and nothing
// else (no user, query or fragment), in its canonical form.
func checkServerURL(s string) error {
	if s == "" {
		return payloadErr(ErrPayloadURL, "missing")
	}
	if len(s) > maxURLLen {
		return payloadErr(ErrPayloadURL, "longer than %d bytes", maxURLLen)
	}
	if err := CheckServerURL(s); err != nil {
		return payloadErr(ErrPayloadURL, "%v", err)
	}
	return nil
}

// CheckServerURL reports whether s is a server URL Bedside talks to: http or https (lower
// case), a host, an optional port and path; no user info, query or fragment; printable ASCII in
// canonical form.
func CheckServerURL(s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return errors.New("not printable ASCII")
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return errors.New("not a URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("scheme is not http or https")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return errors.New("no host")
	case u.User != nil:
		return errors.New("user info is not allowed")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.ContainsAny(s, "?#"):
		return errors.New("query or fragment is not allowed")
	case u.String() != s:
		return errors.New("not in canonical form")
	}
	return nil
}

func checkText(name, v string, max int) error {
	if len(v) > max {
		return payloadErr(nil, "%s longer than %d bytes", name, max)
	}
	if !utf8.ValidString(v) {
		return payloadErr(nil, "%s is not UTF-8", name)
	}
	for _, r := range v {
		if unicode.IsControl(r) {
			return payloadErr(nil, "%s holds a control character", name)
		}
	}
	return nil
}

// payloadError is a payload error: it matches ErrPayloadMalformed and, when set, its kind.
type payloadError struct {
	kind   error
	detail string
}

func payloadErr(kind error, format string, args ...any) error {
	return &payloadError{kind: kind, detail: fmt.Sprintf(format, args...)}
}

func (e *payloadError) Error() string {
	if e.kind != nil {
		return e.kind.Error() + ": " + e.detail
	}
	return ErrPayloadMalformed.Error() + ": " + e.detail
}

func (e *payloadError) Is(target error) bool {
	return target == ErrPayloadMalformed || (e.kind != nil && target == e.kind)
}

// ConsolePairPath is the nurse console page that a pairing request QR code opens (flow 2).
const ConsolePairPath = "/console/pair"

// PairingRequestURL returns the URL that a tablet without a camera shows as a QR code: the
// console's pairing page with the tablet's short code and key fingerprint,
// "<server>/console/pair?c=<code>&f=<fingerprint>". The code is normalized.
func PairingRequestURL(server, code, fingerprint string) string {
	q := url.Values{}
	q.Set("c", NormalizeCode(code))
	q.Set("f", fingerprint)
	return strings.TrimRight(server, "/") + ConsolePairPath + "?" + q.Encode()
}

// ErrPairingRequest reports a pairing request URL whose code or fingerprint is malformed.
var ErrPairingRequest = errors.New("provisioning: malformed pairing request")

// ParsePairingRequest reads the short code and key fingerprint from the query of a pairing
// request URL (see PairingRequestURL), for the console page at ConsolePairPath. The code comes
// back normalized.
func ParsePairingRequest(q url.Values) (code, fingerprint string, err error) {
	if len(q["c"]) != 1 || len(q["f"]) != 1 {
		return "", "", fmt.Errorf("%w: needs one c and one f", ErrPairingRequest)
	}
	code, fingerprint = NormalizeCode(q.Get("c")), q.Get("f")
	if !IsCode(code) {
		return "", "", fmt.Errorf("%w: bad code", ErrPairingRequest)
	}
	if !IsFingerprint(fingerprint) {
		return "", "", fmt.Errorf("%w: bad fingerprint", ErrPairingRequest)
	}
	return code, fingerprint, nil
}
