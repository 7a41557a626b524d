package e2e

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/coder/websocket"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/provisioning"
)

// bareTablet is a tablet that speaks the signaling protocol by hand: enough to be online,
// receive its configuration and be dropped.
type bareTablet struct {
	tb   testing.TB
	conn *websocket.Conn
}

// connectBareTablet enrolls a fresh identity with code and connects it, returning the
// tablet and its welcome configuration.
func connectBareTablet(tb testing.TB, baseURL, code string) (*bareTablet, *signal.Config) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	id, err := provisioning.LoadOrCreateIdentity(tb.TempDir())
	require.NoError(tb, err)
	resp, err := provisioning.Enroll(ctx, baseURL, code, id, "Tab A9", "1.2.3")
	require.NoError(tb, err)
	require.NoError(tb, id.SetDeviceID(resp.Device))
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(baseURL, "http")+"/ws", nil)
	require.NoError(tb, err)
	conn.SetReadLimit(signal.MaxMessageSize)
	tab := &bareTablet{tb: tb, conn: conn}
	tb.Cleanup(func() { _ = conn.CloseNow() })
	ch := tab.read()
	require.Equal(tb, signal.TypeChallenge, ch.Type)
	tab.send(signal.Message{Type: signal.TypeHello, Role: signal.RoleDevice, Device: resp.Device,
		Sig: base64.StdEncoding.EncodeToString(id.Sign(signal.HelloPayload(ch.Nonce)))})
	welcome := tab.read()
	require.Equal(tb, signal.TypeWelcome, welcome.Type, welcome.Message)
	return tab, welcome.Config
}

func (c *bareTablet) send(m signal.Message) {
	c.tb.Helper()
	data, err := signal.Encode(m)
	require.NoError(c.tb, err)
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	require.NoError(c.tb, c.conn.Write(ctx, websocket.MessageText, data))
}

// read returns the next message; a closed connection is a zero message of type "".
func (c *bareTablet) read() signal.Message {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, data, err := c.conn.Read(ctx)
	if err != nil {
		var ce websocket.CloseError
		require.True(c.tb, errors.As(err, &ce), "read: %v", err)
		return signal.Message{}
	}
	m, err := signal.Decode(data)
	require.NoError(c.tb, err)
	return m
}

// next skips presence messages and returns the first other one.
func (c *bareTablet) next() signal.Message {
	for {
		m := c.read()
		if m.Type != signal.TypePresence {
			return m
		}
	}
}
