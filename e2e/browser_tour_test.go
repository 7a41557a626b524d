package e2e

import (
	"bedside/internal/testkit"
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/internal/browsertest"
	"bedside/server"
)

// Long names, as real ones can be: the page must hold them at every size.
const (
	longPatient = "Mariangela-Addolorata"
	longContact = "Massimiliano Bartolomeo"
)

// langJS makes the page see the languages a test put in sessionStorage.__langs, so that one
// browser shows the page in English and in Italian.
const langJS = `let l = null;
try {
  l = sessionStorage.getItem('__langs');
} catch (e) {
  // about:blank has no storage.
}
if (l) {
  const v = JSON.parse(l);
  Object.defineProperty(Navigator.prototype, 'languages', {get: () => v, configurable: true});
  Object.defineProperty(Navigator.prototype, 'language', {get: () => v[0], configurable: true});
}`

// The family page in Chromium and in Firefox ESR, in English and Italian, through every
// screen a family member meets (waiting, with a preview, calling, in a call, a call ended,
// being rung, camera blocked, a dead link) at 320x640, 390x844 and 844x390: nothing leaves
// the screen or overlaps, the call's buttons are on screen, axe-core finds nothing, and no
// camera or microphone is on while the page waits.
func TestFamilyPageTour(t *testing.T) {
	w := newWard(t)
	ctx := context.Background()
	p, err := w.st.Patient(ctx, w.demo.PatientID)
	require.NoError(t, err)
	p.FirstName, p.VisitingHours = longPatient, "10:00–12:00, 16:00–19:30"
	require.NoError(t, w.st.UpdatePatient(ctx, p))
	k, err := w.st.Contact(ctx, w.demo.ContactID)
	require.NoError(t, err)
	k.Name = longContact
	require.NoError(t, w.st.UpdateContact(ctx, k))
	tab := newTablet(t, w)
	dead := deadEnds{
		bogus:   server.FamilyURL(w.url, "AAAAAAAAAAAAAAAAAAAAAA"),
		offline: w.addBed(t, "14").familyURL, // a bed whose tablet never connected
	}
	token, err := server.NewFamilyLink(ctx, w.st, w.demo.ContactID, time.Hour,
		server.LinkOptions{Now: func() time.Time { return time.Now().Add(-48 * time.Hour) }})
	require.NoError(t, err)
	dead.expired = server.FamilyURL(w.url, token)

	browsers := []struct {
		name  string
		start func(t *testing.T) browsertest.Tab
	}{
		{"chromium", func(t *testing.T) browsertest.Tab {
			return browsertest.ChromiumTab(t, browsertest.Options{Width: 390, Height: 844, Mobile: true,
				Permissions: map[string]string{"camera": "granted", "microphone": "granted"}})
		}},
		{"firefox", func(t *testing.T) browsertest.Tab {
			return browsertest.StartFirefox(t, browsertest.Options{Width: 390, Height: 844})
		}},
	}
	for _, b := range browsers {
		t.Run(b.name, func(t *testing.T) {
			page := b.start(t)
			page.Preload(langJS)
			page.Preload(watchMediaJS)
			for _, lang := range []string{"en", "it"} {
				tourFamilyPage(t, w, tab, page, lang, dead)
			}
		})
	}
}

// deadEnds are the family links that cannot call: one that never was, an expired one, and one
// whose tablet is offline.
type deadEnds struct{ bogus, expired, offline string }

func tourFamilyPage(t *testing.T, w *ward, tab *peer, page browsertest.Tab, lang string, dead deadEnds) {
	waitFor := func(what, js string) {
		t.Helper()
		testkit.Eventually(t, page.Name()+" "+lang+": "+what, func() bool { return browsertest.EvalAs[bool](t, page, js) })
	}
	waitState := func(s string) {
		t.Helper()
		waitFor("state "+s, `document.body.dataset.state === '`+s+`'`)
	}
	idleMedia := func(when string) {
		t.Helper()
		m := browsertest.EvalAs[mediaUse](t, page, `window.__media()`)
		require.Empty(t, m.Live, "%s %s: camera or microphone live %s", page.Name(), lang, when)
	}
	origin := w.url
	langs, _ := json.Marshal([]string{lang + "-" + map[string]string{"en": "GB", "it": "IT"}[lang], lang})

	page.Navigate(w.demo.FamilyURL)
	page.EvalJSON(`sessionStorage.setItem('__langs', ` + string(mustJSON(string(langs))) + `)`)
	page.Navigate(w.demo.FamilyURL)
	require.Equal(t, lang, browsertest.EvalAs[string](t, page, `document.documentElement.lang`))
	waitFor("Call enabled", `!document.getElementById('call').disabled`)
	tab.waitOnline(t, w.demo.ContactID)
	idleMedia("while the page waits")
	checkScreens(t, page, lang+"-idle", "#home", "#call")

	// A preview, asked for.
	page.Click("#preview")
	waitFor("the preview", `window.__media().live.length === 2 && !document.getElementById('self').paused`)
	checkScreens(t, page, lang+"-preview", "#home", "#call")
	page.Click("#preview")
	idleMedia("after the preview")

	// Calling: the tablet rings.
	page.Click("#call")
	id := tab.ringingCall(t)
	waitFor("ringing there", `!!document.getElementById('duration').textContent && document.body.dataset.state === 'calling' && !document.getElementById('hangup').disabled && window.__media().live.length === 2`)
	checkScreens(t, page, lang+"-calling", "#stage", "#hangup")

	// In the call.
	guard, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, tab.phone.Answer(guard, id))
	waitState("in-call")
	waitFor("the tablet's picture", `document.getElementById('remote').videoWidth > 0`)
	checkScreens(t, page, lang+"-in-call", "#stage", "#hangup", "#mute", "#camera")

	// The call ends.
	page.Click("#hangup")
	waitState("ended")
	idleMedia("after the call")
	checkScreens(t, page, lang+"-ended", "#message", "#message-action")
	page.Click("#message-action")
	waitState("idle")
	waitIdle(t, tab)

	// The tablet rings the page.
	tab.dial(t, w.demo.ContactID)
	waitState("ringing")
	idleMedia("while it rings")
	checkScreens(t, page, lang+"-ringing", "#ring", "#answer", "#decline")
	page.Click("#decline")
	waitState("idle")
	waitIdle(t, tab)

	// The camera and microphone blocked.
	deny := func(on bool) {
		if page.Name() == "chromium" {
			state := map[bool]string{true: "denied", false: "granted"}[on]
			page.SetPermission("camera", state, origin)
			page.SetPermission("microphone", state, origin)
		} else if on {
			page.EvalJSON(`sessionStorage.setItem('__deny', '1')`)
		} else {
			page.EvalJSON(`sessionStorage.removeItem('__deny')`)
		}
	}
	deny(true)
	// A fresh document meets the permission as the browser now has it (Chromium left a
	// getUserMedia of the old document pending now and then after the change).
	page.Navigate(w.demo.FamilyURL)
	waitFor("Call enabled", `!document.getElementById('call').disabled`)
	page.Click("#call")
	waitState("blocked")
	checkScreens(t, page, lang+"-blocked", "#blocked")
	page.Click("#blocked-back")
	waitState("idle")
	deny(false)

	// The tablet offline, a link that never was, an expired link.
	page.Navigate(dead.offline)
	waitFor("the tablet offline", `document.body.dataset.conn === 'open' && !document.getElementById('notice').hidden`)
	checkScreens(t, page, lang+"-offline", "#home", "#call")
	page.Navigate(dead.bogus)
	waitState("error")
	checkScreens(t, page, lang+"-bad-link", "#message")
	page.Navigate(dead.expired)
	waitState("error")
	checkScreens(t, page, lang+"-expired-link", "#message")
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
