package server_test

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/server"
)

// rmemMax is the largest receive buffer the kernel grants without privileges.
func rmemMax(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/core/rmem_max")
	require.NoError(t, err, "the test reads the kernel's cap on socket buffers")
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return n
}

// Before: the UDP listener had the kernel's default buffer (208 KiB), which 20 relayed calls
// overflowed whenever the relay's read loop paused (BenchmarkRelay20Calls lost packets).
func TestTURNAsksForUDPBuffers(t *testing.T) {
	capped := rmemMax(t)
	for _, asked := range []int{256 << 10, 2 * capped} {
		var logs bytes.Buffer
		relay, err := server.NewTURN(server.TURNConfig{Listen: "127.0.0.1:0", PublicIP: net.IPv4(127, 0, 0, 1),
			RelayAddress: "127.0.0.1", UDPBuffer: asked, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		require.NoError(t, err)
		require.Equal(t, min(asked, capped), relay.UDPBuffer(), "asked %d, the kernel grants up to %d", asked, capped)
		if asked > capped {
			require.Contains(t, logs.String(), "raise net.core.rmem_max", "a capped buffer is told")
		} else {
			require.NotContains(t, logs.String(), "rmem_max")
		}
		require.NoError(t, relay.Close())
	}
}
