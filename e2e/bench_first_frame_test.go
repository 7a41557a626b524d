package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"bedside/call"
)

// benchFirstFrameJS instruments the family page before its own scripts run: it wraps WebSocket
// to timestamp the server's "accepted" (the callee answered), then polls the call's getStats()
// every few milliseconds until the first remote video frame is decoded, and records the delay.
const benchFirstFrameJS = `(() => {
  const B = window.__bench = { call: '', results: [] };
  const Native = window.WebSocket;
  function Wrapped(url, protocols) {
    const ws = protocols === undefined ? new Native(url) : new Native(url, protocols);
    ws.addEventListener('message', (ev) => {
      let m;
      try { m = JSON.parse(ev.data); } catch (e) { return; }
      if (m && m.type === 'accepted') poll(m.call, performance.now());
    });
    return ws;
  }
  Wrapped.prototype = Native.prototype;
  for (const k of ['CONNECTING', 'OPEN', 'CLOSING', 'CLOSED']) Wrapped[k] = Native[k];
  window.WebSocket = Wrapped;
  function poll(id, t0) {
    B.call = id;
    const step = async () => {
      if (B.call !== id) return;
      const pc = window.bedside && window.bedside.pc();
      if (pc) {
        const report = await pc.getStats();
        let frames = 0;
        report.forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded || 0;
        });
        if (frames > 0) {
          B.results.push({ call: id, ms: performance.now() - t0 });
          return;
        }
      }
      if (performance.now() - t0 > 30000) {
        B.results.push({ call: id, ms: -1 });
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
	ctx := benchBrowser(tb)
	benchMust(tb, chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument,
			page.AddScriptToEvaluateOnNewDocumentParams{Source: benchFirstFrameJS})
		return err
	})))
	benchDo(tb, ctx, chromedp.Navigate(url), chromedp.WaitEnabled(testID("call")))
	return &benchFamilyPage{ctx: ctx}
}

// callOnce taps Call, waits for the first decoded frame, hangs up and comes back to idle. It
// returns the time from "accepted" to that first frame. idle reports whether the tablet is
// ready for the next call.
func (f *benchFamilyPage) callOnce(tb testing.TB, idle func() bool) time.Duration {
	tb.Helper()
	benchWait(tb, "the tablet is idle", 10*time.Millisecond, idle)
	benchWait(tb, "the page can call", 10*time.Millisecond, func() bool {
		return benchEval[bool](tb, f.ctx, `document.body.dataset.state === 'idle' && !document.getElementById('call').disabled`)
	})
	n := benchEval[int](tb, f.ctx, `window.__bench.results.length`)
	benchEval[bool](tb, f.ctx, `(document.getElementById('call').click(), true)`)
	var ms float64
	benchWait(tb, "the page decodes the first frame", 5*time.Millisecond, func() bool {
		r := benchEval[[]struct {
			MS float64 `json:"ms"`
		}](tb, f.ctx, `window.__bench.results`)
		if len(r) > n {
			ms = r[n].MS
			return true
		}
		return false
	})
	if ms < 0 {
		tb.Fatal("no frame decoded within 30 s of the answer")
	}
	benchDo(tb, f.ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-state="in-call"]`)))
	benchEval[bool](tb, f.ctx, `(document.getElementById('hangup').click(), true)`)
	benchDo(tb, f.ctx, chromedp.WaitVisible(chromedp.CSS(`body[data-state="ended"]`)))
	benchEval[bool](tb, f.ctx, `(document.getElementById('message-action').click(), true)`)
	return time.Duration(ms * float64(time.Millisecond))
}

// BenchmarkAnswerToFirstFrame measures call setup as the family sees it: from the family page
// hearing that the tablet answered ("accepted") to the first remote video frame decoded by the
// page, over benchCalls calls to the Go engine tablet (test pattern, 640x480) and as many to a
// reference tablet that is Chromium itself (testdata/bench/device.html, fake camera) through
// the same server, interleaved so that both see the same machine load. Each tablet is on its
// own bed, called from its own family page in its own Chromium.
func BenchmarkAnswerToFirstFrame(b *testing.B) {
	const benchCalls = 20
	w := newBenchWard(b)
	other := w.addBed(b, "2")
	goTab := newBenchGoTablet(b, w, w.demo.PairingCode)

	dev := benchBrowser(b)
	benchDo(b, dev, chromedp.Navigate(w.url+"/bench/device.html?code="+other.pairingCode))
	benchWait(b, "the Chromium tablet signs in", 20*time.Millisecond, func() bool {
		st := benchEval[string](b, dev, `window.benchDevice ? window.benchDevice.state + ' ' + window.benchDevice.error : ''`)
		if strings.HasPrefix(st, "error") || strings.HasPrefix(st, "closed") {
			b.Fatalf("the Chromium tablet: %s", st)
		}
		return strings.HasPrefix(st, "idle")
	})
	devIdle := func() bool { return benchEval[string](b, dev, `window.benchDevice.state`) == "idle" }
	goIdle := func() bool { return goTab.phone.State() == call.Idle }

	famGo := newBenchFamilyPage(b, w.demo.FamilyURL)
	famChromium := newBenchFamilyPage(b, other.familyURL)

	calls := max(benchCalls, b.N)
	var goTimes, chromiumTimes []time.Duration
	b.ResetTimer()
	for i := range calls + 1 { // the first call of each is a warm-up, not counted
		g := famGo.callOnce(b, goIdle)
		c := famChromium.callOnce(b, devIdle)
		if i > 0 {
			goTimes = append(goTimes, g)
			chromiumTimes = append(chromiumTimes, c)
		}
	}
	b.StopTimer()
	goP50, goP95 := benchPercentiles(goTimes)
	chP50, chP95 := benchPercentiles(chromiumTimes)
	b.ReportMetric(goP50, "go-p50-ms")
	b.ReportMetric(goP95, "go-p95-ms")
	b.ReportMetric(chP50, "chromium-p50-ms")
	b.ReportMetric(chP95, "chromium-p95-ms")
	var sb strings.Builder
	fmt.Fprintf(&sb, "answer → first decoded frame at the family page, %d calls each (loopback):\n", calls)
	fmt.Fprintf(&sb, "  %-28s %8s %8s %8s %8s\n", "tablet", "p50 ms", "p95 ms", "min ms", "max ms")
	for _, row := range []struct {
		name string
		ds   []time.Duration
	}{{"Go engine (bedside)", goTimes}, {"Chromium (reference)", chromiumTimes}} {
		p50, p95 := benchPercentiles(row.ds)
		lo, hi := benchPercentiles(nil)
		if len(row.ds) > 0 {
			lo, hi = float64(benchMin(row.ds).Microseconds())/1000, float64(benchMax(row.ds).Microseconds())/1000
		}
		fmt.Fprintf(&sb, "  %-28s %8.1f %8.1f %8.1f %8.1f\n", row.name, p50, p95, lo, hi)
	}
	b.Log("\n" + sb.String())
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
