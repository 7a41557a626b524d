package e2e

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"

	"bedside/internal/browsertest"
)

// The family page's plan for a thin link (assets/web/adapt.js), fed a link's estimates by hand
// in Chromium: a dip of two seconds keeps the video; three seconds under 100 kbit/s pause it;
// ten seconds later a probe tries the video, and keeps it only when the estimate reaches
// 150 kbit/s within four seconds. (internal/netbed/callrun's TestFamilyPageGoesSoundOnly...
// runs it on a real thin link.)
func TestFamilyPageLinkPlan(t *testing.T) {
	w := newWard(t)
	page := browsertest.ChromiumTab(t, browsertest.Options{})
	page.Navigate(w.demo.FamilyURL)
	type sample struct {
		Kbps int // -1: no estimate
		At   int // seconds
	}
	run := func(feed []sample) []string {
		return browsertest.EvalAs[[]string](t, page, `(async () => {
  const { LinkPlan } = await import('/static/adapt.js');
  const plan = new LinkPlan();
  return `+string(mustJSON(feed))+`.map((s) => plan.step(s.Kbps < 0 ? null : s.Kbps * 1000, s.At * 1000));
})()`)
	}
	assert.Equal(t, []string{"video", "video", "video", "video", "video"},
		run([]sample{{-1, 0}, {90, 1}, {80, 2}, {300, 3}, {99, 4}}), "a dip of two samples, and no estimate, keep the video")
	assert.Equal(t, []string{"video", "video", "paused", "paused", "probing", "probing", "paused", "probing", "video"},
		run([]sample{{90, 1}, {80, 2}, {70, 3}, {500, 12}, {120, 13}, {140, 16}, {149, 17}, {90, 27}, {150, 28}}),
		"three low samples pause; a probe after 10 s that does not reach 150 kbit/s within 4 s pauses again; one that does keeps the video")
}

// The family page's link estimate where the browser gives none (Firefox), fed a peer
// connection's stats by hand in Chromium: what the far end reports received, at the sizes
// sent, is the estimate when it is clearly less than what was sent (the video lost on a thin
// link while the sound got through); when about all arrives, the link has room enough.
func TestFamilyPageLinkEstimateFromReports(t *testing.T) {
	w := newWard(t)
	page := browsertest.ChromiumTab(t, browsertest.Options{})
	page.Navigate(w.demo.FamilyURL)
	// Each second the page sends 100 kB of video in 100 packets and 5 kB of sound in 50; the
	// far end reports receiving videoGot of the video packets and all the sound.
	run := func(videoGot int) []int {
		return browsertest.EvalAs[[]int](t, page, `(async () => {
  const { linkEstimate } = await import('/static/adapt.js');
  const last = {};
  const out = [];
  for (let s = 1; s <= 5; s++) {
    const t = s * 1000;
    const stats = new Map([
      ['v', { type: 'outbound-rtp', id: 'v', kind: 'video', bytesSent: s * 100000, packetsSent: s * 100, timestamp: t }],
      ['a', { type: 'outbound-rtp', id: 'a', kind: 'audio', bytesSent: s * 5000, packetsSent: s * 50, timestamp: t }],
      ['rv', { type: 'remote-inbound-rtp', localId: 'v', packetsReceived: (s - 1) * `+fmt.Sprint(videoGot)+`, timestamp: t - 500 }],
      ['ra', { type: 'remote-inbound-rtp', localId: 'a', packetsReceived: (s - 1) * 50, timestamp: t - 500 }],
    ]);
    const bps = await linkEstimate({ getStats: async () => stats }, last);
    out.push(bps === null ? -1 : Math.round(bps / 1000));
  }
  return out;
})()`)
	}
	assert.Equal(t, []int{-1, 840, 840, 840, 840}, run(100), "all arrives: what was sent, room enough")
	assert.Equal(t, []int{-1, 56, 56, 56, 56}, run(2), "the video lost: the sound and two video packets a second")
}
