package callrun

import (
	"testing"

	"bedside/internal/browsertest"
	"bedside/internal/netbed"
	"bedside/internal/testkit"
)

// familyBrowser starts browser ("chromium" or "firefox") in the family's namespace, the ward's
// address treated as a secure origin (the page needs one for the camera).
func familyBrowser(t *testing.T, w *Ward, browser string, o browsertest.Options) browsertest.Tab {
	t.Helper()
	o.NetNS = &browsertest.NetNS{Name: w.Bed.NS(netbed.Family), Dial: w.Bed.Dialer(netbed.Family)}
	o.SecureOrigin = w.URL()
	if o.Width == 0 {
		o.Width, o.Height = 390, 844
	}
	if browser == "firefox" {
		return browsertest.StartFirefox(t, o)
	}
	return browsertest.ChromiumTab(t, o)
}

// callThePatient opens the family page and calls the tablet, which answers by itself.
func callThePatient(t *testing.T, w *Ward, page browsertest.Tab) {
	t.Helper()
	page.Navigate(w.FamilyURL())
	testkit.Eventually(t, "Call enabled", func() bool {
		return browsertest.EvalAs[bool](t, page, `!document.getElementById('call').disabled`)
	})
	page.Click("#call")
	testkit.Eventually(t, "in the call", func() bool { return pageState(t, page) == "in-call" })
}

func pageState(t *testing.T, page browsertest.Tab) string {
	return browsertest.EvalAs[string](t, page, `window.bedside.state()`)
}

// pageFrames is how many video frames the page decoded in its call so far.
func pageFrames(t *testing.T, page browsertest.Tab) int {
	return browsertest.EvalAs[int](t, page, `(async () => {
  const pc = window.bedside.pc();
  if (!pc) return 0;
  let n = 0;
  (await pc.getStats()).forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') n += r.framesDecoded || 0; });
  return n;
})()`)
}

// mediaFlows waits until both ends decoded n more frames than they had when it was called.
func mediaFlows(t *testing.T, w *Ward, page browsertest.Tab, what string, n int) {
	t.Helper()
	tab0, page0 := w.TabletFrames(), pageFrames(t, page)
	var tab, pg int
	defer func() {
		if t.Failed() {
			t.Logf("%s: the tablet decoded %d frames (from %d), the page %d (from %d), page state %s (%q); "+
				"the tablet's last lines:\n%s\nthe server's:\n%s", what, tab, tab0, pg, page0, pageState(t, page),
				browsertest.EvalAs[string](t, page, `document.getElementById('message').innerText`),
				w.tablet.stderrTail(), w.server.stderrTail())
		}
	}()
	testkit.Poll(t, what+": video both ways", testkit.Step*4, func() bool {
		tab, pg = int(w.TabletFrames()), pageFrames(t, page)
		return tab >= int(tab0)+n && pg >= page0+n
	})
}
