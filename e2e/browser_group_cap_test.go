package e2e

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"bedside/call"
	"bedside/call/signal"
	"bedside/internal/browsertest"
	"bedside/internal/testkit"
)

// videoSentJS is how many bytes of video a page has sent the tablet.
const videoSentJS = `(async () => {
  let n = 0;
  (await window.bedside.pcOf('` + signal.DevicePeer + `').getStats()).forEach((x) => {
    if (x.type === 'outbound-rtp' && x.kind === 'video') n += x.bytesSent || 0;
  });
  return n;
})()`

// The tablet's decode cap with family pages: a tablet that decodes one picture (MaxVideoIn 1)
// asks Luca's Chromium, joining Anna's call, for none (its page sends none) and shows his
// photo; when Anna leaves, Luca's page offers again and the tablet decodes his picture.
func TestGroupCallCapFamilyPages(t *testing.T) {
	w := newGroupWard(t)
	tab := newTablet(t, w.ward, autoAnswer, func(c *call.Config) { c.MaxVideoIn = 1 })
	chromium := newBrowser(t)
	anna := groupPage{name: "Anna (Chromium)", id: w.demo.ContactID, tab: browsertest.TabOf(t, chromium)}
	luca := groupPage{name: "Luca (Chromium)", id: w.luca.ID, tab: browsertest.TabOf(t, newTab(t, chromium))}
	anna.tab.Navigate(w.demo.FamilyURL)
	luca.tab.Navigate(w.lucaURL)
	anna.waitFor(t, "Call enabled", `!document.getElementById('call').disabled`)
	anna.tab.Click("#call")
	anna.waitState(t, "in-call")
	luca.waitFor(t, "the live banner", `!document.getElementById('join').hidden && !document.getElementById('join').disabled`)
	luca.tab.Click("#join")
	luca.waitState(t, "in-call")
	seen := luca.receives(t, nil, signal.DevicePeer, anna.id)

	stats := func() map[string]call.Stats {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		st, err := tab.phone.PeerStats(ctx)
		require.NoError(t, err)
		return st
	}
	participant := func(id string) call.Participant {
		for _, p := range tab.phone.Snapshot().Call.Participants {
			if p.Party.ID == id {
				return p
			}
		}
		return call.Participant{}
	}
	testkit.Eventually(t, "the tablet hears Luca and sees Anna", func() bool {
		st := stats()
		return st[luca.id].AudioSamples > 0 && st[anna.id].FramesDecoded >= 10
	})
	sent := browsertest.EvalAs[float64](t, luca.tab, videoSentJS)
	seen = luca.receives(t, seen, signal.DevicePeer, anna.id) // a while, with media flowing
	require.Equal(t, sent, browsertest.EvalAs[float64](t, luca.tab, videoSentJS), "Luca's page sends the tablet no picture")
	require.Zero(t, stats()[luca.id].FramesDecoded)
	require.True(t, participant(luca.id).NoVideo, "Luca's tile shows his photo")

	// Anna leaves: the tablet's one place goes to Luca.
	anna.tab.Click("#hangup")
	anna.waitState(t, "ended")
	testkit.Eventually(t, "the tablet decodes Luca's picture", func() bool { return stats()[luca.id].FramesDecoded >= 10 })
	testkit.Eventually(t, "Luca's tile shows his picture", func() bool {
		p := participant(luca.id)
		return !p.NoVideo && p.Video
	})
	luca.receives(t, seen, signal.DevicePeer)
	luca.tab.Click("#hangup")
	waitIdle(t, tab)
}
