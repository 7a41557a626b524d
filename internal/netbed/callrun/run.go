package callrun

import (
	"testing"
	"time"

	"bedside/internal/netbed"
)

// Phase is a stretch of a call under one network condition.
type Phase struct {
	Name string
	Hold time.Duration
	// Apply sets the condition at the phase's start, on a testbed whose impairments were
	// cleared (nil: a clean link).
	Apply func(*netbed.Bed)
}

// Scenario is one call through the testbed: Before (if any) is applied before the call is
// placed; the call runs clean for Warmup once it is up, then through each phase, then clean
// again for After, and the family hangs up.
type Scenario struct {
	Name   string
	Before func(*netbed.Bed)
	Warmup time.Duration
	Phases []Phase
	After  time.Duration
	// SetUpLimit is how long the call may take to come up (default 45 s).
	SetUpLimit time.Duration
}

func (s Scenario) length() time.Duration {
	d := s.Warmup + s.After
	for _, p := range s.Phases {
		d += p.Hold
	}
	return d
}

// Run places the family's call to the tablet, drives the scenario and returns its figures.
// A call that does not come up, or ends early, is a result, not a test failure.
func (w *Ward) Run(tb testing.TB, s Scenario) Result {
	tb.Helper()
	if s.SetUpLimit == 0 {
		s.SetUpLimit = 45 * time.Second
	}
	if s.Before != nil {
		s.Before(w.Bed)
	}
	fam := w.family(tb, s.length())
	res := Result{Name: s.Name, family: fam}
	var ready, inCall time.Time
	setUp := time.After(s.SetUpLimit)
wait:
	for {
		select {
		case l, ok := <-fam.lines:
			if !ok {
				break wait
			}
			switch {
			case hasPrefix(l.text, "ready "):
				ready = l.at
			case hasPrefix(l.text, "call state=in-call"):
				inCall = l.at
				break wait
			}
		case <-setUp:
			break wait
		}
	}
	if inCall.IsZero() {
		_ = fam.stop(10 * time.Second)
		res.collect(w, fam, ready, time.Now())
		res.Router = w.Bed.Stats()
		return res
	}
	res.SetUp = inCall.Sub(ready)
	res.marks = append(res.marks, mark{name: "warmup", at: inCall})
	w.sleep(fam, s.Warmup)
	for _, p := range s.Phases {
		w.Bed.Clear()
		if p.Apply != nil {
			p.Apply(w.Bed)
		}
		res.marks = append(res.marks, mark{name: p.Name, at: time.Now()})
		w.sleep(fam, p.Hold)
	}
	w.Bed.Clear()
	res.marks = append(res.marks, mark{name: "after", at: time.Now()})
	end := time.Now().Add(s.After)
	w.sleep(fam, s.After)
	// The family hangs up by itself (-duration); give it time, then stop it.
	select {
	case <-fam.done:
	case <-time.After(20 * time.Second):
	}
	_ = fam.stop(10 * time.Second)
	res.Router = w.Bed.Stats()
	res.collect(w, fam, inCall, end)
	return res
}

// sleep waits d, draining the family's lines so that none is lost to a full channel.
func (w *Ward) sleep(fam *proc, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	lines := fam.lines
	for {
		select {
		case <-t.C:
			return
		case _, ok := <-lines:
			if !ok {
				lines = nil
			}
		}
	}
}

func hasPrefix(s, p string) bool { return len(s) >= len(p) && s[:len(p)] == p }
