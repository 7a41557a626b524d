package signal

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080":        "ws://127.0.0.1:8080/ws",
		"https://ward.example:8443/":   "wss://ward.example:8443/ws",
		"https://ward.example/bedside": "wss://ward.example/bedside/ws",
		"https://ward.example/b?x=1#f": "wss://ward.example/b/ws",
		"wss://ward.example":           "wss://ward.example/ws",
	} {
		got, err := URL(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"ftp://x", "ward.example", "http://", "http://a b/"} {
		_, err := URL(bad)
		assert.Error(t, err, bad)
	}
}
