package call

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// In a hurry the wait between attempts stays short whatever the backoff reached, and
// attempts use a client whose TCP connections give up soon; a configured client is kept.
func TestClientHurry(t *testing.T) {
	c, err := NewClient(ClientConfig{URL: "ws://127.0.0.1:1/ws", FamilyToken: "t"})
	require.NoError(t, err)
	require.Nil(t, c.httpClient(), "not hurried: the default client")
	c.Hurry(true)
	for range 100 {
		require.LessOrEqual(t, c.backoffWait(15*time.Second), hurryBackoff)
	}
	hurried := c.httpClient()
	require.NotNil(t, hurried)
	require.Same(t, hurried, c.httpClient(), "made once")
	c.Hurry(false)
	require.GreaterOrEqual(t, c.backoffWait(15*time.Second), 7500*time.Millisecond)
	require.Nil(t, c.httpClient())

	own := &http.Client{}
	c, err = NewClient(ClientConfig{URL: "ws://127.0.0.1:1/ws", FamilyToken: "t", HTTPClient: own})
	require.NoError(t, err)
	c.Hurry(true)
	require.Same(t, own, c.httpClient())
}
