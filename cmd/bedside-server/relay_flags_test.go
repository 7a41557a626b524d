package main

import (
	"io"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRelayFlagsThatDoNotGoTogether(t *testing.T) {
	ext := []string{"-turn-url", "turn:turn.example.org:3478?transport=udp,turns:turn.example.org:5349?transport=tcp"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{append(ext, "-turn", ":3478", "-turn-secret-file", "s"), "-turn is the embedded relay's"},
		{append(ext, "-turn-tls", ":5349", "-turn-secret-file", "s"), "-turn-tls is the embedded relay's"},
		{append(ext, "-turn-ip", "192.0.2.1", "-turn-secret-file", "s"), "-turn-ip is the embedded relay's"},
		{append(ext, "-turn-host", "x", "-turn-secret-file", "s"), "-turn-host is the embedded relay's"},
		{append(ext, "-turn-tls-cert", "c", "-turn-tls-key", "k", "-turn-secret-file", "s"), "-turn-tls-cert is the embedded relay's"},
		{ext, "needs -turn-secret-file"},
		{[]string{"-turn-url", "turn:a,,turn:b"}, "empty URL"},
		{[]string{"-turn-secret-file", "s"}, "-turn-secret-file needs a relay"},
		{[]string{"-turn-ip", "192.0.2.1"}, "-turn-ip needs a relay"},
	} {
		_, err := parseFlags(tc.args, io.Discard)
		require.ErrorContains(t, err, tc.want, "%q", tc.args)
	}
	// Repeated and comma-separated URLs add up; -tls-cert is the web server's and may stay.
	o, err := parseFlags(append(ext, "-turn-url", "stun:turn.example.org:3478", "-turn-secret-file", "s",
		"-tls-cert", "c", "-tls-key", "k"), io.Discard)
	require.NoError(t, err)
	require.Len(t, o.turnURLs, 3)
}
