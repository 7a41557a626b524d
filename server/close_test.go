package server_test

import (
	"context"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/internal/testkit"
	"bedside/server"
)

// dialSmall is dial with a small receive buffer, so that the server's writes to a client
// that stops reading soon wait.
func (e *env) dialSmall() *ws {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	d := &net.Dialer{Control: func(_, _ string, rc syscall.RawConn) error {
		var serr error
		if err := rc.Control(func(fd uintptr) {
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		}); err != nil {
			return err
		}
		return serr
	}}
	hc := &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	c, _, err := websocket.Dial(ctx, e.wsURL(), &websocket.DialOptions{HTTPClient: hc})
	require.NoError(e.t, err)
	return greeted(e.t, c)
}

// stuckOffers is how many 45 KB offers the test relays to a tablet that does not read: more
// than the sockets hold (44 here: 2 MB), fewer than fill the sockets and the tablet's send
// queue (sendQueue more), when it would be dropped as too slow.
const stuckOffers = 76

// A tablet in a connected call stops reading (a tablet gone from the network with messages
// on their way to it): the server's writes to it wait. Close does not wait for them to time
// out: with a write timeout of 10 minutes it still returns (it took ~1 s, and ~20 s with
// the default 10 s timeout before it bounded the goodbye by closeWait).
func TestCloseDoesNotWaitForAClientThatStopsReading(t *testing.T) {
	e := newEnv(t, func(c *server.Config) { c.WriteTimeout = 10 * time.Minute })
	dev := e.dialSmall()
	dev.send(dev.deviceHello(e.enroll(e.demo.PairingCode)))
	dev.expect(signal.TypeWelcome)
	fam := e.family(e.demo.FamilyToken)
	dev.expect(signal.TypePresence)
	id := connectedCall(fam, dev)
	dev.sync()
	fam.sync()

	// From here the tablet reads nothing until Close has returned.
	sdp := "v=0\r\n" + strings.Repeat("a=x\r\n", 9000)
	for range stuckOffers {
		fam.send(signal.Message{Type: signal.TypeOffer, Call: id, SDP: sdp})
	}
	fam.sync()
	go func() {
		for {
			if _, _, err := fam.c.Read(context.Background()); err != nil {
				return
			}
		}
	}()
	closed := make(chan time.Duration, 1)
	go func() {
		start := time.Now()
		e.srv.Close()
		closed <- time.Since(start)
	}()
	select {
	case took := <-closed:
		t.Logf("Close took %v with a tablet that does not read", took)
	case <-time.After(testkit.Guard): // a hang guard, not a timing goal
		dev.c.CloseNow() // lets Close (and the test's end) finish
		t.Fatal("Close waits for the writes to a client that does not read")
	}
	require.Zero(t, e.srv.Connections())
	require.NotContains(t, e.logs.String(), "dropping slow client", "stuckOffers filled the send queue too")

	got := 0
	for {
		_, data, err := dev.c.Read(context.Background())
		if err != nil {
			break
		}
		if m, err := signal.Decode(data); err == nil && m.Type == signal.TypeOffer {
			got++
		}
	}
	require.Less(t, got, stuckOffers, "the server's writes to the tablet never waited: raise stuckOffers")
}
