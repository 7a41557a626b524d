package call

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"
)

// ErrCertFile means a file of CA certificates could not be used: unreadable, no PEM
// certificate in it, or one that does not parse.
var ErrCertFile = errors.New("call: bad certificate file")

// LoadCertPool reads the PEM certificates in file, such as a hospital's own CA for a TURN
// relay over TLS (APIOptions.TURNRoots), into a pool of its own (the system's roots are not
// in it). Every block must be a certificate that parses: a file that is half wrong is
// refused, rather than trusted in part.
func LoadCertPool(file string) (*x509.CertPool, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCertFile, err)
	}
	pool := x509.NewCertPool()
	n := 0
	for rest := b; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		n++
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("%w: %s: block %d is a %s, not a CERTIFICATE", ErrCertFile, file, n, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%w: %s: certificate %d: %w", ErrCertFile, file, n, err)
		}
		pool.AddCert(cert)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: %s: no PEM certificate in it", ErrCertFile, file)
	}
	return pool, nil
}
