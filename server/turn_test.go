package server_test

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pion/turn/v5"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server"
)

func TestTURNRelay(t *testing.T) {
	clk := newClock()
	relay, err := server.NewTURN(server.TURNConfig{Listen: "127.0.0.1:0", PublicIP: net.IPv4(127, 0, 0, 1),
		RelayAddress: "127.0.0.1", AllowLoopback: true, Now: clk.Now})
	require.NoError(t, err)
	defer relay.Close()
	e := newEnv(t, func(c *server.Config) { c.TURN = relay; c.TURNCredentialTTL = time.Hour })

	fam := e.family(e.demo.FamilyToken)
	var ts signal.ICEServer
	for _, s := range fam.cfg.ICEServers {
		if strings.HasPrefix(s.URLs[0], "turn:") {
			ts = s
		}
	}
	require.NotEmpty(t, ts.Username, "%+v", fam.cfg.ICEServers)
	require.Contains(t, ts.Username, e.demo.ContactID)
	addr := relay.Addr().String()
	require.Equal(t, "turn:"+addr+"?transport=udp", ts.URLs[0])

	// The credentials get a relay, and data flows through it.
	relayed := allocate(t, addr, ts.Username, ts.Credential)
	require.NotNil(t, relayed)
	defer relayed.Close()
	peer, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	defer peer.Close()
	_, err = relayed.WriteTo([]byte("hello"), peer.LocalAddr())
	require.NoError(t, err)
	buf := make([]byte, 64)
	peer.SetReadDeadline(time.Now().Add(wait))
	n, from, err := peer.ReadFrom(buf)
	require.NoError(t, err)
	require.Equal(t, "hello", string(buf[:n]))
	require.Equal(t, relayed.LocalAddr().String(), from.String())
	_, err = peer.WriteTo([]byte("back"), from)
	require.NoError(t, err)
	relayed.SetReadDeadline(time.Now().Add(wait))
	n, _, err = relayed.ReadFrom(buf)
	require.NoError(t, err)
	require.Equal(t, "back", string(buf[:n]))

	// A wrong password and expired credentials get nothing.
	require.Nil(t, allocate(t, addr, ts.Username, "d3Jvbmc="))
	clk.Advance(2 * time.Hour)
	require.Nil(t, allocate(t, addr, ts.Username, ts.Credential))
}

// allocate asks the relay for an allocation; nil when it refuses.
func allocate(t *testing.T, addr, user, pass string) net.PacketConn {
	t.Helper()
	conn, err := net.ListenPacket("udp", "127.0.0.1:0")
	require.NoError(t, err)
	c, err := turn.NewClient(&turn.ClientConfig{STUNServerAddr: addr, TURNServerAddr: addr, Conn: conn,
		Username: user, Password: pass, Realm: "bedside"})
	require.NoError(t, err)
	require.NoError(t, c.Listen())
	t.Cleanup(func() { c.Close(); conn.Close() })
	relayed, err := c.Allocate()
	if err != nil {
		return nil
	}
	return relayed
}
