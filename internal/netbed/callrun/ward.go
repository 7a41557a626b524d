package callrun

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"bedside/internal/netbed"
)

// Binaries are the built commands that a ward runs.
type Binaries struct {
	Server, Peer string
	// Sources are the module's files in the packages the commands are built from.
	Sources []string
}

// Build builds bedside-server and bedside-peer into dir. Tests build once per test binary
// (TestMain) and share the result.
func Build(dir string) (Binaries, error) {
	b := Binaries{Server: filepath.Join(dir, "bedside-server"), Peer: filepath.Join(dir, "bedside-peer")}
	for _, c := range []struct{ out, pkg, cgo string }{
		{b.Server, "bedside/cmd/bedside-server", "0"},
		{b.Peer, "bedside/cmd/bedside-peer", "1"},
	} {
		cmd := exec.Command("go", "build", "-o", c.out, c.pkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED="+c.cgo)
		if out, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("building %s: %w\n%s", c.pkg, err, out)
		}
	}
	var err error
	b.Sources, err = netbed.ModuleSources("bedside/cmd/bedside-server", "bedside/cmd/bedside-peer")
	if err != nil {
		return b, err
	}
	return b, nil
}

// Ward is a ward server in the testbed's server namespace, seeded with the demo ward, and the
// demo bed's tablet, a bedside-peer in the tablet namespace that answers every call.
type Ward struct {
	Bed  *netbed.Bed
	bins Binaries
	url  string

	familyToken string
	contact     string // the demo family's contact id: whom the tablet calls (TabletCalls)
	pairCode    string
	tabletData  string // the tablet's identity, kept when TabletCalls starts it again
	server      *proc
	tablet      *proc
}

// serverPort is the ward server's port on the server namespace's address.
const serverPort = "8080"

// StatsEvery is how often the peers print their figures: freezes are measured to this.
const StatsEvery = 100 * time.Millisecond

// NewWard brings up a testbed, the ward server (with its TURN relay on UDP and TCP 3478: with
// UDP blocked, TCP is the way) and the tablet.
func NewWard(tb testing.TB, bins Binaries) *Ward {
	tb.Helper()
	// go test caches a result by the test binary and the files of the module the test looked
	// at. The commands run here are built apart from the test binary: looking at their
	// sources keeps go test from reusing a result of older commands.
	netbed.StatAll(tb, bins.Sources)
	if err := keptLogs(); err != nil {
		tb.Fatalf("-netbed.logs: %v", err)
	}
	bed := netbed.New(tb)
	addr := bed.Addr(netbed.Server).String()
	return startWard(tb, bins, bed, "-turn", addr+":3478", "-turn-tcp", addr+":3478", "-turn-ip", addr)
}

// startWard starts the ward server, with more flags, and the tablet, answering every call, on
// bed.
func startWard(tb testing.TB, bins Binaries, bed *netbed.Bed, flags ...string) *Ward {
	tb.Helper()
	addr := bed.Addr(netbed.Server).String()
	w := &Ward{Bed: bed, bins: bins, url: "http://" + addr + ":" + serverPort}
	w.server = startProc(tb, "server", bed.Command(netbed.Server, bins.Server, append([]string{"-demo",
		"-addr", addr + ":" + serverPort, "-data", tb.TempDir(), "-log-level", serverLogLevel()}, flags...)...))
	deadline := time.After(30 * time.Second)
	for w.familyToken == "" || w.pairCode == "" || w.contact == "" {
		select {
		case l, ok := <-w.server.lines:
			if !ok {
				tb.Fatalf("the ward server stopped; its stderr:\n%s", w.server.stderrTail())
			}
			if link, ok := strings.CutPrefix(l.text, "family link: "); ok {
				_, w.familyToken, _ = strings.Cut(link, "/j/")
			}
			if c, ok := strings.CutPrefix(l.text, "device pairing code: "); ok {
				w.pairCode = c
			}
			if c, ok := strings.CutPrefix(l.text, "family contact: "); ok {
				w.contact = c
			}
		case <-deadline:
			tb.Fatalf("the ward server printed no family link and pairing code; its stderr:\n%s", w.server.stderrTail())
		}
	}
	w.tabletData = tb.TempDir()
	w.startTablet(tb, "-auto-answer")
	return w
}

// startTablet starts the tablet with more flags (enrolling it the first time) and waits until
// it is on the server.
func (w *Ward) startTablet(tb testing.TB, flags ...string) {
	tb.Helper()
	w.tablet = startProc(tb, "tablet", w.Bed.Command(netbed.Tablet, w.bins.Peer, append([]string{"-server", w.url,
		"-pair", w.pairCode, "-data", w.tabletData, "-stats-every", StatsEvery.String(), "-name", "netbed tablet",
		"-log-level", peerLogLevel()}, flags...)...))
	if _, ok := w.tablet.waitLine("ready ", 30*time.Second); !ok {
		tb.Fatalf("the tablet did not connect; its stderr:\n%s", w.tablet.stderrTail())
	}
}

// TabletCalls has the tablet call the demo family, the tablet offering: it starts the tablet
// again, the same device, as a bedside-peer that dials the family's contact once connected.
// The family must be on the server already (its page open) for the call to ring.
func (w *Ward) TabletCalls(tb testing.TB) {
	tb.Helper()
	if err := w.tablet.stop(10 * time.Second); err != nil {
		tb.Fatalf("stopping the tablet: %v", err)
	}
	w.startTablet(tb, "-dial", w.contact)
}

// family starts the family peer, which calls the patient and hangs up hold after the call is up.
func (w *Ward) family(tb testing.TB, hold time.Duration) *proc {
	tb.Helper()
	return startProc(tb, "family", w.Bed.Command(netbed.Family, w.bins.Peer, "-server", w.url,
		"-family-token", w.familyToken, "-dial", "patient", "-duration", hold.String(),
		"-stats-every", StatsEvery.String(), "-log-level", peerLogLevel()))
}

func (w *Ward) String() string { return fmt.Sprintf("ward at %s", w.url) }
