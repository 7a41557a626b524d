package router

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sort"
	"sync"
)

// ErrUnknownLink is wrapped by errors about a link or direction the router does not have.
var ErrUnknownLink = errors.New("unknown link")

// Direction is one way across a link: Up leaves the host for the router, Down comes to it.
type Direction string

// The two directions of a link.
const (
	Up   Direction = "up"
	Down Direction = "down"
)

// Link is a host's link to the router: its name and the prefixes its addresses are in.
type Link struct {
	Name     string
	Prefixes []netip.Prefix
}

// Router forwards IPv4 packets read from dev back into dev, through the stages of the links
// the packet leaves and enters. A packet of an address outside every link passes untouched.
type Router struct {
	dev    io.ReadWriter
	links  []Link
	stages map[string]*stage // "link/dir"
}

// New makes a router over dev (a TUN device, or anything that reads and writes whole IPv4
// packets) for links.
func New(dev io.ReadWriter, links []Link) (*Router, error) {
	r := &Router{dev: dev, links: links, stages: map[string]*stage{}}
	for _, l := range links {
		if l.Name == "" || len(l.Prefixes) == 0 {
			return nil, fmt.Errorf("link %q needs a name and a prefix", l.Name)
		}
		for _, d := range []Direction{Up, Down} {
			r.stages[l.Name+"/"+string(d)] = newStage(d == Up)
		}
	}
	return r, nil
}

// Run forwards until ctx is done or reading dev fails; it returns the read error, or nil when
// ctx ended. The caller closes dev to stop a blocked read.
func (r *Router) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	for _, s := range r.stages {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.run(ctx, r.forward)
		}()
	}
	for {
		buf := make([]byte, 65536)
		n, err := r.dev.Read(buf)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("reading the device: %w", err)
		}
		p, ok := r.route(buf[:n])
		if !ok {
			continue
		}
		r.forward(p)
	}
}

// route reads an IPv4 packet's addresses and protocol and lists the stages it crosses; ok is
// false for what is not IPv4.
func (r *Router) route(b []byte) (packet, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return packet{}, false
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	dst := netip.AddrFrom4([4]byte(b[16:20]))
	p := packet{data: b, udp: b[9] == 17, src: r.linkOf(src), dst: r.linkOf(dst)}
	if p.src != "" {
		p.route = append(p.route, r.stages[p.src+"/up"])
	}
	if p.dst != "" {
		p.route = append(p.route, r.stages[p.dst+"/down"])
	}
	return p, true
}

func (r *Router) linkOf(a netip.Addr) string {
	for _, l := range r.links {
		for _, p := range l.Prefixes {
			if p.Contains(a) {
				return l.Name
			}
		}
	}
	return ""
}

// forward hands p to its next stage, or writes it into the device after the last one.
func (r *Router) forward(p packet) {
	if len(p.route) > 0 {
		next := p.route[0]
		p.route = p.route[1:]
		next.in <- p
		return
	}
	// A write fails only when the device is gone or the kernel refuses the packet; the
	// packet is lost as on a real link, and Run ends on the next read.
	_, _ = r.dev.Write(p.data)
}

// Set replaces the impairment of link's direction dir.
func (r *Router) Set(ctx context.Context, link string, dir Direction, im Impairment) error {
	s, ok := r.stages[link+"/"+string(dir)]
	if !ok {
		return fmt.Errorf("%w: %s/%s", ErrUnknownLink, link, dir)
	}
	select {
	case s.set <- im:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Stats returns every stage's counters by "link/dir".
func (r *Router) Stats(ctx context.Context) (map[string]Counters, error) {
	out := make(map[string]Counters, len(r.stages))
	keys := make([]string, 0, len(r.stages))
	for k := range r.stages {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		req := statsReq{reply: make(chan Counters, 1)}
		select {
		case r.stages[k].stats <- req:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		out[k] = <-req.reply
	}
	return out, nil
}
