// Command netbed-router is the testbed's router (internal/netbed): run in the router network
// namespace, it creates a TUN device, prints "ready", forwards the packets that the namespace's
// policy routes send into the TUN through each link's impairments, and takes control commands
// on stdin (see router.Serve), answering on stdout. It stops when stdin closes or on SIGTERM.
//
//	netbed-router -tun tun0 -link server=10.77.1.0/24 -link tablet=10.77.2.0/24,10.77.3.0/24
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	ossignal "os/signal"
	"strings"
	"syscall"

	"bedside/internal/netbed/router"
)

// linkFlags collects -link NAME=PREFIX[,PREFIX...].
type linkFlags []router.Link

func (l *linkFlags) String() string { return fmt.Sprint(*l) }

func (l *linkFlags) Set(v string) error {
	name, list, ok := strings.Cut(v, "=")
	if !ok || name == "" {
		return errors.New("want NAME=PREFIX[,PREFIX...]")
	}
	link := router.Link{Name: name}
	for _, s := range strings.Split(list, ",") {
		p, err := netip.ParsePrefix(s)
		if err != nil || !p.Addr().Is4() {
			return fmt.Errorf("%q is not an IPv4 prefix", s)
		}
		link.Prefixes = append(link.Prefixes, p)
	}
	*l = append(*l, link)
	return nil
}

func main() {
	ctx, stop := ossignal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "netbed-router:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("netbed-router", flag.ContinueOnError)
	tun := fs.String("tun", "tun0", "name of the TUN device to create")
	var links linkFlags
	fs.Var(&links, "link", "a link: NAME=PREFIX[,PREFIX...] (repeat)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	dev, err := router.OpenTUN(*tun)
	if err != nil {
		return err
	}
	r, err := router.New(dev, links)
	if err != nil {
		_ = dev.Close()
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan error, 1)
	go func() { ran <- r.Run(ctx) }()
	fmt.Println("ready")
	served := make(chan error, 1)
	go func() { served <- router.Serve(ctx, r, os.Stdin, os.Stdout) }()
	select {
	case err = <-served: // stdin closed: the testbed is done with us
	case err = <-ran:
	case <-ctx.Done():
	}
	cancel()
	return errors.Join(err, dev.Close())
}
