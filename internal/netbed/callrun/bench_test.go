package callrun

import (
	"flag"
	"fmt"
	"os"
	"testing"
	"time"

	"bedside/internal/netbed"
)

// hold is how long each steady condition of the benchmarks lasts: 40 s as in issue 10's
// measurements; shorter for a quick look (go test -bench Network -args -netbed.hold=20s).
var hold = flag.Duration("netbed.hold", 40*time.Second, "how long each steady network condition lasts in the benchmarks")

// condition is one row of issue 10's table.
type condition struct {
	name string
	// scenario makes the condition's call; h is the steady hold.
	scenario func(h time.Duration) Scenario
}

const warmup = 3 * time.Second

func steady(name string, im netbed.Impairment) condition {
	return condition{name: name, scenario: func(h time.Duration) Scenario {
		return Scenario{Name: name, Warmup: warmup, Phases: []Phase{{Name: name, Hold: h, Apply: func(b *netbed.Bed) {
			b.Set(netbed.Tablet, netbed.Both, im)
		}}}}
	}}
}

func cut(d time.Duration) condition {
	name := fmt.Sprintf("cut-%ds", int(d.Seconds()))
	return condition{name: name, scenario: func(time.Duration) Scenario {
		return Scenario{Name: name, Warmup: warmup, After: 15 * time.Second, Phases: []Phase{{Name: name, Hold: d, Apply: func(b *netbed.Bed) {
			b.Cut(netbed.Tablet, true)
		}}}}
	}}
}

// moved is an address change of host: how soon media comes back is the first freeze's end.
func moved(name, host string) condition {
	return condition{name: name, scenario: func(h time.Duration) Scenario {
		return Scenario{Name: name, Warmup: warmup, Phases: []Phase{{Name: name, Hold: h, Apply: func(b *netbed.Bed) {
			b.Move(host)
		}}}}
	}}
}

var conditions = []condition{
	steady("loss3-delay100", netbed.Impairment{LossPct: 3, Delay: 100 * time.Millisecond}),
	steady("loss10", netbed.Impairment{LossPct: 10}),
	steady("rate300", netbed.Impairment{RateKbps: 300}),
	steady("rate100", netbed.Impairment{RateKbps: 100}),
	cut(5 * time.Second),
	cut(20 * time.Second),
	cut(60 * time.Second),
	moved("address-change", netbed.Tablet),        // the tablet answered: the callee moves
	moved("address-change-family", netbed.Family), // the caller moves
	{name: "udp-direct-blocked", scenario: func(h time.Duration) Scenario {
		return Scenario{Name: "udp-direct-blocked", Warmup: h, Before: func(b *netbed.Bed) {
			b.Set(netbed.Tablet, netbed.Both, netbed.Impairment{BlockUDPWith: netbed.Family})
		}}
	}},
	{name: "udp-blocked", scenario: func(h time.Duration) Scenario {
		return Scenario{Name: "udp-blocked", Warmup: h, Before: func(b *netbed.Bed) {
			b.Set(netbed.Tablet, netbed.Both, netbed.Impairment{BlockUDP: true})
		}}
	}},
}

// BenchmarkNetwork runs a clean call, then each condition of issue 10's table on a fresh
// testbed, and prints each condition's figures beside the clean call's of the same run.
// The tablet's link is impaired both ways; the figures are what each end received.
func BenchmarkNetwork(b *testing.B) {
	clean := NewWard(b, bins).Run(b, Scenario{Name: "clean", Warmup: *hold})
	fmt.Fprintf(os.Stdout, "reference, same run: %s\n", clean)
	for _, c := range conditions {
		b.Run(c.name, func(b *testing.B) {
			var res Result
			for range b.N {
				res = NewWard(b, bins).Run(b, c.scenario(*hold))
			}
			report(b, res, c.name)
			fmt.Fprintf(os.Stdout, "%s\n  %s\n", row(res, c.name), row(clean, "warmup"))
		})
	}
}

// report gives the benchmark framework the condition window's figures.
func report(b *testing.B, r Result, window string) {
	b.ReportMetric(float64(r.SetUp.Milliseconds()), "setup_ms")
	w, ok := r.Window(window)
	if !ok {
		w, ok = r.Window("warmup")
	}
	if !ok {
		return
	}
	b.ReportMetric(w.ToTablet.FPS, "fps_to_tablet")
	b.ReportMetric(w.ToFam.FPS, "fps_to_family")
	b.ReportMetric(float64(w.ToTablet.Freezes+w.ToFam.Freezes), "freezes")
	b.ReportMetric(max(w.ToTablet.Longest, w.ToFam.Longest).Seconds(), "longest_freeze_s")
	b.ReportMetric(min(w.ToTablet.AudioPct, w.ToFam.AudioPct), "audio_pct")
	if back, ok := mediaBack(r, w); ok {
		b.ReportMetric(back.Seconds(), "media_back_s")
	}
}

// mediaBack is how soon the picture came back both ways (the later of the two): after the
// condition was lifted (a cut), or after the change that began the window (an address
// change). It reports false when it never came back, or nothing stopped it.
func mediaBack(r Result, w Window) (time.Duration, bool) {
	a, b := w.ToTablet.Back, w.ToFam.Back
	if after, ok := r.Window("after"); ok {
		a, b = after.ToTablet.MediaBack, after.ToFam.MediaBack
	}
	if a < 0 && b < 0 {
		return 0, false
	}
	return max(a, b), true
}

// row is one line of the table: the window's figures, both ways, the end of the call, and
// how soon media came back after the condition was lifted.
func row(r Result, window string) string {
	w, ok := r.Window(window)
	if !ok {
		w, ok = r.Window("warmup")
	}
	setup := "never"
	if r.SetUp > 0 {
		setup = r.SetUp.Round(10 * time.Millisecond).String()
	}
	s := fmt.Sprintf("%-16s set-up %-7s", r.Name, setup)
	if ok {
		s += fmt.Sprintf(" %4.0fs | to tablet %s | to family %s", (w.End - w.Start).Seconds(), brief(w.ToTablet), brief(w.ToFam))
	}
	s += " | end " + r.End
	if r.EndReason != "" {
		s += "(" + r.EndReason + ")"
	}
	switch {
	case r.EndedAt > 0 && r.SetUp == 0:
		s += fmt.Sprintf(" %.1fs after dialling", r.EndedAt.Seconds())
	case r.EndedAt > 0 && ok && r.EndedAt < w.End-time.Second/2:
		s += fmt.Sprintf(" %.1fs into the condition", (r.EndedAt - w.Start).Seconds())
	}
	if after, ok := r.Window("after"); ok {
		s += fmt.Sprintf(" | media back after %s/%s", back(after.ToTablet.MediaBack), back(after.ToFam.MediaBack))
	} else if ok && (w.ToTablet.Back >= 0 || w.ToFam.Back >= 0) {
		s += fmt.Sprintf(" | media back after %s/%s", backFromFreeze(w.ToTablet.Back), backFromFreeze(w.ToFam.Back))
	}
	return s
}

func brief(w Way) string {
	return fmt.Sprintf("%4.1f fps %s, %2d freezes ≤%4.1fs, audio %5.1f%% (sent %5.1f%%, concealed %4.1f%%)",
		w.FPS, w.Size, w.Freezes, w.Longest.Seconds(), w.AudioPct, w.SentPct, w.ConcealedPct)
}

// backFromFreeze says d, the end of a window's first freeze; -1: there was none.
func backFromFreeze(d time.Duration) string {
	if d < 0 {
		return "no freeze"
	}
	return back(d)
}

// back says d, how soon media came back; -1 is never.
func back(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return fmt.Sprintf("%.1fs", d.Seconds())
}
