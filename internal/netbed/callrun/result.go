package callrun

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"bedside/internal/netbed"
)

// FreezeGap is the longest time without a new frame that is not a freeze.
const FreezeGap = 500 * time.Millisecond

// expectedAudio is how many samples (per channel) a second of audio has.
const expectedAudio = 48000

// sample is one stats line of a peer: its cumulative counters at a time.
type sample struct {
	at     time.Time
	frames uint64
	audio  uint64
	// concealed counts the audio samples received that stand in for lost packets; sent the
	// samples this end made and sent (peers of older versions print neither: zero).
	concealed, sent uint64
	size            string // of the last decoded frame, "640x480"
}

// mark is when a part of the scenario started.
type mark struct {
	name string
	at   time.Time
}

// Way is what one end received over a stretch of the call.
type Way struct {
	FPS      float64
	Freezes  int
	Longest  time.Duration // the longest freeze
	AudioPct float64       // audio received, % of the expected
	// ConcealedPct is the part of AudioPct rebuilt from Opus in-band FEC or concealed by the
	// decoder (lost packets); SentPct the audio the far end made and sent, % of the expected
	// (a sender starved of the CPU sends less; so the clean call's AudioPct is not 100).
	ConcealedPct, SentPct float64
	MediaBack             time.Duration // from the stretch's start to its first new frame; -1 when none came
	// Back is from the stretch's start to the first frame after its first freeze: how soon
	// the picture came back after a change at the stretch's start (an address change, whose
	// window begins with frames still in flight); -1 when no freeze ended in it.
	Back       time.Duration
	FramesSeen uint64
	// Size is the picture's size at the end of the stretch ("640x480"; "0x0" before a frame).
	Size string
}

// Window is both ends over one stretch of the call (a phase, or the clean part after).
type Window struct {
	Name            string
	Start, End      time.Duration // since the call was up
	ToTablet, ToFam Way           // received by the tablet (family → tablet) and by the family
	// Seconds are the window's whole seconds, one by one.
	Seconds []Second
}

// Second is what both ends received in one second.
type Second struct {
	FramesToTablet, FramesToFam uint64
	AudioToTablet, AudioToFam   float64 // % of a second of audio
}

// Result is one scenario's figures.
type Result struct {
	Name  string
	SetUp time.Duration // from the family's connection to the server to the call up (0: never)
	// End is the family's last call state ("ended", "failed", ...) and its reason.
	End, EndReason string
	// EndedAt is when the call ended, since it was up, as seen by the family (0: never seen).
	EndedAt time.Duration
	Windows []Window
	Router  map[string]netbed.Counters

	marks  []mark
	family *proc // the family's process, for tests that look at its lines
}

// collect reads both peers' lines and cuts them into windows between the marks; from is when
// the call came up (or the family's start), to the end of the last window.
func (r *Result) collect(w *Ward, fam *proc, from, to time.Time) {
	famS, famCalls := parse(fam.output())
	tabS, _ := parse(w.tablet.output())
	for _, c := range famCalls {
		r.End, _ = field(c.text, "state")
		r.EndReason, _ = field(c.text, "reason")
		if (r.End == "ended" || r.End == "failed") && !from.IsZero() && r.EndedAt == 0 {
			r.EndedAt = c.at.Sub(from)
		}
	}
	marks := r.marks
	for i, m := range marks {
		end := to
		if i+1 < len(marks) {
			end = marks[i+1].at
		}
		if end.Sub(m.at) < StatsEvery {
			continue
		}
		r.Windows = append(r.Windows, Window{
			Name: m.name, Start: m.at.Sub(from), End: end.Sub(from),
			ToTablet: way(tabS, famS, m.at, end), ToFam: way(famS, tabS, m.at, end),
			Seconds: perSecond(tabS, famS, m.at, end),
		})
	}
}

// parse splits a peer's lines into stats samples and call-state lines.
func parse(lines []line) ([]sample, []line) {
	var ss []sample
	var calls []line
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l.text, "stats "):
			f, _ := field(l.text, "frames")
			a, _ := field(l.text, "audio_samples")
			fn, err1 := strconv.ParseUint(f, 10, 64)
			an, err2 := strconv.ParseUint(a, 10, 64)
			size, _ := field(l.text, "size")
			if err1 == nil && err2 == nil {
				ss = append(ss, sample{at: l.at, frames: fn, audio: an, size: size,
					concealed: uintField(l.text, "audio_concealed"), sent: uintField(l.text, "audio_sent")})
			}
		case strings.HasPrefix(l.text, "call "):
			calls = append(calls, l)
		}
	}
	return ss, calls
}

// uintField returns the number in field key, zero when there is none.
func uintField(s, key string) uint64 {
	v, _ := field(s, key)
	n, _ := strconv.ParseUint(v, 10, 64)
	return n
}

// field returns the value of key in a "word key=value ..." line.
func field(s, key string) (string, bool) {
	for _, w := range strings.Fields(s) {
		if v, ok := strings.CutPrefix(w, key+"="); ok {
			return strings.Trim(v, `"`), true
		}
	}
	return "", false
}

// at returns the counters of the last sample at or before t.
func at(ss []sample, t time.Time) sample {
	var s sample
	for _, x := range ss {
		if x.at.After(t) {
			break
		}
		s = x
	}
	return s
}

// way measures one end between a and b (far is the other end's samples, for what it sent):
// frames and audio from the counters; freezes from the
// times a new frame was seen (to StatsEvery), counting a stretch without frames at either end
// of the window, or after the stats stopped (the call ended), as a freeze too.
func way(ss, far []sample, a, b time.Time) Way {
	w := Way{MediaBack: -1, Back: -1}
	secs := b.Sub(a).Seconds()
	if secs <= 0 {
		return w
	}
	s0, s1 := at(ss, a), at(ss, b)
	w.Size = s1.size
	w.FramesSeen = s1.frames - s0.frames
	w.FPS = float64(w.FramesSeen) / secs
	w.AudioPct = 100 * float64(s1.audio-s0.audio) / (expectedAudio * secs)
	w.ConcealedPct = 100 * float64(s1.concealed-s0.concealed) / (expectedAudio * secs)
	f0, f1 := at(far, a), at(far, b)
	w.SentPct = 100 * float64(f1.sent-f0.sent) / (expectedAudio * secs)
	last, prev := a, s0.frames
	gap := func(until time.Time) {
		if d := until.Sub(last); d > FreezeGap {
			w.Freezes++
			w.Longest = max(w.Longest, d)
		}
	}
	for _, x := range ss {
		if !x.at.After(a) || x.at.After(b) {
			continue
		}
		if x.frames > prev {
			if w.MediaBack < 0 {
				w.MediaBack = x.at.Sub(a)
			}
			if w.Back < 0 && x.at.Sub(last) > FreezeGap {
				w.Back = x.at.Sub(a)
			}
			gap(x.at)
			last, prev = x.at, x.frames
		}
	}
	gap(b)
	return w
}

// perSecond returns what both ends received in each whole second from a to b.
func perSecond(tab, fam []sample, a, b time.Time) []Second {
	var out []Second
	for t := a; !t.Add(time.Second).After(b); t = t.Add(time.Second) {
		t1 := t.Add(time.Second)
		tab0, tab1, fam0, fam1 := at(tab, t), at(tab, t1), at(fam, t), at(fam, t1)
		out = append(out, Second{
			FramesToTablet: tab1.frames - tab0.frames, FramesToFam: fam1.frames - fam0.frames,
			AudioToTablet: 100 * float64(tab1.audio-tab0.audio) / expectedAudio,
			AudioToFam:    100 * float64(fam1.audio-fam0.audio) / expectedAudio,
		})
	}
	return out
}

// PerSecond is the result second by second: frames and audio % each way.
func (r Result) PerSecond() string {
	var b strings.Builder
	b.WriteString("window      s  frames→tablet frames→family audio→tablet audio→family\n")
	for _, w := range r.Windows {
		for i, s := range w.Seconds {
			fmt.Fprintf(&b, "%-10s %3d %13d %13d %11.0f%% %11.0f%%\n", w.Name, int(w.Start.Seconds())+i,
				s.FramesToTablet, s.FramesToFam, s.AudioToTablet, s.AudioToFam)
		}
	}
	return b.String()
}

// Window returns the window called name, and whether there is one.
func (r Result) Window(name string) (Window, bool) {
	for _, w := range r.Windows {
		if w.Name == name {
			return w, true
		}
	}
	return Window{}, false
}

// String is the result in one line per window.
func (r Result) String() string {
	var b strings.Builder
	setup := "never"
	if r.SetUp > 0 {
		setup = r.SetUp.Round(time.Millisecond).String()
	}
	fmt.Fprintf(&b, "%s: set-up %s, end %s", r.Name, setup, r.End)
	if r.EndReason != "" {
		fmt.Fprintf(&b, " (%s)", r.EndReason)
	}
	if r.EndedAt > 0 {
		fmt.Fprintf(&b, " at %.1fs", r.EndedAt.Seconds())
	}
	for _, w := range r.Windows {
		fmt.Fprintf(&b, "\n  %-10s %5.1f–%5.1fs  to tablet: %s | to family: %s", w.Name, w.Start.Seconds(), w.End.Seconds(), w.ToTablet, w.ToFam)
	}
	return b.String()
}

func (w Way) String() string {
	back := "never"
	if w.MediaBack >= 0 {
		back = fmt.Sprintf("%.1fs", w.MediaBack.Seconds())
	}
	return fmt.Sprintf("%4.1f fps %s, %2d freezes (longest %4.1fs), audio %5.1f%% (sent %5.1f%%, concealed %4.1f%%), first frame %s",
		w.FPS, w.Size, w.Freezes, w.Longest.Seconds(), w.AudioPct, w.SentPct, w.ConcealedPct, back)
}
