package callrun

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"bedside/internal/browsertest"
	"bedside/internal/netbed"
	"bedside/internal/testkit"
)

// TestFamilyPageGoesSoundOnlyOnAThinLink: the family page, in Chromium and in Firefox (which
// has no estimate of its own to read: the page counts what the far end reports received),
// calls the tablet; the family's way up shrinks to 80 kbit/s, below what video needs, and the
// page stops sending its video, saying so, while the tablet says that their video stopped;
// once the link is back the page's probe finds the room and the video comes back on both
// screens.
func TestFamilyPageGoesSoundOnlyOnAThinLink(t *testing.T) {
	for _, browser := range []string{"chromium", "firefox"} {
		t.Run(browser, func(t *testing.T) { soundOnlyOnAThinLink(t, browser) })
	}
}

func soundOnlyOnAThinLink(t *testing.T, browser string) {
	w := NewWard(t, bins)
	page := familyBrowser(t, w, browser, browsertest.Options{LogConsole: true})
	callThePatient(t, w, page)
	mediaFlows(t, w, page, "clean", 30)
	note := func() string {
		return browsertest.EvalAs[string](t, page, `(() => { const n = document.getElementById('stage-note'); return n.hidden ? '' : n.textContent; })()`)
	}
	soundOnly := func() bool { return browsertest.EvalAs[bool](t, page, `window.bedside.soundOnly()`) }

	start := time.Now()
	w.Bed.Set(netbed.Family, netbed.Up, netbed.Impairment{RateKbps: 80})
	testkit.Poll(t, "the page goes sound only", 250*time.Millisecond, soundOnly)
	t.Logf("%s: sound only after %s at 80 kbit/s", browser, time.Since(start).Round(100*time.Millisecond))
	assert.Contains(t, note(), "sound only")
	testkit.Poll(t, "the tablet says their video stopped", 250*time.Millisecond, func() bool {
		return w.TabletSays("their_video_stopped") == "true"
	})

	start = time.Now()
	w.Bed.Clear()
	testkit.Poll(t, "the page sends video again", 250*time.Millisecond, func() bool { return !soundOnly() })
	t.Logf("%s: video back after %s", browser, time.Since(start).Round(100*time.Millisecond))
	testkit.Poll(t, "the tablet sees the family again", 250*time.Millisecond, func() bool {
		return w.TabletSays("their_video_stopped") == "false"
	})
	assert.Empty(t, note())
	mediaFlows(t, w, page, "after the thin link", 30)
}
