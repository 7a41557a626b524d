package signal

// EnrollPath is the ward server's HTTP endpoint where a tablet trades an enrollment token (from a
// QR code) or a typed short code for a device id, proving it holds the key it enrolls.
const EnrollPath = "/api/enroll"

// EnrollRequest is the JSON body of POST EnrollPath.
type EnrollRequest struct {
	Code       string `json:"code"`      // the long token from a QR code, or the short typed code
	PublicKey  string `json:"publicKey"` // the device's ed25519 public key, base64 (standard, padded)
	Name       string `json:"name,omitempty"`
	AppVersion string `json:"appVersion,omitempty"`
}

// EnrollResponse is the JSON answer to a successful enrollment.
type EnrollResponse struct {
	Device string `json:"device"` // the device id to use in hello
	Ward   string `json:"ward"`   // the ward's name, for "Paired to Ward 3, bed 12"
	Bed    string `json:"bed,omitempty"`
}

// HTTPError is the JSON body of every failed API request.
type HTTPError struct {
	Code    Code   `json:"error"`
	Message string `json:"message,omitempty"`
}

// Enrollment error codes, beside the general ones.
const (
	CodeEnrollInvalid Code = "enroll-invalid" // no such token or code
	CodeEnrollExpired Code = "enroll-expired"
	CodeEnrollUsed    Code = "enroll-used"
)
