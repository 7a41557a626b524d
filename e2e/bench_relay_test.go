package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/call/media"
	"bedside/internal/testkit"
	"bedside/provisioning"
)

// relayBenchCalls calls are up at once for relayBenchWindow in BenchmarkRelay20Calls.
const (
	relayBenchCalls  = 20
	relayBenchWindow = 20 * time.Second
)

// relayBenchSource is the picture each of the 40 engines sends: small and slow, so that two
// cores can encode and decode all of them and the relay, not the codec, is what is measured.
var relayBenchSource = media.TestOptions{Width: 160, Height: 120, FPS: 15}

// relayBenchPair is one call's two ends, on a bed of its own.
type relayBenchPair struct{ tab, fam *peer }

// relayBenchPairs connects each bed's tablet and family member to the ward w, both with the
// engine options shared (the same API: relay-only or not).
func relayBenchPairs(tb testing.TB, w *ward, beds []relayBenchBed, shared peerOption) []relayBenchPair {
	tb.Helper()
	pairs := make([]relayBenchPair, len(beds))
	for i, b := range beds {
		id, err := provisioning.LoadOrCreateIdentity(filepath.Join(tb.TempDir(), "identity"))
		require.NoError(tb, err)
		_, err = provisioning.Enroll(context.Background(), w.url, b.PairingCode, id, "bench tablet", "test")
		require.NoError(tb, err)
		_, token, ok := strings.Cut(b.FamilyURL, "/j/")
		require.True(tb, ok, "a family URL ends in /j/<token>")
		pairs[i].tab = startPeerWith(tb, w, call.Config{Signer: id, AutoAnswer: true}, relayBenchSource, []peerOption{shared})
		pairs[i].fam = startPeerWith(tb, w, call.Config{FamilyToken: token}, relayBenchSource, []peerOption{shared})
	}
	return pairs
}

// relayBenchFigures is what one run of the 20 calls measured over the window.
type relayBenchFigures struct {
	selfCPU  float64 // % of one core, this process (the 40 engines)
	wardCPU  float64 // % of one core, the ward server's process (with the embedded relay in it)
	relayCPU float64 // % of one core: the coturn process, or the ward's (which is the relay's)
	mbps     float64 // media delivered, all 40 ends summed, Mbit/s (the relay carries it twice)
	fps      float64 // frames decoded per second, mean of the 40 ends
	minFPS   float64 // the slowest end's
	gaps     uint64  // lost-packet gaps, all 40 ends summed
	drops    udpDrops
}

// relayBenchRun places the 20 calls at once, waits until every end decodes pictures, then
// measures over the window, and hangs up. CPU is read from /proc: this process's, the ward's
// (wardPid) and the relay's (relayPid: coturn's, or the ward's for its embedded relay), and
// so are the datagrams the relay's sockets dropped (relayPort is its listener's).
func relayBenchRun(tb testing.TB, pairs []relayBenchPair, wardPid, relayPid, relayPort int) relayBenchFigures {
	tb.Helper()
	ctx := context.Background()
	var wg sync.WaitGroup
	for _, p := range pairs {
		wg.Add(1)
		go func() { defer wg.Done(); p.fam.dial(tb, "") }()
	}
	wg.Wait()
	testkit.Eventually(tb, "both ends of every call are in the call", func() bool {
		for _, p := range pairs {
			if p.tab.phone.State() != call.InCall || p.fam.phone.State() != call.InCall {
				return false
			}
		}
		return true
	})
	for _, p := range pairs {
		p.tab.waitMedia(tb, "the tablet", 15)
		p.fam.waitMedia(tb, "the family", 15)
	}
	// Let the rate control settle after the set-ups before measuring.
	time.Sleep(3 * time.Second)
	ends := make([]*peer, 0, 2*len(pairs))
	for _, p := range pairs {
		ends = append(ends, p.tab, p.fam)
	}
	cpu := func(pid int) time.Duration {
		if pid == 0 {
			return 0
		}
		p, err := readBenchProc(pid)
		require.NoError(tb, err)
		return p.cpu
	}
	drops := func() udpDrops {
		if relayPid == 0 {
			return udpDrops{}
		}
		d, err := readUDPDrops(relayPid, relayPort)
		require.NoError(tb, err)
		return d
	}
	frames0, gaps0 := make([]int64, len(ends)), uint64(0)
	for i, e := range ends {
		frames0[i] = e.frames.Load()
		gaps0 += e.phone.Stats().LossGaps
	}
	drops0 := drops()
	self0, ward0, relay0, t0 := cpu(os.Getpid()), cpu(wardPid), cpu(relayPid), time.Now()
	var bits float64
	samples := 0
	tick := time.NewTicker(time.Second)
	for time.Since(t0) < relayBenchWindow {
		<-tick.C
		for _, e := range ends {
			bits += e.phone.Stats().InboundBitrate
		}
		samples++
	}
	tick.Stop()
	elapsed := time.Since(t0)
	self1, ward1, relay1 := cpu(os.Getpid()), cpu(wardPid), cpu(relayPid)
	drops1 := drops()
	pct := func(d time.Duration) float64 { return 100 * d.Seconds() / elapsed.Seconds() }
	f := relayBenchFigures{
		selfCPU:  pct(self1 - self0),
		wardCPU:  pct(ward1 - ward0),
		relayCPU: pct(relay1 - relay0),
		mbps:     bits / float64(max(samples, 1)) / 1e6,
		minFPS:   -1,
		drops:    udpDrops{listener: drops1.listener - drops0.listener, others: drops1.others - drops0.others},
	}
	for i, e := range ends {
		fps := float64(e.frames.Load()-frames0[i]) / elapsed.Seconds()
		f.fps += fps / float64(len(ends))
		if f.minFPS < 0 || fps < f.minFPS {
			f.minFPS = fps
		}
	}
	var plis, asked, decErr uint64
	var target, rtt float64
	for _, e := range ends {
		st := e.phone.Stats()
		f.gaps += st.LossGaps
		plis += st.PLIsSent
		asked += st.KeyFramesAsked
		decErr += st.DecodeErrors
		target += float64(st.VideoTarget) / float64(len(ends))
		rtt += float64(st.RTT.Milliseconds()) / float64(len(ends))
	}
	f.gaps -= gaps0
	tb.Logf("40 ends: loss gaps %d in the window (%d since the calls began), keyframe requests sent %d, asked %d, decode errors %d; mean video target %.0f kbit/s, mean RTT %.0f ms",
		f.gaps, f.gaps+gaps0, plis, asked, decErr, target/1000, rtt)
	tb.Logf("datagrams the relay's sockets dropped in the window (receive buffer full): listener %d, allocations %d",
		f.drops.listener, f.drops.others)
	for _, p := range pairs {
		wg.Add(1)
		go func() { defer wg.Done(); require.NoError(tb, p.fam.phone.Hangup(ctx)) }()
	}
	wg.Wait()
	waitIdle(tb, ends...)
	return f
}

// BenchmarkRelay20Calls measures relayed calls' cost: 20 relay-only calls between Go engines
// (160x120 at 15 fps and the tone, both ways) placed at once and up for 20 s through the
// ward's embedded relay over UDP, beside the same 20 calls made directly on loopback and
// through Debian's coturn, in the same run. The ward server runs in a process of its own, as
// coturn does (bench_relay_ward_test.go). It reports the CPU of this process (the 40 engines),
// of the ward's process, and of the relay (coturn's process; the ward's, with its embedded
// relay, whose signaling alone is the ward's figure in "direct"), the media delivered (the
// relay receives and sends each byte twice: in on the sender's allocation, out on the
// receiver's), the frames each end decodes per second, the lost-packet gaps the 40 ends
// counted in the window, and the datagrams the relay's sockets dropped.
// Issue 10's goal: 20 relayed calls at once.
func BenchmarkRelay20Calls(b *testing.B) {
	testkit.Need(b, "turnserver")
	for _, mode := range []string{"direct", "embedded", "coturn"} {
		b.Run(mode, func(b *testing.B) {
			var w *benchWardProc
			relayPid, relayPort := 0, 0
			switch mode {
			case "direct":
				w = startRelayWard(b, "direct", relayBenchCalls, "", "")
			case "embedded":
				w = startRelayWard(b, "embedded", relayBenchCalls, "", "")
				relayPid, relayPort = w.pid, w.info.RelayPort
			case "coturn":
				secret := make([]byte, 24)
				_, err := rand.Read(secret)
				require.NoError(b, err)
				ct := startCoturn(b, hex.EncodeToString(secret))
				_, port, _ := net.SplitHostPort(ct.addr)
				relayPid, relayPort = ct.pid, atoi(b, port)
				w = startRelayWard(b, "external", relayBenchCalls, "turn:"+ct.addr+"?transport=udp", hex.EncodeToString(secret))
			}
			api, err := call.NewAPI(call.APIOptions{LoopbackOnly: true, RelayOnly: mode != "direct", Logger: testLogger(b)})
			require.NoError(b, err)
			pairs := relayBenchPairs(b, w.ward, w.info.Beds, func(c *call.Config) { c.API = api })
			var f relayBenchFigures
			for b.Loop() {
				f = relayBenchRun(b, pairs, w.pid, relayPid, relayPort)
			}
			b.ReportMetric(f.selfCPU, "%cpu-engines")
			b.ReportMetric(f.wardCPU, "%cpu-ward")
			b.ReportMetric(f.relayCPU, "%cpu-relay")
			b.ReportMetric(f.mbps, "Mbit/s-delivered")
			if f.mbps > 0 && relayPid != 0 {
				b.ReportMetric(f.relayCPU/f.mbps, "%cpu-relay/Mbit/s")
			}
			b.ReportMetric(f.fps, "fps-mean")
			b.ReportMetric(f.minFPS, "fps-min")
			b.ReportMetric(float64(f.gaps), "loss-gaps")
			b.ReportMetric(float64(f.drops.listener+f.drops.others), "relay-drops")
		})
	}
}

// atoi is s as a number.
func atoi(tb testing.TB, s string) int {
	tb.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(tb, err)
	return n
}
