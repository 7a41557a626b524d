package server_test

import (
	"strings"
	"testing"
	"time"

	"bedside/call/signal"
	"bedside/server"
)

// BenchmarkClusterCallSetup sets up and hangs up calls one after another between a family page and a
// tablet (invite, ring, accept, a 4 KiB offer and its answer, connected, the tablet hangs up, both ended;
// one log row each) and reports call set-ups per second: on one server (the reference), and
// with the tablet on instance A and the family page on instance B, over the in-memory bus and
// over PostgreSQL. The store is one SQLite file throughout.
func BenchmarkClusterCallSetup(b *testing.B) {
	for _, c := range []struct {
		name  string
		buses func(testing.TB) func(int) server.Bus
	}{
		{"one-instance", nil},
		{"two-instances-memory-bus", memoryBuses},
		{"two-instances-postgres-bus", pgBuses},
	} {
		b.Run(c.name, func(b *testing.B) {
			var e *env
			var famURL string
			if c.buses == nil {
				e = newEnv(b, func(cfg *server.Config) { cfg.Invites = server.RateLimit{PerMinute: -1} })
				famURL = e.wsURL()
			} else {
				tw := newTwin(b, longLease, c.buses(b))
				e, famURL = tw.env, tw.b.WSURL()
			}
			d := e.enroll(e.demo.PairingCode)
			dev := e.deviceAt(e.wsURL(), d)
			fam := e.familyAt(famURL, e.demo.FamilyToken)
			sdp := "v=0\r\n" + strings.Repeat("a=x-padding:0123456789abcdef\r\n", 140)
			start := time.Now()
			n := 0
			for b.Loop() {
				fam.send(signal.Message{Type: signal.TypeInvite})
				id := fam.expect(signal.TypeRinging).Call
				dev.expect(signal.TypeRing)
				dev.send(signal.Message{Type: signal.TypeAccept, Call: id})
				fam.expect(signal.TypeAccepted)
				fam.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: sdp})
				dev.expect(signal.TypeOffer)
				dev.send(signal.Message{Type: signal.TypeAnswer, Call: id, SDP: sdp})
				fam.expect(signal.TypeAnswer)
				dev.send(signal.Message{Type: signal.TypeConnected, Call: id})
				dev.send(signal.Message{Type: signal.TypeHangup, Call: id})
				fam.expect(signal.TypeEnded)
				dev.expect(signal.TypeEnded)
				n++
			}
			took := time.Since(start)
			b.ReportMetric(float64(n)/took.Seconds(), "setups/s")
			b.ReportMetric(float64(took.Milliseconds())/float64(n), "ms/setup")
		})
	}
}
