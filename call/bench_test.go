package call

import (
	"sort"
	"syscall"
	"testing"
	"time"

	"bedside/call/media"
	"bedside/call/signal"
)

// BenchmarkSessionLoopback measures call setup as the patient sees it: from the answer being
// applied to the first decoded frame on both ends, two in-process Sessions on loopback with
// 320x240 test sources. It reports the p50 and p95 in milliseconds.
func BenchmarkSessionLoopback(b *testing.B) {
	api := newTestAPI(b)
	la, lb := newTestLocal(b), newTestLocal(b)
	defer la.Close()
	defer lb.Close()
	var setups []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		firstA, firstB := make(chan struct{}), make(chan struct{})
		var a, c *peer
		a = newBenchPeer(b, api, la, &c, firstA)
		c = newBenchPeer(b, api, lb, &a, firstB)
		offer, err := a.sess.CreateOffer()
		if err != nil {
			b.Fatal(err)
		}
		answer, err := c.sess.HandleOffer(offer)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		if err := a.sess.HandleAnswer(answer); err != nil {
			b.Fatal(err)
		}
		for _, ch := range []chan struct{}{firstA, firstB} {
			select {
			case <-ch:
			case <-time.After(30 * time.Second):
				b.Fatal("no first frame")
			}
		}
		setups = append(setups, time.Since(start))
		_ = a.sess.Close()
		_ = c.sess.Close()
	}
	b.StopTimer()
	sort.Slice(setups, func(i, j int) bool { return setups[i] < setups[j] })
	pct := func(p float64) float64 {
		return float64(setups[int(p*float64(len(setups)-1))].Microseconds()) / 1000
	}
	b.ReportMetric(pct(0.50), "ms-first-frame-p50")
	b.ReportMetric(pct(0.95), "ms-first-frame-p95")
}

func newBenchPeer(b *testing.B, api *API, local *media.Local, other **peer, first chan struct{}) *peer {
	p := &peer{local: local}
	sess, err := NewSession(SessionConfig{
		API:          api,
		Local:        local,
		OnCandidate:  func(c signal.Candidate) { _ = (*other).sess.AddCandidate(c) },
		OnFirstFrame: func() { close(first) },
	})
	if err != nil {
		b.Fatal(err)
	}
	p.sess = sess
	return p
}

// BenchmarkCallCPU measures the process CPU time a running call costs, per second of call: two
// ends in one process (two encoders, two decoders, two PeerConnections), beside the same two
// test sources encoding with no call as the reference. Divide the call figure by two for one
// tablet's share.
func BenchmarkCallCPU(b *testing.B) {
	const window = 3 * time.Second
	api := newTestAPI(b)
	for i := 0; i < b.N; i++ {
		la, lb := newTestLocal(b), newTestLocal(b)
		time.Sleep(500 * time.Millisecond) // let the encoders settle
		sourcesOnly := cpuOver(window)

		a, c := newPair(b, api, la, lb)
		deadline := time.Now().Add(30 * time.Second)
		for a.sess.Stats().FramesDecoded == 0 || c.sess.Stats().FramesDecoded == 0 {
			if time.Now().After(deadline) {
				b.Fatal("no frames")
			}
			time.Sleep(10 * time.Millisecond)
		}
		framesBefore := a.sess.Stats().FramesDecoded
		inCall := cpuOver(window)
		fps := float64(a.sess.Stats().FramesDecoded-framesBefore) / window.Seconds()
		_ = a.sess.Close()
		_ = c.sess.Close()
		_ = la.Close()
		_ = lb.Close()
		b.ReportMetric(sourcesOnly, "cpu-ms/s-sources-only")
		b.ReportMetric(inCall, "cpu-ms/s-call-both-ends")
		b.ReportMetric(fps, "fps-received")
	}
}

// cpuOver returns the process's CPU time (user + system) per wall second over d, in ms.
func cpuOver(d time.Duration) float64 {
	before := cpuTime()
	start := time.Now()
	time.Sleep(d)
	return float64((cpuTime() - before).Milliseconds()) / time.Since(start).Seconds()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
