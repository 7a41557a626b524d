package server_test

import (
	"crypto/hmac"
	"crypto/sha1" //nolint:gosec // TURN REST credentials are HMAC-SHA1 by specification
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/server"
)

const relaySecret = "sixteen bytes or more of secret"

func TestExternalTURNRefusesBadURLs(t *testing.T) {
	for _, tc := range []struct {
		urls []string
		want string
	}{
		{nil, "needs a turn: or turns: URL"},
		{[]string{"stun:turn.example.org:3478"}, "needs a turn: or turns: URL"},
		{[]string{"http://turn.example.org"}, "scheme"},
		{[]string{"turn://turn.example.org:3478"}, "without //"},
		{[]string{"turn:turn.example.org:3478/path"}, "without //"},
		{[]string{"turn:user@turn.example.org:3478"}, "without //"},
		{[]string{"turn::3478"}, "no host"},
		{[]string{"turn:0.0.0.0:3478"}, "relay's own address"},
		{[]string{"turn:turn.example.org:0"}, "1 to 65535"},
		{[]string{"turn:turn.example.org:99999"}, "1 to 65535"},
		{[]string{"turn:turn.example.org:port"}, "1 to 65535"},
		{[]string{"turn:turn.example.org?transport=sctp"}, "want udp or tcp"},
		{[]string{"turn:turn.example.org?transport=udp&x=1"}, "only parameter"},
		{[]string{"turns:turn.example.org:5349?transport=udp"}, "over TLS"},
		{[]string{"stun:turn.example.org:3478?transport=udp", "turn:turn.example.org"}, "no ?transport"},
		{[]string{"turn:::1:3478"}, "host:port"},
		{[]string{"turn:turn.example.org:3478", "turn:turn.example.org:3478"}, "twice"},
	} {
		_, err := server.NewExternalTURN(server.ExternalTURNConfig{URLs: tc.urls, Secret: []byte(relaySecret)})
		require.ErrorIs(t, err, server.ErrConfig, "%q", tc.urls)
		require.ErrorContains(t, err, tc.want, "%q", tc.urls)
	}
	_, err := server.NewExternalTURN(server.ExternalTURNConfig{URLs: []string{"turn:turn.example.org"}, Secret: []byte("short")})
	require.ErrorContains(t, err, "shared secret")
}

// The external relay's servers are its URLs, with the same REST credentials as the embedded
// relay's on the TURN ones: what coturn's use-auth-secret checks with the shared secret.
func TestExternalTURNHandsOutItsURLsWithCredentials(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	relay, err := server.NewExternalTURN(server.ExternalTURNConfig{Secret: []byte(relaySecret),
		URLs: []string{"stun:turn.example.org:3478", " turn:turn.example.org:3478?transport=udp",
			"turn:turn.example.org:3478?transport=tcp", "turns:turn.example.org:5349?transport=tcp",
			"turn:[2001:db8::1]:3478", "turn:192.0.2.7"}, Now: func() time.Time { return now }})
	require.NoError(t, err)
	defer relay.Close()
	require.True(t, relay.External())
	require.Nil(t, relay.Addr())
	require.Zero(t, relay.Allocations())

	servers := relay.ICEServers(signal.RoleFamily, "c42", time.Hour)
	require.Len(t, servers, 6)
	require.Equal(t, signal.ICEServer{URLs: []string{"stun:turn.example.org:3478"}}, servers[0])
	user := strconv.FormatInt(now.Add(time.Hour).Unix(), 10) + ":f.c42"
	mac := hmac.New(sha1.New, []byte(relaySecret))
	mac.Write([]byte(user))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	for _, s := range servers[1:] {
		require.Len(t, s.URLs, 1)
		require.True(t, strings.HasPrefix(s.URLs[0], "turn"), s.URLs[0])
		require.Equal(t, user, s.Username)
		require.Equal(t, want, s.Credential)
	}
	require.Equal(t, "turn:turn.example.org:3478?transport=udp", servers[1].URLs[0])
	require.NoError(t, relay.Close())
}
