package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/server"
)

// The relay benchmark runs the ward server (and with it the embedded relay) in a process of
// its own, as coturn is and as a ward server is in production: sharing this process's
// scheduler and garbage collector with 40 call engines, the embedded relay's one read loop
// paused long enough to lose packets, which measured the engines as much as the relay.

// Environment of the child ward process (the os/exec helper-process pattern).
const (
	relayWardEnv    = "BEDSIDE_RELAY_BENCH_WARD" // "direct", "embedded" or "external"
	relayWardBeds   = "BEDSIDE_RELAY_BENCH_BEDS"
	relayWardURL    = "BEDSIDE_RELAY_BENCH_TURN_URL" // external relay's URL
	relayWardSecret = "BEDSIDE_RELAY_BENCH_TURN_SECRET"
	relayWardLine   = "RELAYBENCH "
)

// relayWardInfo is what the child ward prints: its URL, its relay's UDP port and the beds.
type relayWardInfo struct {
	URL       string
	RelayPort int
	Beds      []relayBenchBed
}

// relayBenchBed is one of the child ward's beds: its family link and its tablet's pairing code.
type relayBenchBed struct{ FamilyURL, PairingCode string }

// TestRelayBenchWard is BenchmarkRelay20Calls' ward server process; run as a test, without
// the variable, it does nothing. It serves until its standard input closes.
func TestRelayBenchWard(t *testing.T) {
	mode := os.Getenv(relayWardEnv)
	if mode == "" {
		return
	}
	n, err := strconv.Atoi(os.Getenv(relayWardBeds))
	require.NoError(t, err)
	var relay *server.TURN
	switch mode {
	case "embedded":
		relay, err = server.NewTURN(server.TURNConfig{Listen: "127.0.0.1:0", PublicIP: net.IPv4(127, 0, 0, 1),
			RelayAddress: "127.0.0.1", AllowLoopback: true, Logger: testLogger(t)})
	case "external":
		relay, err = server.NewExternalTURN(server.ExternalTURNConfig{URLs: []string{os.Getenv(relayWardURL)},
			Secret: []byte(os.Getenv(relayWardSecret))})
	case "direct":
	default:
		t.Fatalf("unknown mode %q", mode)
	}
	require.NoError(t, err)
	opts := []wardOption{withConfig(unlimited)}
	info := relayWardInfo{}
	if relay != nil {
		t.Cleanup(func() { relay.Close() })
		opts = append(opts, withConfig(func(c *server.Config) { c.TURN = relay }))
		if a, ok := relay.Addr().(*net.UDPAddr); ok {
			info.RelayPort = a.Port
		}
	}
	w := newWard(t, opts...)
	info.URL = w.url
	for i := range n {
		b := w.addBed(t, "r"+strconv.Itoa(i))
		info.Beds = append(info.Beds, relayBenchBed{b.familyURL, b.pairingCode})
	}
	line, err := json.Marshal(info)
	require.NoError(t, err)
	fmt.Println(relayWardLine + string(line))
	_, _ = io.Copy(io.Discard, os.Stdin)
}

// benchWardProc is the child ward process as the benchmark sees it.
type benchWardProc struct {
	*ward
	info relayWardInfo
	pid  int
}

// startRelayWard starts the ward server in a process of its own with n beds; mode is
// "direct", "embedded" or "external" (then with the external relay's URL and secret). It
// stops with tb, and its output is shown when tb fails.
func startRelayWard(tb testing.TB, mode string, n int, turnURL, secret string) *benchWardProc {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRelayBenchWard$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), relayWardEnv+"="+mode, relayWardBeds+"="+strconv.Itoa(n),
		relayWardURL+"="+turnURL, relayWardSecret+"="+secret)
	logFile := filepath.Join(tb.TempDir(), "ward.log")
	errs, err := os.Create(logFile)
	require.NoError(tb, err)
	cmd.Stderr = errs
	stdin, err := cmd.StdinPipe()
	require.NoError(tb, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(tb, err)
	require.NoError(tb, cmd.Start())
	exited := make(chan struct{})
	lines := make(chan string, 1)
	var rest strings.Builder
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			if l, ok := strings.CutPrefix(sc.Text(), relayWardLine); ok {
				lines <- l
				continue
			}
			rest.WriteString(sc.Text() + "\n")
		}
		_ = cmd.Wait()
	}()
	tb.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		_ = errs.Close()
		if tb.Failed() {
			b, _ := os.ReadFile(logFile)
			tb.Logf("ward process output:\n%s%s", rest.String(), b)
		}
	})
	w := &benchWardProc{pid: cmd.Process.Pid}
	select {
	case l := <-lines:
		require.NoError(tb, json.Unmarshal([]byte(l), &w.info))
	case <-exited:
		tb.Fatalf("the ward process exited before serving")
	case <-time.After(2 * time.Minute):
		tb.Fatalf("the ward process did not start in 2 minutes")
	}
	w.ward = &ward{url: w.info.URL}
	return w
}
