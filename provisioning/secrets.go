package provisioning

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"strings"
)

// TokenBytes is the number of random bytes in an enrollment token (160 bits).
const TokenBytes = 20

// TokenLen is the length of an enrollment token: base32 of TokenBytes, without padding.
const TokenLen = 32

// CodeLen is the length of a short typed enrollment code.
const CodeLen = 8

// CodeAlphabet is the alphabet of short codes: digits and upper-case letters without the
// look-alikes 0/O, 1/I/L.
const CodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// tokenEncoding is upper-case base32 without padding, so that NormalizeCode loses nothing and
// QR codes can use alphanumeric mode.
var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// ErrRandom reports that the random source failed.
var ErrRandom = errors.New("provisioning: random source failed")

// NewEnrollmentSecrets returns a fresh long token (TokenLen upper-case base32 characters, 160
// bits, for QR codes) and a short code (CodeLen characters from CodeAlphabet, for typing) read
// from r, normally crypto/rand.Reader.
func NewEnrollmentSecrets(r io.Reader) (token, code string, err error) {
	buf := make([]byte, TokenBytes)
	if _, err := io.ReadFull(r, buf); err != nil {
		return "", "", fmt.Errorf("%w: %v", ErrRandom, err)
	}
	token = tokenEncoding.EncodeToString(buf)
	code, err = newCode(r)
	if err != nil {
		return "", "", err
	}
	return token, code, nil
}

// newCode draws CodeLen characters uniformly from CodeAlphabet by rejection sampling.
func newCode(r io.Reader) (string, error) {
	n := len(CodeAlphabet)
	limit := 256 - 256%n // bytes at or above limit would bias the draw
	out := make([]byte, 0, CodeLen)
	buf := make([]byte, 16)
	for len(out) < CodeLen {
		if _, err := io.ReadFull(r, buf); err != nil {
			return "", fmt.Errorf("%w: %v", ErrRandom, err)
		}
		for _, b := range buf {
			if int(b) < limit && len(out) < CodeLen {
				out = append(out, CodeAlphabet[int(b)%n])
			}
		}
	}
	return string(out), nil
}

// NormalizeCode upper-cases s and drops spaces and dashes, so that "abcd-efgh" and "ABCDEFGH"
// are the same code.
func NormalizeCode(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		switch {
		case r == ' ' || r == '-' || r == '\t':
			continue
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// HashSecret returns SHA-256 of NormalizeCode(s): what the store keeps for tokens and codes.
func HashSecret(s string) []byte {
	h := sha256.Sum256([]byte(NormalizeCode(s)))
	return h[:]
}

// FormatCode shows a short code as "ABCD-EFGH" for people. Anything that is not a
// CodeLen-character code after normalization is returned normalized but otherwise unchanged.
func FormatCode(code string) string {
	c := NormalizeCode(code)
	if len(c) != CodeLen {
		return c
	}
	return c[:4] + "-" + c[4:]
}

// IsToken reports whether s is a well-formed enrollment token: TokenLen upper-case base32
// characters that decode to TokenBytes.
func IsToken(s string) bool {
	if len(s) != TokenLen {
		return false
	}
	b, err := tokenEncoding.DecodeString(s)
	return err == nil && len(b) == TokenBytes
}

// IsCode reports whether NormalizeCode(s) is a well-formed short code.
func IsCode(s string) bool {
	c := NormalizeCode(s)
	if len(c) != CodeLen {
		return false
	}
	for i := 0; i < len(c); i++ {
		if strings.IndexByte(CodeAlphabet, c[i]) < 0 {
			return false
		}
	}
	return true
}
