package server_test

import (
	"strings"
	"testing"
	"time"

	"bedside/call/signal"
	"bedside/internal/pgtest"
	"bedside/server"
	"bedside/server/wardtest"
)

// BenchmarkClusterCallSetup sets up and hangs up calls one after another between a family page and a
// tablet (invite, ring, accept, a 4 KiB offer and its answer, connected, the tablet hangs up, both ended;
// one log row each) and reports call set-ups per second: on one server (the reference), and
// with the tablet on instance A and the family page on instance B, over the in-memory bus and
// over PostgreSQL; with the store on SQLite, then on PostgreSQL.
func BenchmarkClusterCallSetup(b *testing.B) {
	for _, c := range []struct {
		name     string
		postgres bool // the store on PostgreSQL, else SQLite
		bus      string
	}{
		{"one-instance-sqlite", false, ""},
		{"two-instances-sqlite-memory-bus", false, "memory"},
		{"two-instances-sqlite-postgres-bus", false, "postgres"},
		{"one-instance-postgres", true, ""},
		{"two-instances-postgres", true, "postgres"},
	} {
		b.Run(c.name, func(b *testing.B) {
			db, pg := "", ""
			if c.postgres || c.bus == "postgres" {
				pg = pgtest.URL(b)
			}
			if c.postgres {
				db = pg
			}
			var e *env
			var famURL string
			switch c.bus {
			case "":
				e = &env{t: b, clock: newClock()}
				e.w = wardtest.Start(b, wardtest.Options{Now: e.clock.Now, AfterFunc: e.clock.AfterFunc, DB: db,
					Config: func(cfg *server.Config) { cfg.Invites = server.RateLimit{PerMinute: -1} }})
				e.url, e.demo, e.logs, e.st, e.srv = e.w.URL, e.w.Demo, e.w.Logs, e.w.Store, e.w.Srv
				famURL = e.wsURL()
			case "memory":
				tw := newTwin(b, longLease, memoryBuses(b), db)
				e, famURL = tw.env, tw.b.WSURL()
			default:
				tw := newTwin(b, longLease, pgBuses(b, pg), db)
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
