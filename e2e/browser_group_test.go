package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/internal/browsertest"
	"bedside/internal/testkit"
	"bedside/server"
	"bedside/server/store"
)

// pairIn is what a family page receives on one of its peer connections, from getStats().
type pairIn struct {
	Frames       int64   `json:"frames"`
	Width        int64   `json:"width"`
	AudioPackets int64   `json:"audioPackets"`
	AudioEnergy  float64 `json:"audioEnergy"`
	State        string  `json:"state"`
}

// pairsJS reads, per other participant, what the page's peer connection with them receives.
const pairsJS = `(async () => {
  const out = {};
  for (const id of window.bedside.peers()) {
    const pc = window.bedside.pcOf(id);
    const s = {frames: 0, width: 0, audioPackets: 0, audioEnergy: 0, state: pc ? pc.connectionState : ''};
    if (pc) (await pc.getStats()).forEach((x) => {
      if (x.type !== 'inbound-rtp') return;
      if (x.kind === 'video') { s.frames = x.framesDecoded || 0; s.width = x.frameWidth || 0; }
      else { s.audioPackets = x.packetsReceived || 0; s.audioEnergy = x.totalAudioEnergy || 0; }
    });
    out[id] = s;
  }
  return out;
})()`

// groupPage is one family member's page in the group test: a Chromium or Firefox tab.
type groupPage struct {
	name string // for messages
	id   string // the contact's (or guest link's) participant id
	tab  browsertest.Tab
}

func (p groupPage) state(t *testing.T) string {
	return browsertest.EvalAs[string](t, p.tab, `document.body.dataset.state`)
}

func (p groupPage) waitFor(t *testing.T, what, js string) {
	t.Helper()
	testkit.Eventually(t, p.name+": "+what, func() bool { return browsertest.EvalAs[bool](t, p.tab, js) })
}

func (p groupPage) waitState(t *testing.T, s string) {
	t.Helper()
	p.waitFor(t, "state "+s, `document.body.dataset.state === '`+s+`'`)
}

func (p groupPage) pairs(t *testing.T) map[string]pairIn {
	return browsertest.EvalAs[map[string]pairIn](t, p.tab, pairsJS)
}

// receives waits until the page decodes video and receives sound from each of ids, beyond what
// it had in before (nil: nothing yet), and returns what it has now.
func (p groupPage) receives(t *testing.T, before map[string]pairIn, ids ...string) map[string]pairIn {
	t.Helper()
	var got map[string]pairIn
	defer func() {
		if t.Failed() {
			t.Logf("%s has: %+v", p.name, got)
		}
	}()
	testkit.Eventually(t, fmt.Sprintf("%s decodes the video and hears the sound of %v", p.name, ids), func() bool {
		got = p.pairs(t)
		for _, id := range ids {
			in, ok := got[id]
			if !ok || in.State != "connected" || in.Frames < before[id].Frames+10 || in.AudioPackets <= before[id].AudioPackets || in.AudioEnergy <= 0 {
				return false
			}
		}
		return true
	})
	t.Logf("%s: %+v", p.name, got)
	return got
}

// peers lists the participants the page has a peer connection with, sorted.
func (p groupPage) peers(t *testing.T) []string {
	return browsertest.EvalAs[[]string](t, p.tab, `window.bedside.peers().sort()`)
}

// groupWard is the demo ward with group calls: Maria's contacts Anna (the demo's), Luca and
// Sara, each with a family link.
type groupWard struct {
	*ward
	luca, sara store.Contact
	paolo      store.Contact
	lucaURL    string
	saraURL    string
}

func newGroupWard(t *testing.T) *groupWard {
	w := &groupWard{ward: newWard(t)}
	ctx := context.Background()
	mk := func(name, relation string) (store.Contact, string) {
		k, err := w.st.CreateContact(ctx, store.Contact{PatientID: w.demo.PatientID, Name: name, Relation: relation, Language: "en"})
		require.NoError(t, err)
		token, err := server.NewFamilyLink(ctx, w.st, k.ID, time.Hour, server.LinkOptions{})
		require.NoError(t, err)
		return k, server.FamilyURL(w.url, token)
	}
	w.luca, w.lucaURL = mk("Luca", "son")
	w.sara, w.saraURL = mk("Sara", "granddaughter")
	w.paolo, _ = mk("Paolo", "brother") // never opens his page
	return w
}

// familyWS is a family link's signaling connection spoken by hand, for what a page never sends
// (a guest's invite, a join of another patient's call).
type familyWS struct {
	tb   testing.TB
	conn *websocket.Conn
}

// dialFamily connects with the family (or guest) link at url and returns the connection and
// its welcome.
func dialFamily(tb testing.TB, w *ward, url string) (*familyWS, *signal.Config) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, w.wsURL(), &websocket.DialOptions{HTTPHeader: map[string][]string{"Origin": {w.url}}})
	require.NoError(tb, err)
	conn.SetReadLimit(signal.MaxMessageSize)
	tb.Cleanup(func() { _ = conn.CloseNow() })
	f := &familyWS{tb: tb, conn: conn}
	require.Equal(tb, signal.TypeChallenge, f.next().Type)
	f.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: url[strings.LastIndex(url, "/")+1:]})
	welcome := f.next()
	require.Equal(tb, signal.TypeWelcome, welcome.Type, "%s %s", welcome.Code, welcome.Message)
	return f, welcome.Config
}

func (f *familyWS) send(m signal.Message) {
	f.tb.Helper()
	data, err := signal.Encode(m)
	require.NoError(f.tb, err)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(f.tb, f.conn.Write(ctx, websocket.MessageText, data))
}

func (f *familyWS) next() signal.Message {
	f.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, data, err := f.conn.Read(ctx)
	require.NoError(f.tb, err)
	m, err := signal.Decode(data)
	require.NoError(f.tb, err)
	return m
}

// errorFor sends m and returns the code of the error that answers it (other messages, such as
// presence or live, are skipped).
func (f *familyWS) errorFor(m signal.Message) signal.Code {
	f.tb.Helper()
	f.send(m)
	for {
		r := f.next()
		switch r.Type {
		case signal.TypeError:
			return r.Code
		case signal.TypeRinging, signal.TypeJoined:
			f.tb.Fatalf("%s was not refused: %s", m.Type, r.Type)
		}
	}
}

// Issue #13's call, with the Go engine as the tablet: Anna (Chromium) calls Maria; Luca
// (Chromium) sees "Anna is talking with Maria" and joins; Luca tries to add Paolo, whose page is
// not open (the page says so, the call goes on), then adds Sara, whose Firefox rings and
// answers. Each page receives the tablet's picture and the others' sound and picture. A
// link of another patient is refused when it tries to join. Anna leaves: Luca and Sara go on
// with the tablet; Anna comes back as a late joiner. The live banner, the Add list and the
// group call's grid pass the layout and axe-core checks at every phone size.
func TestGroupCallFamilyPages(t *testing.T) {
	start := time.Now()
	lap := func(what string) { t.Logf("%5.1f s: %s", time.Since(start).Seconds(), what) }
	w := newGroupWard(t)
	tab := newTablet(t, w.ward, autoAnswer)
	other := w.addBed(t, "14")

	chromium := newBrowser(t)
	anna := groupPage{name: "Anna (Chromium)", id: w.demo.ContactID, tab: browsertest.TabOf(t, chromium)}
	luca := groupPage{name: "Luca (Chromium)", id: w.luca.ID, tab: browsertest.TabOf(t, newTab(t, chromium))}
	sara := groupPage{name: "Sara (Firefox)", id: w.sara.ID, tab: browsertest.StartFirefox(t, browsertest.Options{Width: 390, Height: 844})}

	// Anna calls; the tablet answers by itself.
	for _, p := range []groupPage{anna, luca, sara} {
		p.tab.Navigate(map[string]string{anna.id: w.demo.FamilyURL, luca.id: w.lucaURL, sara.id: w.saraURL}[p.id])
	}
	anna.waitFor(t, "Call enabled", `!document.getElementById('call').disabled`)
	anna.tab.Click("#call")
	anna.waitState(t, "in-call")
	callID := tab.last().ID

	lap("Anna in a call")

	// Luca sees the call in progress and joins it.
	luca.waitFor(t, "the live banner", `!document.getElementById('join').hidden && !document.getElementById('join').disabled`)
	assert.Equal(t, "Anna is talking with Maria", browsertest.EvalAs[string](t, luca.tab, `document.getElementById('live-text').textContent`))
	assert.True(t, browsertest.EvalAs[bool](t, luca.tab, `document.getElementById('call').disabled`), "Call waits while Maria is in a call")
	checkScreens(t, luca.tab, "group-live-en", "#home", "#join")
	luca.tab.Click("#join")
	luca.waitState(t, "in-call")

	lap("Luca joined")

	// Luca adds Sara; her Firefox rings, and she answers.
	luca.waitFor(t, "Add enabled", `!document.getElementById('add').hidden && !document.getElementById('add').disabled`)
	// Paolo's page is not open: his phone cannot ring, the page says so, the call goes on.
	luca.tab.Click("#add")
	luca.waitFor(t, "Paolo in the Add list", `!!document.querySelector('[data-testid="add-`+w.paolo.ID+`"]')`)
	luca.tab.Click(`[data-testid="add-` + w.paolo.ID + `"]`)
	luca.waitFor(t, "the word about Paolo", `document.getElementById('stage-note').textContent.startsWith('Paolo doesn’t have the page open')`)
	assert.Equal(t, "in-call", luca.state(t))
	luca.tab.Click("#add")
	luca.waitFor(t, "the Add list", `!!document.querySelector('[data-testid="add-`+w.sara.ID+`"]')`)
	checkScreens(t, luca.tab, "group-add-en", "#add-sheet", "#add-close")
	luca.tab.Click(`[data-testid="add-` + w.sara.ID + `"]`)
	sara.waitState(t, "ringing")
	sara.tab.Click("#answer")
	sara.waitState(t, "in-call")

	lap("Sara answered")

	// Everyone receives the tablet's picture and everyone else's sound and picture.
	all := map[string]groupPage{anna.id: anna, luca.id: luca, sara.id: sara}
	seen := map[string]map[string]pairIn{}
	for id, p := range all {
		var others []string
		for o := range all {
			if o != id {
				others = append(others, o)
			}
		}
		seen[id] = p.receives(t, nil, append(others, signal.DevicePeer)...)
	}
	testkit.Eventually(t, "the tablet decodes the three of them", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		st, err := tab.phone.PeerStats(ctx)
		require.NoError(t, err)
		for id := range all {
			if st[id].FramesDecoded < 10 || st[id].AudioSamples == 0 {
				return false
			}
		}
		return true
	})
	checkScreens(t, anna.tab, "group-call-en", "#stage", "#hangup", "#mute", "#camera", "#add")
	saveTabShot(t, sara.tab, "family-group-call-firefox-en")
	assert.Equal(t, "Maria, Anna and Sara", browsertest.EvalAs[string](t, luca.tab, `document.getElementById('stage-title').textContent`))
	assert.Equal(t, "Leave", browsertest.EvalAs[string](t, luca.tab, `document.getElementById('hangup-label').textContent`))

	lap("media checked")

	// Another patient's link sees nothing of the call, and may not join it.
	ows, ocfg := dialFamily(t, w.ward, other.familyURL)
	assert.Equal(t, "Bench", ocfg.Patient)
	code := ows.errorFor(signal.Message{Type: signal.TypeJoin, Call: callID})
	assert.Contains(t, []signal.Code{signal.CodeForbidden, signal.CodeNoSuchCall}, code, "another patient's link joins nothing")

	lap("another patient refused")

	// Anna leaves; Luca and Sara go on with Maria.
	anna.tab.Click("#hangup")
	anna.waitState(t, "ended")
	for _, p := range []groupPage{luca, sara} {
		p.waitFor(t, "Anna's pair closed", `!window.bedside.peers().includes('`+anna.id+`')`)
		assert.Equal(t, "in-call", p.state(t))
	}
	seen[luca.id] = luca.receives(t, seen[luca.id], signal.DevicePeer, sara.id)
	seen[sara.id] = sara.receives(t, seen[sara.id], signal.DevicePeer, luca.id)

	lap("Luca and Sara go on")

	// Anna comes back, late: she sees the call go on, joins, and gets everyone again.
	anna.tab.Click("#message-action")
	anna.waitFor(t, "the live banner again", `!document.getElementById('join').hidden && !document.getElementById('join').disabled`)
	assert.Equal(t, "Luca and Sara are talking with Maria", browsertest.EvalAs[string](t, anna.tab, `document.getElementById('live-text').textContent`))
	anna.tab.Click("#join")
	anna.waitState(t, "in-call")
	anna.receives(t, nil, signal.DevicePeer, luca.id, sara.id)
	luca.receives(t, nil, anna.id)

	lap("Anna back")

	// Everyone leaves: the call is over for the tablet.
	for _, p := range []groupPage{anna, luca, sara} {
		p.tab.Click("#hangup")
	}
	waitIdle(t, tab)
	lap("the call over")
}

// A guest link (an interpreter's): its page waits for a call and has no Call button, it cannot
// ring the patient (the server refuses its invite), it joins the call in progress and shows as
// "Guest · Interpreter" on the others' screens, and it adds no one.
func TestGroupCallGuestLink(t *testing.T) {
	w := newGroupWard(t)
	tab := newTablet(t, w.ward, autoAnswer)
	guestURL := newGuestLink(t, w.ward, "Giulia", "Interpreter")
	chromium := newBrowser(t)
	anna := groupPage{name: "Anna (Chromium)", id: w.demo.ContactID, tab: browsertest.TabOf(t, chromium)}
	guest := groupPage{name: "Giulia (guest, Chromium)", tab: browsertest.TabOf(t, newTab(t, chromium))}

	// The guest page before any call: no Call button, waiting words; it cannot ring the patient.
	guest.tab.Navigate(guestURL)
	guest.waitFor(t, "waiting for the call", `document.body.dataset.conn === 'open' && !document.getElementById('live').hidden && document.getElementById('join').hidden`)
	assert.Equal(t, "Waiting for the call to start. You can join when it does.", browsertest.EvalAs[string](t, guest.tab, `document.getElementById('live-text').textContent`))
	assert.True(t, browsertest.EvalAs[bool](t, guest.tab, `document.getElementById('call').hidden`), "a guest page has no Call button")
	checkScreens(t, guest.tab, "guest-waiting-en", "#home")
	gws, gcfg := dialFamily(t, w.ward, guestURL)
	require.NotNil(t, gcfg.Self)
	guest.id = gcfg.Self.ID
	assert.True(t, gcfg.Self.Guest)
	assert.Equal(t, signal.CodeForbidden, gws.errorFor(signal.Message{Type: signal.TypeInvite}), "a guest never rings the patient alone")

	anna.tab.Navigate(w.demo.FamilyURL)
	anna.waitFor(t, "Call enabled", `!document.getElementById('call').disabled`)
	anna.tab.Click("#call")
	anna.waitState(t, "in-call")

	guest.waitFor(t, "Join", `!document.getElementById('join').hidden && !document.getElementById('join').disabled`)
	guest.tab.Click("#join")
	guest.waitState(t, "in-call")
	guest.receives(t, nil, signal.DevicePeer, anna.id)
	assert.True(t, browsertest.EvalAs[bool](t, guest.tab, `document.getElementById('add').hidden`), "a guest adds no one")
	anna.waitFor(t, "the guest's tile", `[...document.querySelectorAll('.tile-role')].some((e) => e.textContent === 'Guest · Interpreter')`)
	saveTabShot(t, anna.tab, "family-group-guest-en")

	// Anna leaves, then the guest: the call is over, and the guest link with it.
	anna.tab.Click("#hangup")
	anna.waitState(t, "ended")
	guest.tab.Click("#hangup")
	waitIdle(t, tab)
	guest.waitState(t, "error")
	assert.Equal(t, "This link no longer works", browsertest.EvalAs[string](t, guest.tab, `document.getElementById('message-title').textContent`))
}

// newGuestLink makes a guest link for the demo patient, valid three hours, as the nurse
// console does, and returns its address.
func newGuestLink(t *testing.T, w *ward, name, role string) string {
	t.Helper()
	_, token, err := server.NewGuestLink(context.Background(), w.st, w.demo.PatientID, name, role, server.GuestHoursDefault, server.LinkOptions{})
	require.NoError(t, err)
	return server.FamilyURL(w.url, token)
}
