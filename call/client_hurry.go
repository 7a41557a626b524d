package call

import (
	"net"
	"net/http"
	"time"
)

// While a call's media is lost, the end that lost its server connection too (a network cut)
// is what the other end's restart offer waits for: it must be back on the server as soon as
// its network returns. A connection attempt on a dead network sits in TCP's SYN retries (1 s,
// then 3 s and 7 s apart) until the handshake timeout (10 s), and the backoff between
// attempts grows to 15 s: after a cut of a minute, the network could be back for 15 s before
// the next attempt. In a hurry, each attempt gives TCP hurryConnect to connect and the next
// follows within hurryBackoff, so that an attempt starts within about two seconds of the
// network's return. A network whose round trip is longer than hurryConnect cannot carry a
// call's video anyway.
const (
	hurryConnect = 1500 * time.Millisecond
	hurryBackoff = 250 * time.Millisecond
)

// Hurry turns hurried reconnection on or off (see hurryConnect). The phone turns it on while
// its call's media is lost, and off when it is back or the call ends.
func (c *Client) Hurry(on bool) { c.hurry.Store(on) }

// httpClient is the client of the next WebSocket handshake: the configured one, or, in a
// hurry and without one, one whose TCP connection attempts give up after hurryConnect.
func (c *Client) httpClient() *http.Client {
	if c.cfg.HTTPClient != nil || !c.hurry.Load() {
		return c.cfg.HTTPClient
	}
	c.hurriedOnce.Do(func() {
		d := &net.Dialer{Timeout: hurryConnect, KeepAlive: 30 * time.Second}
		c.hurried = &http.Client{Transport: &http.Transport{
			Proxy:               http.ProxyFromEnvironment,
			DialContext:         d.DialContext,
			TLSHandshakeTimeout: 10 * time.Second,
		}}
	})
	return c.hurried
}

// backoffWait is how long to wait before the next attempt, given the current backoff.
func (c *Client) backoffWait(backoff time.Duration) time.Duration {
	if c.hurry.Load() {
		backoff = min(backoff, hurryBackoff)
	}
	return jitter(backoff)
}
