package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"bedside/server"
)

// urlList is a flag given several times, or once with a comma-separated list.
type urlList []string

func (l *urlList) String() string { return strings.Join(*l, ",") }

func (l *urlList) Set(v string) error {
	for _, u := range strings.Split(v, ",") {
		if u = strings.TrimSpace(u); u == "" {
			return errors.New("an empty URL")
		}
		*l = append(*l, u)
	}
	return nil
}

// checkRelayFlags refuses relay flags that do not go together: the embedded relay's with an
// external one's, and settings of a relay that is not asked for.
func (o options) checkRelayFlags() error {
	given := map[string]bool{"-turn": o.turn != "", "-turn-tcp": o.turnTCP != "", "-turn-tls": o.turnTLS != "",
		"-turn-ip": o.turnIP != "", "-turn-host": o.turnHost != "", "-turn-tls-cert": o.turnCert != "",
		"-turn-secret-file": o.turnSec != ""}
	if o.turnTTL < 5*time.Minute || o.turnTTL > 48*time.Hour {
		return fmt.Errorf("-turn-credential-ttl %s: want 5m to 48h", o.turnTTL)
	}
	if len(o.turnURLs) > 0 {
		for _, name := range []string{"-turn", "-turn-tcp", "-turn-tls", "-turn-ip", "-turn-host", "-turn-tls-cert"} {
			if given[name] {
				return fmt.Errorf("-turn-url hands out an external relay: %s is the embedded relay's, leave it out", name)
			}
		}
		if !given["-turn-secret-file"] {
			return errors.New("-turn-url needs -turn-secret-file: the external relay's static-auth-secret")
		}
		return nil
	}
	if o.relayOn() {
		return nil
	}
	if o.turnTTL != time.Hour {
		return errors.New("-turn-credential-ttl needs a relay: -turn, -turn-tcp or -turn-tls (embedded) or -turn-url (external)")
	}
	for _, name := range []string{"-turn-ip", "-turn-host", "-turn-tls-cert", "-turn-secret-file"} {
		if given[name] {
			return fmt.Errorf("%s needs a relay: -turn, -turn-tcp or -turn-tls (embedded) or -turn-url (external)", name)
		}
	}
	return nil
}

// readTURNSecret reads -turn-secret-file; nil when it is not given.
func readTURNSecret(file string) ([]byte, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("-turn-secret-file: %w", err)
	}
	secret := bytes.TrimSpace(b)
	if len(secret) < 16 {
		return nil, errors.New("-turn-secret-file: the secret needs at least 16 bytes")
	}
	return secret, nil
}

// startExternalTURN hands out the -turn-url relay with credentials of -turn-secret-file.
func startExternalTURN(o options, logger *slog.Logger) (*server.TURN, error) {
	secret, err := readTURNSecret(o.turnSec)
	if err != nil {
		return nil, err
	}
	relay, err := server.NewExternalTURN(server.ExternalTURNConfig{URLs: o.turnURLs, Secret: secret})
	if err != nil {
		return nil, fmt.Errorf("-turn-url: %w", err)
	}
	logger.Info("external TURN relay", "urls", o.turnURLs.String())
	return relay, nil
}
