package signal

import (
	"fmt"
	"net/url"
	"strings"
)

// Path is where a ward server serves its signaling WebSocket, below its base URL.
const Path = "/ws"

// URL turns a ward server's base URL (http or https, or already ws or wss) into its signaling
// WebSocket URL. A query or fragment in the base is dropped.
func URL(server string) (string, error) {
	u, err := url.Parse(server)
	if err != nil {
		return "", fmt.Errorf("signal: server URL: %w", err)
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	case "ws", "wss":
	default:
		return "", fmt.Errorf("signal: server URL %q: want http or https", server)
	}
	if u.Host == "" {
		return "", fmt.Errorf("signal: server URL %q: no host", server)
	}
	u.Path = strings.TrimRight(u.Path, "/") + Path
	u.RawQuery, u.Fragment = "", ""
	return u.String(), nil
}
