package e2e

import (
	"bedside/internal/testkit"
	"context"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/call"
)

// inbound is what the family page's RTCPeerConnection has received, from its getStats().
type inbound struct {
	FramesDecoded   int64   `json:"framesDecoded"`
	FrameWidth      int64   `json:"frameWidth"`
	VideoCodec      string  `json:"videoCodec"`
	AudioPackets    int64   `json:"audioPackets"`
	AudioSamples    int64   `json:"audioSamples"`
	AudioCodec      string  `json:"audioCodec"`
	ConnectionState string  `json:"connectionState"`
	AudioEnergy     float64 `json:"audioEnergy"`
}

// ringing is what the page's WebAudio plays, from window.bedside.sound().
type ringing struct {
	Kind    string `json:"kind"`
	Audible bool   `json:"audible"`
}

// statsJS reads the inbound video and audio of the page's call; null between calls.
const statsJS = `(async () => {
  const pc = window.bedside && window.bedside.pc();
  if (!pc) return null;
  const report = await pc.getStats();
  const out = {framesDecoded: 0, frameWidth: 0, videoCodec: '', audioPackets: 0, audioSamples: 0,
    audioCodec: '', connectionState: pc.connectionState, audioEnergy: 0};
  const codec = (id) => (id && report.get(id) ? report.get(id).mimeType : '');
  report.forEach((s) => {
    if (s.type !== 'inbound-rtp') return;
    if (s.kind === 'video') {
      out.framesDecoded = s.framesDecoded || 0;
      out.frameWidth = s.frameWidth || 0;
      out.videoCodec = codec(s.codecId);
    } else if (s.kind === 'audio') {
      out.audioPackets = s.packetsReceived || 0;
      out.audioSamples = s.totalSamplesReceived || 0;
      out.audioEnergy = s.totalAudioEnergy || 0;
      out.audioCodec = codec(s.codecId);
    }
  });
  return out;
})()`

// pageInbound reads the page's inbound stats, or nil when it has no call.
func pageInbound(t *testing.T, ctx context.Context) *inbound {
	return eval[*inbound](t, ctx, statsJS)
}

// assertMediaBothWays waits until the page decodes the tablet's video and receives its audio,
// and the tablet decodes the page's video and audio.
func assertMediaBothWays(t *testing.T, ctx context.Context, tab *peer) {
	t.Helper()
	var in *inbound
	testkit.Eventually(t, "the page decodes the tablet's video and receives its audio", func() bool {
		in = pageInbound(t, ctx)
		return in != nil && in.FramesDecoded > 30 && in.AudioPackets > 0 && in.AudioSamples > 0
	})
	t.Logf("page: %+v", *in)
	assert.Equal(t, "connected", in.ConnectionState)
	assert.Equal(t, "video/VP8", in.VideoCodec)
	assert.Equal(t, "audio/opus", in.AudioCodec)
	// The tablet's test picture is 640 wide; its engine may have stepped it down for a while
	// (on a loaded machine congestion control takes CPU delays for a busy link) and steps back
	// up one rung every 5 s.
	testkit.Eventually(t, "the page gets the tablet's full 640-wide picture", func() bool {
		in = pageInbound(t, ctx)
		return in != nil && in.FrameWidth == 640
	})

	testkit.Eventually(t, "the tablet decodes the page's video and audio", func() bool {
		st := tab.phone.Stats()
		return st.FramesDecoded > 30 && st.AudioSamples > 0 && tab.frames.Load() > 30 && tab.audio.Load() > 0
	})
	st := tab.phone.Stats()
	t.Logf("tablet: frames %d (%dx%d), audio samples %d, state %s", st.FramesDecoded, st.Width, st.Height, st.AudioSamples, st.State)
	assert.Equal(t, call.InCall, tab.phone.State())
}

// The family opens the link, sees the tablet online, taps Call; the tablet answers by itself.
// Both ends decode the other's video and audio; the family hangs up and both ends are idle.
func TestBrowserCallsTablet(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w, autoAnswer)
	ctx := newBrowser(t)

	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL))
	do(t, ctx, chromedp.WaitEnabled(testID("call")))
	assert.Equal(t, "idle", pageState(t, ctx))
	assert.Equal(t, "Call Maria", eval[string](t, ctx, `document.getElementById('call').textContent.trim()`))
	assert.Equal(t, "en", eval[string](t, ctx, `document.documentElement.lang`))

	do(t, ctx, chromedp.Click(testID("call")))
	waitState(t, ctx, "in-call")
	assertMediaBothWays(t, ctx, tab)
	screenshot(t, ctx, "family-in-call-outgoing")

	// Mute and camera off stop what the page sends, and say so on their buttons.
	sending := func(kind string) bool {
		return eval[bool](t, ctx, `window.bedside.pc().getSenders().some((s) => s.track && s.track.kind === '`+kind+`' && s.track.enabled)`)
	}
	require.True(t, sending("audio"))
	require.True(t, sending("video"))
	do(t, ctx, chromedp.Click(testID("mute")), chromedp.Click(testID("camera")))
	assert.False(t, sending("audio"))
	assert.False(t, sending("video"))
	assert.Equal(t, "true", eval[string](t, ctx, `document.getElementById('mute').getAttribute('aria-pressed')`))
	assert.Equal(t, "Unmute", eval[string](t, ctx, `document.getElementById('mute-label').textContent`))
	assert.Equal(t, "Start video", eval[string](t, ctx, `document.getElementById('camera-label').textContent`))
	do(t, ctx, chromedp.Click(testID("mute")), chromedp.Click(testID("camera")))
	assert.True(t, sending("audio"))
	assert.True(t, sending("video"))

	do(t, ctx, chromedp.Click(testID("hangup")))
	waitState(t, ctx, "ended")
	testkit.Eventually(t, "the tablet hears the hang-up", func() bool { return tab.phone.State() == call.Idle })
	assert.Nil(t, pageInbound(t, ctx), "no peer connection after the call")
	waitState(t, ctx, "idle")
}

// The tablet calls the family; the page rings; the test answers in the page. Both ends decode
// the other's media; the tablet hangs up and the page says so.
func TestTabletCallsBrowser(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w)
	ctx := newBrowser(t)

	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL))
	do(t, ctx, chromedp.WaitEnabled(testID("call")))
	// The tablet sees the family online before it calls.
	tab.waitOnline(t, w.demo.ContactID)
	require.NotEmpty(t, tab.dial(t, w.demo.ContactID))

	waitState(t, ctx, "ringing")
	assert.Equal(t, "Maria is calling", eval[string](t, ctx, `document.getElementById('ring-title').textContent`))
	assert.Equal(t, ringing{Kind: "ring", Audible: true}, eval[ringing](t, ctx, `window.bedside.sound()`), "the ring tone plays")
	screenshot(t, ctx, "family-ringing")
	do(t, ctx, chromedp.Click(testID("answer")))
	assert.Equal(t, "", eval[ringing](t, ctx, `window.bedside.sound()`).Kind, "answering stops the ring tone")
	waitState(t, ctx, "in-call")
	assertMediaBothWays(t, ctx, tab)
	screenshot(t, ctx, "family-in-call-incoming")

	guard, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(t, tab.phone.Hangup(guard))
	waitState(t, ctx, "ended")
	assert.Equal(t, "Call ended", eval[string](t, ctx, `document.getElementById('message-title').textContent`))
	assert.Nil(t, pageInbound(t, ctx))
}

// A call the family declines rings no more, and the tablet hears why.
func TestBrowserDeclinesTablet(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w)
	ctx := newBrowser(t)

	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL))
	do(t, ctx, chromedp.WaitEnabled(testID("call")))
	tab.waitOnline(t, w.demo.ContactID)
	tab.dial(t, w.demo.ContactID)
	waitState(t, ctx, "ringing")
	do(t, ctx, chromedp.Click(testID("decline")))
	waitState(t, ctx, "idle")
	testkit.Eventually(t, "the tablet hears the decline", func() bool { return tab.phone.State() == call.Idle })
}

// The family has the link open in two tabs; both ring, one answers, and the other says the
// call was picked up elsewhere.
func TestBrowserAnsweredElsewhere(t *testing.T) {
	w := newWard(t)
	tab := newTablet(t, w)
	first := newBrowser(t)
	second := newTab(t, first)
	for _, ctx := range []context.Context{first, second} {
		do(t, ctx, chromedp.Navigate(w.demo.FamilyURL), chromedp.WaitEnabled(testID("call")))
	}
	tab.waitOnline(t, w.demo.ContactID)
	tab.dial(t, w.demo.ContactID)
	waitState(t, first, "ringing")
	waitState(t, second, "ringing")
	do(t, first, chromedp.Click(testID("answer")))
	waitState(t, second, "ended")
	assert.Equal(t, "Answered on another screen", messageTitle(t, second))
	waitState(t, first, "in-call")
	testkit.Eventually(t, "the tablet is in the call", func() bool { return tab.phone.State() == call.InCall })
	do(t, first, chromedp.Click(testID("hangup")))
	waitState(t, first, "ended")
}

// Mute and camera belong to one call: a family member who muted and stopped the camera in one
// call starts the next with both on, and the buttons say what is sent.
func TestBrowserMuteIsPerCall(t *testing.T) {
	w := newWard(t)
	newTablet(t, w, autoAnswer)
	ctx := newBrowser(t)
	sending := func(kind string) bool {
		return eval[bool](t, ctx, `window.bedside.pc().getSenders().some((s) => s.track && s.track.kind === '`+kind+`' && s.track.enabled)`)
	}
	label := func(id string) string { return eval[string](t, ctx, `document.getElementById('`+id+`').textContent`) }
	pressed := func(id string) string {
		return eval[string](t, ctx, `document.getElementById('`+id+`').getAttribute('aria-pressed')`)
	}

	do(t, ctx, chromedp.Navigate(w.demo.FamilyURL), chromedp.WaitEnabled(testID("call")))
	do(t, ctx, chromedp.Click(testID("call")))
	waitState(t, ctx, "in-call")
	do(t, ctx, chromedp.Click(testID("mute")), chromedp.Click(testID("camera")))
	require.False(t, sending("audio"))
	require.False(t, sending("video"))
	do(t, ctx, chromedp.Click(testID("hangup")))
	waitState(t, ctx, "ended")
	do(t, ctx, chromedp.Click(chromedp.CSS(`#message-action`)))
	do(t, ctx, chromedp.WaitEnabled(testID("call")), chromedp.Click(testID("call")))
	waitState(t, ctx, "in-call")
	testkit.Eventually(t, "the page sends its tracks", func() bool {
		return eval[int](t, ctx, `window.bedside.pc().getSenders().filter((s) => s.track).length`) == 2
	})
	assert.True(t, sending("audio"), "the microphone is on in the next call")
	assert.True(t, sending("video"), "the camera is on in the next call")
	assert.Equal(t, "Mute", label("mute-label"))
	assert.Equal(t, "Stop video", label("camera-label"))
	assert.Equal(t, "false", pressed("mute"))
	assert.Equal(t, "false", pressed("camera"))
}
