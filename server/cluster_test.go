package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/internal/pgtest"
	"bedside/internal/testkit"
	"bedside/server"
	"bedside/server/wardtest"
)

// Ward leases of the cluster tests: the kill tests' is short, so that a killed instance's
// wards move soon, but not so short that a loaded machine lets one lapse (then the ward moves
// and its clients reconnect, which these tests do not expect).
const (
	longLease  = 20 * time.Second
	shortLease = 2 * time.Second
)

// twin is a ward served by two instances on one store, joined by buses from newBus.
type twin struct {
	*env
	a string // instance A's signaling URL (the env's own server)
	b *wardtest.Instance
}

// newTwin starts instances A and B on the database db (a postgres:// URL, or "" for a
// SQLite file); newBus gives each instance its bus, in order.
func newTwin(t testing.TB, lease time.Duration, newBus func(n int) server.Bus, db string) *twin {
	t.Helper()
	e := &env{t: t, clock: newClock()}
	n := 0
	e.w = wardtest.Start(t, wardtest.Options{Now: e.clock.Now, AfterFunc: e.clock.AfterFunc, DB: db,
		Config: func(cfg *server.Config) {
			cfg.ICEServers = []signal.ICEServer{{URLs: []string{"stun:127.0.0.1:3478"}}}
			cfg.Bus = newBus(n)
			n++
			cfg.LeaseTTL = lease
			cfg.Invites = server.RateLimit{PerMinute: -1}
		}})
	e.url, e.demo, e.logs = e.w.URL, e.w.Demo, e.w.Logs
	e.st, e.srv = e.w.Store, e.w.Srv
	tw := &twin{env: e, a: e.wsURL()}
	tw.b = e.w.AddInstance(t, nil)
	return tw
}

func memoryBuses(testing.TB) func(int) server.Bus {
	net := server.NewMemoryNet(nil)
	return func(n int) server.Bus { return net.Join(fmt.Sprintf("i%d", n)) }
}

// dialTo connects to the signaling endpoint at url and reads the challenge.
func (e *env) dialTo(url string) *ws {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c, _, err := websocket.Dial(ctx, url, nil)
	require.NoError(e.t, err)
	return greeted(e.t, c)
}

func (e *env) familyAt(url, token string) *ws {
	e.t.Helper()
	w := e.dialTo(url)
	w.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleFamily, Token: token})
	w.cfg = w.expect(signal.TypeWelcome).Config
	return w
}

func (e *env) deviceAt(url string, d device) *ws {
	e.t.Helper()
	w := e.dialTo(url)
	w.send(w.deviceHello(d))
	w.cfg = w.expect(signal.TypeWelcome).Config
	return w
}

// A tablet on instance A and a family page on instance B see each other online and call
// each other both ways; SDP larger than a NOTIFY payload passes; one log row per call.
func TestClusterCallAcrossInstances(t *testing.T) {
	testkit.NoLeaks(t)
	testClusterCall(t, memoryBuses(t), "")
}

func testClusterCall(t *testing.T, buses func(int) server.Bus, db string) {
	e := newTwin(t, longLease, buses, db)
	d := e.enroll(e.demo.PairingCode)
	dev := e.deviceAt(e.a, d)
	fam := e.familyAt(e.b.WSURL(), e.demo.FamilyToken)
	require.True(t, fam.cfg.DeviceOnline) // from A's hub, through B
	m := dev.next()
	require.Equal(t, signal.TypePresence, m.Type)
	require.Equal(t, e.demo.ContactID, m.Peer)
	require.True(t, *m.Online)

	// Family → tablet, with a 30 KiB offer (over NOTIFY's 8000 bytes).
	id := connectedCall(fam, dev)
	sdp := "v=0\r\n" + strings.Repeat("a=candidate-ish\r\n", 1800)
	fam.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: sdp})
	require.Equal(t, sdp, dev.expect(signal.TypeOffer).SDP)
	dev.send(signal.Message{Type: signal.TypeAnswer, Call: id, SDP: "v=0 answer"})
	require.Equal(t, "v=0 answer", fam.expect(signal.TypeAnswer).SDP)
	fam.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, dev.expect(signal.TypeEnded).Reason)
	fam.expect(signal.TypeEnded)
	require.Equal(t, "hangup", e.waitCalls(1)[0].Reason)

	// Tablet → family, declined there.
	dev.send(signal.Message{Type: signal.TypeInvite, To: e.demo.ContactID})
	id = dev.expect(signal.TypeRinging).Call
	require.Equal(t, id, fam.expect(signal.TypeRing).Call)
	fam.send(signal.Message{Type: signal.TypeDecline, Call: id})
	require.Equal(t, signal.ReasonDeclined, dev.expect(signal.TypeEnded).Reason)
	fam.expect(signal.TypeEnded)
	require.Equal(t, "declined", e.waitCalls(2)[0].Reason)

	// A request the owner refuses comes back as an error through B.
	fam.send(signal.Message{Type: signal.TypeAccept, Call: "no-such-call-0000000000"})
	fam.expectError(signal.CodeNoSuchCall)

	// The family page leaves B: the tablet on A hears it.
	fam.c.Close(websocket.StatusNormalClosure, "")
	m = dev.next()
	require.Equal(t, signal.TypePresence, m.Type)
	require.False(t, *m.Online)
}

// The instance that owns the ward is killed in the middle of a call: its wards move to the
// other instance, every client of the ward reconnects there and resumes the call, which goes
// on and leaves one log row.
func TestClusterOwnerKilledMidCall(t *testing.T) {
	testkit.NoLeaks(t) // the killed instance's proxies, loops and bus included
	testClusterKill(t, memoryBuses(t), "")
}

func testClusterKill(t *testing.T, buses func(int) server.Bus, db string) {
	e := newTwin(t, shortLease, buses, db)
	d := e.enroll(e.demo.PairingCode)
	// The family page joins B first, so that B owns the ward; the tablet on A is proxied.
	fam := e.familyAt(e.b.WSURL(), e.demo.FamilyToken)
	dev := e.deviceAt(e.a, d)
	fam.expect(signal.TypePresence)
	id := connectedCall(fam, dev)
	// The tablet's messages reach B in order: once its offer is through, so is connected.
	dev.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "v=0 first"})
	fam.expect(signal.TypeOffer)

	e.b.Kill()
	fam.expectClosed()
	// A takes the ward once B's lease expires, and closes the tablet's connection, which was
	// proxied to B; the tablet reconnects (to A, the one left) and resumes.
	dev.expectClosed()
	dev2 := e.deviceAt(e.a, d)
	dev2.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee, To: e.demo.ContactID})
	dev2.sync()
	fam2 := e.familyAt(e.a, e.demo.FamilyToken)
	fam2.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCaller})
	fam2.syncPast() // past the live its page hears, the call being in progress

	fam2.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "v=0 restart"})
	require.Equal(t, "v=0 restart", dev2.expect(signal.TypeOffer).SDP)
	dev2.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, fam2.expect(signal.TypeEnded).Reason)
	recs := e.waitCalls(1)
	require.Equal(t, "hangup", recs[0].Reason)
}

// pgBuses gives buses on the PostgreSQL database at url.
func pgBuses(t testing.TB, url string) func(int) server.Bus {
	return func(int) server.Bus {
		b, err := server.NewPGBus(context.Background(), url, "")
		require.NoError(t, err)
		return b
	}
}

// As TestClusterCallAcrossInstances, over PostgreSQL: store and bus on one database.
func TestClusterCallAcrossInstancesPG(t *testing.T) {
	db := pgtest.URL(t)
	testClusterCall(t, pgBuses(t, db), db)
}

// As TestClusterOwnerKilledMidCall, over PostgreSQL: store and bus on one database.
func TestClusterOwnerKilledMidCallPG(t *testing.T) {
	db := pgtest.URL(t)
	testClusterKill(t, pgBuses(t, db), db)
}

// A change made through the console of one instance reaches the ward's clients on every
// instance: the bed's fresh configuration, and a revoked tablet's connection closed.
func TestClusterConsoleChangesReachEveryInstance(t *testing.T) {
	e := newTwin(t, longLease, memoryBuses(t), "")
	d := e.enroll(e.demo.PairingCode)
	dev := e.deviceAt(e.a, d) // A owns the ward
	fam := e.familyAt(e.b.WSURL(), e.demo.FamilyToken)
	dev.expect(signal.TypePresence)

	// Made through B, which does not own the ward; then through A, which does.
	e.b.Srv.ConfigChanged(context.Background(), e.demo.BedID)
	require.NotNil(t, dev.expect(signal.TypeConfig).Config)
	require.True(t, fam.expect(signal.TypeConfig).Config.DeviceOnline)
	e.srv.ConfigChanged(context.Background(), e.demo.BedID)
	dev.expect(signal.TypeConfig)
	fam.expect(signal.TypeConfig) // the family page's link checked again at A, still good

	require.NoError(t, e.st.RevokeDevice(context.Background(), d.id))
	e.b.Srv.RevokeDevice(context.Background(), d.id)
	dev.expectError(signal.CodeRevoked)
	dev.expectClosed()
}

// The instance that owns the ward stops (SIGTERM) in the middle of a call: it gives the ward
// up at once, its own clients and those proxied to it are told to reconnect, and the call
// goes on with the other instance.
func TestClusterOwnerStopsMidCall(t *testing.T) {
	e := newTwin(t, longLease, memoryBuses(t), "") // no lease runs out: the ward is given up
	d := e.enroll(e.demo.PairingCode)
	fam := e.familyAt(e.b.WSURL(), e.demo.FamilyToken) // B owns the ward
	dev := e.deviceAt(e.a, d)
	fam.expect(signal.TypePresence)
	id := connectedCall(fam, dev)
	dev.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "v=0 first"})
	fam.expect(signal.TypeOffer)

	e.b.Stop()
	fam.expectError(signal.CodeShuttingDown)
	fam.expectClosed()
	dev.expectClosed() // its proxy at B went: A closes it
	dev2 := e.deviceAt(e.a, d)
	dev2.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCallee, To: e.demo.ContactID})
	fam2 := e.familyAt(e.a, e.demo.FamilyToken)
	fam2.send(signal.Message{Type: signal.TypeResume, Call: id, Side: signal.SideCaller})
	dev2.sync()
	fam2.syncPast() // past the live its page hears, the call being in progress
	fam2.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: "v=0 restart"})
	require.Equal(t, "v=0 restart", dev2.expect(signal.TypeOffer).SDP)
	fam2.send(signal.Message{Type: signal.TypeHangup, Call: id})
	require.Equal(t, signal.ReasonHangup, dev2.expect(signal.TypeEnded).Reason)
	require.Equal(t, "hangup", e.waitCalls(1)[0].Reason)
}
