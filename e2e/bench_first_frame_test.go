package e2e

import (
	"bedside/internal/testkit"
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"bedside/call"
)

// benchFirstFrameJS instruments the family page before its own scripts run: it wraps WebSocket
// to timestamp the server's "accepted" (the callee answered), then polls the call's getStats()
// every few milliseconds until the first remote video frame is decoded, and records the delay.
const benchFirstFrameJS = `(() => {
  const B = window.__bench = { cur: null, results: [] };
  const Native = window.WebSocket;
  function Wrapped(url, protocols) {
    const ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
    ws.addEventListener('message', (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (!m) return;
      if (m.type === 'accepted') testkit.Poll(m.call, performance.now());
      if (m.type === 'answer' && B.cur && B.cur.call === m.call && !B.cur.answer) B.cur.answer = performance.now();
    });
    return ws;
  }
  Wrapped.prototype = Native.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Wrapped[k] = Native[k];
  window.WebSocket = Wrapped;
  function testkit.Poll(id, t0) {
    const cur = B.cur = { call: id, t0, answer: 0, connected: 0 };
    const done = (ms) => B.results.push({ call: id, ms, answer: cur.answer ? cur.answer - t0 : -1,
      connected: cur.connected ? cur.connected - t0 : -1 });
    const step = async () => {
      if (B.cur !== cur) return;
      const pc = window.bedside && window.bedside.pc();
      if (pc) {
        if (!cur.connected && pc.connectionState === 'connected') cur.connected = performance.now();
        const report = await pc.getStats();
        let frames = 0;
        report.forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded || 0;
        });
        if (frames > 0) {
          const now = performance.now();
          if (!cur.connected) cur.connected = now;
          done(now - t0);
          return;
        }
      }
      if (performance.now() - t0 > 30000) {
        done(-1);
        return;
      }
      setTimeout(step, 3);
    };
    step();
  }
})();`

// benchFamilyPage is a family page, instrumented, in its own headless Chromium.
type benchFamilyPage struct {
	ctx context.Context
}

func newBenchFamilyPage(tb testing.TB, url string) *benchFamilyPage {
	tb.Helper()
	ctx := newBrowser(tb)
	require.NoError(tb, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: benchFirstFrameJS})
		return err
	})))
	do(tb, ctx, chromedp.Navigate(url), chromedp.WaitEnabled(testID("call")))
	return &benchFamilyPage{ctx: ctx}
}

// callOnce taps Call, waits for the first decoded frame, hangs up and comes back to idle. It
// returns the time from "accepted" to that first frame. idle reports whether the tablet is
// ready for the next call.
func (f *benchFamilyPage) callOnce(tb testing.TB, idle func() bool) benchSetup {
	tb.Helper()
	testkit.Poll(tb, "the tablet is idle", 10*time.Millisecond, idle)
	testkit.Poll(tb, "the page can call", 10*time.Millisecond, func() bool {
		return eval[bool](tb, f.ctx, `document.body.dataset.state === 'idle' && !document.getElementById('call').disabled`)
	})
	n := eval[int](tb, f.ctx, `window.__bench.results.length`)
	eval[bool](tb, f.ctx, `(document.getElementById('call').click(), true)`)
	var got benchSetup
	testkit.Poll(tb, "the page decodes the first frame", 5*time.Millisecond, func() bool {
		r := eval[[]benchSetup](tb, f.ctx, `window.__bench.results`)
		if len(r) > n {
			got = r[n]
			return true
		}
		return false
	})
	if got.MS < 0 {
		tb.Fatal("no frame decoded within 30 s of the answer")
	}
	do(tb, f.ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-state="in-call"]`)))
	eval[bool](tb, f.ctx, `(document.getElementById('hangup').click(), true)`)
	do(tb, f.ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-state="ended"]`)))
	eval[bool](tb, f.ctx, `(document.getElementById('message-action').click(), true)`)
	return got
}

// benchSetup is one call's set-up as the family page saw it, in ms from "accepted": the
// tablet's SDP answer arrived, the peer connection connected, the first frame was decoded.
type benchSetup struct {
	MS        float64 `json:"ms"`
	Answer    float64 `json:"answer"`
	Connected float64 `json:"connected"`
}

func (s benchSetup) total() time.Duration { return benchMS(s.MS) }

func benchMS(ms float64) time.Duration { return time.Duration(ms * float64(time.Millisecond)) }

// benchPhases returns the median of each phase of the set-ups: accepted → answer, answer →
// connected, connected → first frame.
func benchPhases(ss []benchSetup) (answer, connect, frame float64) {
	var a, c, f []time.Duration
	for _, s := range ss {
		a = append(a, benchMS(s.Answer))
		c = append(c, benchMS(s.Connected-s.Answer))
		f = append(f, benchMS(s.MS-s.Connected))
	}
	answer, _ = benchPercentiles(a)
	connect, _ = benchPercentiles(c)
	frame, _ = benchPercentiles(f)
	return answer, connect, frame
}

// BenchmarkAnswerToFirstFrame measures call setup as the family sees it: from the family page
// hearing that the tablet answered ("accepted") to the first remote video frame decoded by the
// page, over benchCalls calls to the Go engine tablet (test pattern, 640x480) and as many to a
// reference tablet that is Chromium itself (testdata/bench/device.html, fake camera) through
// the same server, interleaved so that both see the same machine load. Each tablet is on its
// own bed, called from its own family page in its own Chromium.
func BenchmarkAnswerToFirstFrame(b *testing.B) {
	const benchCalls = 20
	w := newWard(b, withConfig(unlimited), benchPages)
	other := w.addBed(b, "2")
	goTab := newTablet(b, w, autoAnswer)

	dev := newBrowser(b)
	do(b, dev, chromedp.Navigate(w.url+"/bench/device.html?code="+other.pairingCode))
	testkit.Poll(b, "the Chromium tablet signs in", 20*time.Millisecond, func() bool {
		st := eval[string](b, dev, `window.benchDevice ? window.benchDevice.state + ' ' + window.benchDevice.error : ''`)
		if strings.HasPrefix(st, "error") || strings.HasPrefix(st, "closed") {
			b.Fatalf("the Chromium tablet: %s", st)
		}
		return strings.HasPrefix(st, "idle")
	})
	devIdle := func() bool { return eval[string](b, dev, `window.benchDevice.state`) == "idle" }
	goIdle := func() bool { return goTab.phone.State() == call.Idle }

	famGo := newBenchFamilyPage(b, w.demo.FamilyURL)
	famChromium := newBenchFamilyPage(b, other.familyURL)

	calls := max(benchCalls, b.N)
	var goSetups, chromiumSetups []benchSetup
	b.ResetTimer()
	for i := range calls + 1 { // the first call of each is a warm-up, not counted
		g := famGo.callOnce(b, goIdle)
		c := famChromium.callOnce(b, devIdle)
		if i > 0 {
			goSetups = append(goSetups, g)
			chromiumSetups = append(chromiumSetups, c)
		}
	}
	b.StopTimer()
	var goTimes, chromiumTimes []time.Duration
	for i := range goSetups {
		goTimes = append(goTimes, goSetups[i].total())
		chromiumTimes = append(chromiumTimes, chromiumSetups[i].total())
	}
	goP50, goP95 := benchPercentiles(goTimes)
	chP50, chP95 := benchPercentiles(chromiumTimes)
	b.ReportMetric(goP50, "go-p50-ms")
	b.ReportMetric(goP95, "go-p95-ms")
	b.ReportMetric(chP50, "chromium-p50-ms")
	b.ReportMetric(chP95, "chromium-p95-ms")
	var sb strings.Builder
	fmt.Fprintf(&sb, "BenchmarkAnswerToFirstFrame: answer → first decoded frame at the family page, %d calls each (loopback):\n", calls)
	fmt.Fprintf(&sb, "  %-22s %7s %7s %7s %7s %7s | median of: %8s %10s %8s\n", "tablet", "p50 ms", "p95 ms",
		"mean ms", "min ms", "max ms", "→answer", "→connected", "→frame")
	for _, row := range []struct {
		name string
		ds   []time.Duration
		ss   []benchSetup
	}{{"Go engine (bedside)", goTimes, goSetups}, {"Chromium (reference)", chromiumTimes, chromiumSetups}} {
		p50, p95 := benchPercentiles(row.ds)
		var sum time.Duration
		for _, d := range row.ds {
			sum += d
		}
		ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
		a, c, f := benchPhases(row.ss)
		fmt.Fprintf(&sb, "  %-22s %7.1f %7.1f %7.1f %7.1f %7.1f |            %8.1f %10.1f %8.1f\n", row.name, p50, p95,
			ms(sum/time.Duration(len(row.ds))), ms(benchMin(row.ds)), ms(benchMax(row.ds)), a, c, f)
	}
	fmt.Print(sb.String())
}

func benchMin(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = min(m, d)
	}
	return m
}

func benchMax(ds []time.Duration) time.Duration {
	m := ds[0]
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// benchPages serves testdata/bench (the reference tablet that is Chromium itself) under /bench/.
var benchPages = withPages("GET /bench/", http.StripPrefix("/bench/", http.FileServer(http.Dir(filepath.Join("testdata", "bench")))))

// benchPercentiles returns the p50 and p95 (nearest rank) of ds, in milliseconds.
func benchPercentiles(ds []time.Duration) (p50, p95 float64) {
	if len(ds) == 0 {
		return 0, 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	at := func(p float64) float64 {
		i := int(p*float64(len(s))+0.999999) - 1
		return float64(s[min(max(i, 0), len(s)-1)].Microseconds()) / 1000
	}
	return at(0.50), at(0.95)
}
