package call

import (
	"context"
	"crypto/ed25519"
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
)

// A client given several instances of one deployment connects to the next when the one it is
// on goes, and skips one that does not answer.
func TestClientMovesToTheNextInstance(t *testing.T) {
	signer := newTestSigner(t, "dev-1")
	pub := signer.key.Public().(ed25519.PublicKey)
	a, b := newWSServer(t, pub, ""), newWSServer(t, pub, "")
	// dead is an address nobody listens on (a stopped instance).
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "ws://" + l.Addr().String() + "/ws"
	require.NoError(t, l.Close())

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	c, err := Dial(ctx, fastClient(ClientConfig{URL: a.url(), URLs: []string{dead, b.url()},
		Signer: signer, Logger: testLogger(t)}))
	require.NoError(t, err)
	defer c.Close()
	require.Equal(t, signal.TypeWelcome, nextInbound(t, c).Message.Type)

	// A goes: the client tries the dead one, then B.
	a.next(t).ws.CloseNow()
	require.True(t, nextInbound(t, c).Disconnected)
	b.next(t)
	require.Equal(t, signal.TypeWelcome, nextInbound(t, c).Message.Type)
	require.NoError(t, c.Send(ctx, signal.Message{Type: signal.TypeStatus, Battery: new(int)}))

	_, err = NewClient(ClientConfig{URL: a.url(), URLs: []string{"http://x"}, Signer: signer})
	require.ErrorIs(t, err, ErrConfig)
}
