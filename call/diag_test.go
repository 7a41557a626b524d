package call

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"bedside/call/media"

	"github.com/pion/webrtc/v4"
)

// A failed media test explains itself: the log lines of its APIs, sessions and Locals (pion's
// ICE and DTLS warnings included) and each end's state are printed when it fails, so that a
// failure on a loaded CI machine can be understood from its output alone.

// logRingLines is how many of the last log lines a test keeps.
const logRingLines = 400

// logRing keeps the last logRingLines lines written to it.
type logRing struct {
	mu    sync.Mutex
	lines []string
	lost  int
}

func (r *logRing) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lines) == logRingLines {
		r.lines = r.lines[1:]
		r.lost++
	}
	r.lines = append(r.lines, strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

func (r *logRing) String() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return fmt.Sprintf("(%d earlier lines left out)\n%s", r.lost, strings.Join(r.lines, "\n"))
}

// testLogs holds each running test's ring.
var testLogs sync.Map // testing.TB → *logRing

// failureLogger returns a logger that keeps what tb's components log at Debug and up (pion's
// warnings and errors among them, see pionLogger) and prints it if tb fails.
func failureLogger(tb testing.TB) *slog.Logger {
	r, loaded := testLogs.LoadOrStore(tb, &logRing{})
	ring := r.(*logRing)
	if !loaded {
		tb.Cleanup(func() {
			testLogs.Delete(tb)
			if tb.Failed() {
				tb.Logf("the test's log, last lines:\n%s", ring)
			}
		})
	}
	return slog.New(slog.NewTextHandler(ring, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// describe tells one end's state: the connection, ICE and DTLS states, the selected pair,
// the session's figures and those of its Local.
func describe(name string, p *peer) string {
	s := p.sess
	var b strings.Builder
	fmt.Fprintf(&b, "%s: pc=%s ice=%s signaling=%s", name, s.pc.ConnectionState(),
		s.pc.ICEConnectionState(), s.pc.SignalingState())
	if senders := s.pc.GetSenders(); len(senders) > 0 && senders[0].Transport() != nil {
		dtls := senders[0].Transport()
		fmt.Fprintf(&b, " dtls=%s", dtls.State())
		if pair, err := dtls.ICETransport().GetSelectedCandidatePair(); err == nil && pair != nil {
			fmt.Fprintf(&b, " pair=%s", pair)
		}
	}
	for _, st := range s.pc.GetStats() {
		if v, ok := st.(webrtc.ICECandidatePairStats); ok && v.Nominated {
			fmt.Fprintf(&b, " nominated(state=%s sent=%d recv=%d)", v.State, v.PacketsSent, v.PacketsReceived)
		}
	}
	fmt.Fprintf(&b, "\n  link estimate %d bit/s\n  session %+v\n  sinks: frames=%d samples=%d peak=%d",
		s.counters.linkRate.Load(), s.Stats(), p.video.n.Load(), p.audio.samples.Load(), p.audio.peak.Load())
	if p.local != nil {
		fmt.Fprintf(&b, "\n  local %+v", p.local.Stats())
	}
	return b.String()
}

// explainOnFailure prints both ends' state if tb fails. Call it after the peers are made: it
// then runs before their sessions are closed (cleanups run last in, first out).
func explainOnFailure(tb testing.TB, a, b *peer) {
	tb.Cleanup(func() {
		if tb.Failed() {
			tb.Logf("state at the failure:\n%s\n%s", describe("offerer", a), describe("answerer", b))
		}
	})
}

// closeLocalOnEnd closes l when tb ends (Close is idempotent: a test may close it first).
func closeLocalOnEnd(tb testing.TB, l *media.Local) {
	tb.Cleanup(func() { _ = l.Close() })
}
