package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"bedside/call/media"
	"bedside/internal/testkit"
	"bedside/server"
	"bedside/server/store"
)

// BenchmarkGroupCallChromium is issue #13's reference for BenchmarkGroupCallTablet: in one
// mesh on the ward server, with N = 1, 2 and 4 other participants each, it measures over the
// same window the Go tablet (bedside-peer -pair, its own process) and one Chromium family page
// (headless, fake camera and microphone). The tablet and the page each have N others: the page
// calls, the tablet answers, N-1 family members (bedside-peer -join processes) join. Everyone
// sends the same 640x480 30 fps Y4M clip of the test pattern (as BenchmarkCallCPU; Chromium's
// own fake camera would run at 20 fps). For both it prints the CPU (% of one core; every
// Chromium process), the memory (the tablet's resident set; Chromium's PSS, shared pages
// counted once), the upload (all pairs, on the wire; for Chromium also the RTP bytes), the
// frames a second received from each other participant (mean), the video encoders at work, the
// frames they encode a second and the time spent in them (wall time inside the encode calls: it
// swells on a loaded machine). The Go engine has one encoder a call, whose output every pair
// sends; Chromium has one a peer connection (its outbound video streams, counted), so its
// encoded frames and encoder time grow with N where the tablet's do not. The tablet's step is
// its rate ladder's (scale@fps): a loaded machine's delays make congestion control step down.
//
//	go test ./e2e -run '^$' -bench BenchmarkGroupCallChromium -benchtime 1x
func BenchmarkGroupCallChromium(b *testing.B) {
	dir := b.TempDir()
	bin := buildBenchPeer(b, dir)
	clip := filepath.Join(dir, "clip.y4m")
	f, err := os.Create(clip)
	require.NoError(b, err)
	require.NoError(b, media.WriteY4M(f, 90, 640, 480, 30))
	require.NoError(b, f.Close())
	var rows []string
	for _, n := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("others-%d", n), func(b *testing.B) {
			for b.Loop() {
				rows = append(rows, groupChromiumOnce(b, bin, clip, n)...)
			}
		})
	}
	fmt.Println("BenchmarkGroupCallChromium: each side with N others in one mesh, measured over the same 10 s window (loopback, 2 shared cores)")
	fmt.Printf("%6s  %-24s %6s  %7s  %13s  %10s  %8s  %8s  %11s  %12s  %-16s  %5s\n", "N", "who", "cpu-%", "mem-MiB",
		"upload-kbit/s", "rtp-kbit/s", "recv-fps", "encoders", "encoded-fps", "encoder-ms/s", "sent", "load1")
	for _, r := range rows {
		fmt.Println(r)
	}
}

// groupPageStats is what the family page's peer connections have sent and received so far.
type groupPageStats struct {
	Pairs      int     `json:"pairs"`
	Connected  int     `json:"connected"`
	WireSent   int64   `json:"wireSent"`   // transport bytesSent, all pairs
	RTPSent    int64   `json:"rtpSent"`    // outbound-rtp bytes and header bytes, all pairs
	Encoders   int     `json:"encoders"`   // outbound video streams
	Encoded    int64   `json:"encoded"`    // their framesEncoded, summed
	EncodeSecs float64 `json:"encodeSecs"` // their totalEncodeTime, summed
	Decoded    int64   `json:"decoded"`    // inbound video framesDecoded, all pairs
	MinDecoded int64   `json:"minDecoded"`
	SentWidth  int64   `json:"sentWidth"`
	SentHeight int64   `json:"sentHeight"`
}

const groupPageStatsJS = `(async () => {
  const out = {pairs: 0, connected: 0, wireSent: 0, rtpSent: 0, encoders: 0, encoded: 0, encodeSecs: 0,
    decoded: 0, minDecoded: -1, sentWidth: 0, sentHeight: 0};
  for (const id of window.bedside.peers()) {
    const pc = window.bedside.pcOf(id);
    if (!pc) continue;
    out.pairs++;
    if (pc.connectionState === 'connected') out.connected++;
    let dec = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'transport') out.wireSent += s.bytesSent || 0;
      if (s.type === 'outbound-rtp') {
        out.rtpSent += (s.bytesSent || 0) + (s.headerBytesSent || 0);
        if (s.kind === 'video') {
          out.encoders++;
          out.encoded += s.framesEncoded || 0;
          out.encodeSecs += s.totalEncodeTime || 0;
          if ((s.frameWidth || 0) > out.sentWidth) { out.sentWidth = s.frameWidth; out.sentHeight = s.frameHeight || 0; }
        }
      }
      if (s.type === 'inbound-rtp' && s.kind === 'video') dec += s.framesDecoded || 0;
    });
    out.decoded += dec;
    out.minDecoded = out.minDecoded < 0 ? dec : Math.min(out.minDecoded, dec);
  }
  return out;
})()`

// lines returns how many lines the peer has printed, and those from the from-th on that
// start with prefix.
func (p *benchPeerProc) lines(from int, prefix string) (int, []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for _, l := range p.out[min(from, len(p.out)):] {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return len(p.out), out
}

// floatIn reads key=X from one of bedside-peer's stats lines; -1 when absent.
func floatIn(line, key string) float64 {
	m := regexp.MustCompile(` ` + regexp.QuoteMeta(key) + `=([0-9.]+)`).FindStringSubmatch(line)
	if m == nil {
		return -1
	}
	f, _ := strconv.ParseFloat(m[1], 64)
	return f
}

func groupChromiumOnce(b *testing.B, bin, clip string, n int) []string {
	const settle, window = 3 * time.Second, 10 * time.Second
	w := newWard(b, withConfig(unlimited))
	tablet := runBenchPeer(b, bin, "-server", w.url, "-pair", w.demo.PairingCode, "-media", "file:"+clip, "-auto-answer", "-loopback", "-stats-every", "1s")
	testkit.Poll(b, "the tablet signs in", 50*time.Millisecond, func() bool { return tablet.last("ready") != "" })
	for i := 1; i < n; i++ {
		ctx := context.Background()
		k, err := w.st.CreateContact(ctx, newBenchContact(w, i))
		require.NoError(b, err)
		token, err := server.NewFamilyLink(ctx, w.st, k.ID, time.Hour, server.LinkOptions{})
		require.NoError(b, err)
		fam := runBenchPeer(b, bin, "-server", w.url, "-family-token", token, "-media", "file:"+clip, "-join", "-loopback", "-stats-every", "0")
		testkit.Poll(b, "a family member signs in", 50*time.Millisecond, func() bool { return fam.last("ready") != "" })
	}

	page := newBrowser(b, fakeVideo(clip))
	do(b, page, chromedp.Navigate(w.demo.FamilyURL), chromedp.WaitEnabled(testID("call")))
	chromePID := chromedp.FromContext(page).Browser.Process().Pid
	eval[bool](b, page, `(document.getElementById('call').click(), true)`)
	waitState(b, page, "in-call")
	testkit.Poll(b, fmt.Sprintf("everyone in the call decodes the others (%d pairs each)", n), 200*time.Millisecond, func() bool {
		s := eval[groupPageStats](b, page, groupPageStatsJS)
		return s.Pairs == n && s.Connected == n && s.MinDecoded > 30 &&
			floatIn(tablet.last("stats "), "pairs") == float64(n) && floatIn(tablet.last("stats "), "pairs_fps") > 0
	})
	time.Sleep(settle)

	mark, _ := tablet.lines(0, "")
	pageBefore := eval[groupPageStats](b, page, groupPageStatsJS)
	var tabletUse, chromeUse benchUsage
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); tabletUse = benchMeasure(window, []int{tablet.cmd.Process.Pid}, nil) }()
	go func() { defer wg.Done(); chromeUse = benchMeasure(window, nil, []int{chromePID}) }()
	wg.Wait()
	pageAfter := eval[groupPageStats](b, page, groupPageStatsJS)
	_, lines := tablet.lines(mark, "stats ")
	require.GreaterOrEqual(b, len(lines), 2, "the tablet's stats lines in the window")

	// The tablet: the means of its stats lines in the window; its encoder from the first to the last.
	var up, fps float64
	for _, l := range lines {
		up += floatIn(l, "pairs_out_kbps")
		fps += floatIn(l, "pairs_fps")
	}
	up, fps = up/float64(len(lines)), fps/float64(len(lines))
	first, last := lines[0], lines[len(lines)-1]
	tsecs := floatIn(last, "t") - floatIn(first, "t")
	encFPS := (floatIn(last, "sent_frames") - floatIn(first, "sent_frames")) / tsecs
	encMS := (floatIn(last, "encode_total_ms") - floatIn(first, "encode_total_ms")) / tsecs

	// The page: its counters' difference over the window.
	secs := chromeUse.elapsed.Seconds()
	pUp := float64(pageAfter.WireSent-pageBefore.WireSent) * 8 / 1000 / secs
	pRTP := float64(pageAfter.RTPSent-pageBefore.RTPSent) * 8 / 1000 / secs
	pFPS := float64(pageAfter.Decoded-pageBefore.Decoded) / float64(max(pageAfter.Pairs, 1)) / secs
	pEncFPS := float64(pageAfter.Encoded-pageBefore.Encoded) / secs
	pEncMS := (pageAfter.EncodeSecs - pageBefore.EncodeSecs) * 1000 / secs

	const mib = 1 << 20
	b.ReportMetric(tabletUse.cpuPct, "go-cpu-%")
	b.ReportMetric(chromeUse.cpuPct, "chromium-cpu-%")
	b.ReportMetric(float64(tabletUse.rssMax)/mib, "go-rss-MiB")
	b.ReportMetric(float64(chromeUse.pssMax)/mib, "chromium-pss-MiB")
	b.ReportMetric(up, "go-upload-kbit/s")
	b.ReportMetric(pUp, "chromium-upload-kbit/s")
	b.ReportMetric(fps, "go-recv-fps")
	b.ReportMetric(pFPS, "chromium-recv-fps")
	b.ReportMetric(encFPS, "go-encoded-fps")
	b.ReportMetric(pEncFPS, "chromium-encoded-fps")

	eval[bool](b, page, `(document.getElementById('hangup').click(), true)`)
	waitState(b, page, "ended")

	load := loadAvg1()
	return []string{
		fmt.Sprintf("%6d  %-24s %6.0f  %7.0f  %13.0f  %10s  %8.1f  %8d  %11.1f  %12.1f  %-16s  %5s",
			n, "Go tablet (RSS)", tabletUse.cpuPct, float64(tabletUse.rssMax)/mib, up, "-", fps, 1, encFPS, encMS,
			goSent(last), load),
		fmt.Sprintf("%6d  %-24s %6.0f  %7.0f  %13.0f  %10.0f  %8.1f  %8d  %11.1f  %12.1f  %-16s  %5s",
			n, fmt.Sprintf("Chromium, %d procs (PSS)", chromeUse.procsEnd), chromeUse.cpuPct, float64(chromeUse.pssMax)/mib,
			pUp, pRTP, pFPS, pageAfter.Encoders, pEncFPS, pEncMS,
			fmt.Sprintf("%dx%d", pageAfter.SentWidth, pageAfter.SentHeight), load),
	}
}

// goSent is the size of the tablet's last encoded frame and its ladder step, from a stats line.
func goSent(line string) string {
	m := regexp.MustCompile(` sent_size=(\S+) step=(\S+)`).FindStringSubmatch(line)
	if m == nil {
		return "?"
	}
	return m[1] + " " + m[2]
}

// newBenchContact is the i-th extra family member of the demo patient.
func newBenchContact(w *ward, i int) store.Contact {
	return store.Contact{PatientID: w.demo.PatientID, Name: fmt.Sprintf("Member %d", i), Relation: "family", Language: "en"}
}

// loadAvg1 is the machine's one-minute load average (the machine may be shared).
func loadAvg1() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}
