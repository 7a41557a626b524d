package e2e

import (
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
