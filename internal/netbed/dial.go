package netbed

import (
	"context"
	"net"
)

// Dialer returns a dial function whose connections are made from inside host's namespace
// (Do): a test reaches a process there, as a browser's debugging port on the namespace's own
// 127.0.0.1, without adding anything to its own namespace.
func (b *Bed) Dialer(host string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var c net.Conn
		err := b.Do(host, func() error {
			var d net.Dialer
			var err error
			c, err = d.DialContext(ctx, network, addr)
			return err
		})
		return c, err
	}
}
