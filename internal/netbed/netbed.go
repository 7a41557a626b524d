// Package netbed is the network testbed of Bedside's tests and benchmarks: from a test it
// creates four network namespaces, "server", "tablet" and "family", each behind a veth link to
// a "router" namespace, runs our user-space router (internal/netbed/router) there, and lets the
// test impair each direction of each link while traffic flows: loss, delay and jitter, a rate
// limit with a bounded queue, a cut, UDP blocked, and a change of the tablet's or the family's address.
//
// Addresses are in 10.77.0.0/16, assigned inside the namespaces only; nothing is added to the
// namespace the test runs in. Names carry a random part, so parallel runs do not collide, and
// everything is removed when the test ends (t.Cleanup), also when it fails. It needs root and
// iproute2's ip; without them the test fails.
package netbed

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"bedside/internal/netbed/router"
	"bedside/internal/testkit"
)

// ErrRouter is wrapped by errors the router answered to a control command.
var ErrRouter = errors.New("router refused the command")

// The hosts of the testbed.
const (
	Server = "server"
	Tablet = "tablet"
	Family = "family"
	Router = "router"
)

// Direction is one way across a host's link: Up from the host, Down to it, Both.
type Direction string

// The directions of a link.
const (
	Up   Direction = "up"
	Down Direction = "down"
	Both Direction = "both"
)

// Impairment is what one direction of a link does to packets (router.Impairment).
type Impairment = router.Impairment

// Counters are what one direction of a link did to packets so far (router.Counters).
type Counters = router.Counters

// hostNet is the addressing of one host's link.
type hostNet struct {
	name   string
	prefix string // the /24, the router being .1 and the host .2
}

var hostNets = []hostNet{{Server, "10.77.1"}, {Tablet, "10.77.2"}, {Family, "10.77.4"}}

// secondNets are the second networks of the hosts that can move, where Move puts them: the
// tablet roaming, or a family member's phone going from Wi-Fi to mobile data.
var secondNets = map[string]string{Tablet: "10.77.3", Family: "10.77.5"}

// Bed is one running testbed. Its methods are safe from one test goroutine at a time plus
// Close from the cleanup.
type Bed struct {
	tb     testing.TB
	prefix string // of the namespaces' names
	ns     map[string]string

	mu      sync.Mutex // guards the router's control pipe: one command and its answer at a time
	ctl     io.WriteCloser
	answers *bufio.Scanner
	router  *exec.Cmd
	moved   map[string]bool // by host, once Move moved it
	lan     bool            // built by NewLAN: one segment, no router (lan.go)

	closeOnce sync.Once
	closeErr  error
}

// New builds the router (go build), creates the namespaces and links, starts the router and
// returns the testbed, which the test's cleanup tears down.
func New(tb testing.TB) *Bed {
	tb.Helper()
	testkit.Need(tb, "ip", "sysctl", "go")
	if os.Geteuid() != 0 {
		tb.Fatal("netbed needs root (network namespaces)")
	}
	bin := filepath.Join(tb.TempDir(), "netbed-router")
	build := exec.Command("go", "build", "-o", bin, "bedside/internal/netbed/cmd/netbed-router")
	build.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := build.CombinedOutput(); err != nil {
		tb.Fatalf("building netbed-router: %v\n%s", err, out)
	}
	src, err := ModuleSources("bedside/internal/netbed/cmd/netbed-router")
	if err != nil {
		tb.Fatalf("netbed: %v", err)
	}
	StatAll(tb, src)
	var rnd [4]byte
	_, _ = rand.Read(rnd[:])
	b := &Bed{tb: tb, prefix: "nb" + hex.EncodeToString(rnd[:]), ns: map[string]string{}}
	tb.Cleanup(func() {
		if err := b.Close(); err != nil {
			tb.Errorf("netbed: %v", err)
		}
	})
	if err := b.setUp(bin); err != nil {
		tb.Fatalf("netbed: %v", err)
	}
	return b
}

// ModuleSources lists the module's files in pkgs and the module's packages they import. A
// test that runs a command built apart from its test binary stats them (os.Stat): go test then
// reruns the test when one of them changes, instead of reusing a result of the old command (it
// rechecks only files inside the module that the test looked at).
func ModuleSources(pkgs ...string) ([]string, error) {
	out, err := exec.Command("go", append([]string{"list", "-deps", "-f",
		"{{if and .Module .Module.Main}}{{.Dir}}{{end}}"}, pkgs...)...).Output()
	if err != nil {
		return nil, fmt.Errorf("go list %v: %w", pkgs, err)
	}
	var files []string
	for _, dir := range strings.Fields(string(out)) {
		entries, err := os.ReadDir(dir)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				files = append(files, filepath.Join(dir, e.Name()))
			}
		}
	}
	return files, nil
}

// StatAll stats each file, failing tb when one is missing (see ModuleSources).
func StatAll(tb testing.TB, files []string) {
	tb.Helper()
	for _, f := range files {
		if _, err := os.Stat(f); err != nil {
			tb.Fatalf("netbed: %v", err)
		}
	}
}

// NS returns the name of host's namespace (Server, Tablet, Family or Router).
func (b *Bed) NS(host string) string { return b.ns[host] }

// Addr returns the address of host (Server, Tablet or Family) now: the tablet's changes with
// MoveTablet. It is the zero Addr for any other name.
func (b *Bed) Addr(host string) netip.Addr {
	if b.lan {
		return lanAddr(host)
	}
	p := ""
	for _, h := range hostNets {
		if h.name == host {
			p = h.prefix
		}
	}
	if b.isMoved(host) {
		p = secondNets[host]
	}
	a, err := netip.ParseAddr(p + ".2")
	if err != nil {
		return netip.Addr{}
	}
	return a
}

func (b *Bed) isMoved(host string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.moved[host]
}

// Command returns a command that runs name with args inside host's namespace.
func (b *Bed) Command(host, name string, args ...string) *exec.Cmd {
	return exec.Command("ip", append([]string{"netns", "exec", b.ns[host], name}, args...)...)
}

// ip runs ip with args, in host's namespace when host is not empty.
func (b *Bed) ip(host string, args ...string) error {
	if host != "" {
		args = append([]string{"-n", b.ns[host]}, args...)
	}
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

func (b *Bed) sysctl(host string, kv ...string) error {
	out, err := exec.Command("ip", append([]string{"netns", "exec", b.ns[host], "sysctl", "-q", "-w"}, kv...)...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("sysctl in %s: %w: %s", host, err, strings.TrimSpace(string(out)))
	}
	return nil
}

// setUp creates the namespaces, the links and the routes, and starts the router.
func (b *Bed) setUp(routerBin string) error {
	for _, h := range []string{Router, Server, Tablet, Family} {
		b.ns[h] = b.prefix + "-" + h
		if err := b.ip("", "netns", "add", b.ns[h]); err != nil {
			delete(b.ns, h)
			return err
		}
		if err := b.ip(h, "link", "set", "lo", "up"); err != nil {
			return err
		}
		// IPv4 only: no IPv6 link-local candidates or neighbour discovery in the way. The
		// router forwards, and takes packets back from the TUN from any source.
		kv := []string{"net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"}
		if h == Router {
			kv = append(kv, "net.ipv4.ip_forward=1", "net.ipv4.conf.all.rp_filter=0", "net.ipv4.conf.default.rp_filter=0")
		}
		if err := b.sysctl(h, kv...); err != nil {
			return err
		}
	}
	link := func(host, hostIf, routerIf, prefix string, withAddr bool) error {
		steps := [][]string{
			{host, "link", "add", hostIf, "type", "veth", "peer", "name", routerIf, "netns", b.ns[Router]},
			{host, "link", "set", hostIf, "up"},
			{Router, "addr", "add", prefix + ".1/24", "dev", routerIf},
			{Router, "link", "set", routerIf, "up"},
		}
		if withAddr {
			steps = append(steps,
				[]string{host, "addr", "add", prefix + ".2/24", "dev", hostIf},
				[]string{host, "route", "add", "default", "via", prefix + ".1"})
		}
		for _, s := range steps {
			if err := b.ip(s[0], s[1:]...); err != nil {
				return err
			}
		}
		return nil
	}
	for _, h := range hostNets {
		if err := link(h.name, "eth0", h.name, h.prefix, true); err != nil {
			return err
		}
	}
	for _, h := range []string{Tablet, Family} {
		if err := link(h, "eth1", h+"2", secondNets[h], false); err != nil {
			return err
		}
	}
	if err := b.startRouter(routerBin); err != nil {
		return err
	}
	// Everything that comes in from a host goes to the TUN; what the router writes back comes
	// in from the TUN and takes the main table to its host.
	steps := [][]string{{"link", "set", "tun0", "up"}, {"route", "add", "default", "dev", "tun0", "table", "100"}}
	for _, ifc := range []string{Server, Tablet, Tablet + "2", Family, Family + "2"} {
		steps = append(steps, []string{"rule", "add", "iif", ifc, "lookup", "100"})
	}
	for _, s := range steps {
		if err := b.ip(Router, s...); err != nil {
			return err
		}
	}
	return nil
}

func (b *Bed) startRouter(bin string) error {
	args := []string{"-tun", "tun0"}
	for _, h := range hostNets {
		p := h.prefix + ".0/24"
		if second, ok := secondNets[h.name]; ok {
			p += "," + second + ".0/24"
		}
		args = append(args, "-link", h.name+"="+p)
	}
	cmd := b.Command(Router, bin, args...)
	cmd.Stderr = &prefixWriter{tb: b.tb, prefix: "netbed-router: "}
	in, err := cmd.StdinPipe()
	if err != nil {
		return err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting the router: %w", err)
	}
	b.router, b.ctl, b.answers = cmd, in, bufio.NewScanner(out)
	b.answers.Buffer(make([]byte, 64<<10), 1<<20)
	if !b.answers.Scan() || b.answers.Text() != "ready" {
		return fmt.Errorf("the router did not start (%q, %v)", b.answers.Text(), b.answers.Err())
	}
	return nil
}

// command sends one control line to the router and returns its answer.
func (b *Bed) command(line string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.ctl == nil {
		return "", fmt.Errorf("%w: the router is not running", ErrRouter)
	}
	if _, err := fmt.Fprintln(b.ctl, line); err != nil {
		return "", fmt.Errorf("to the router: %w", err)
	}
	if !b.answers.Scan() {
		return "", fmt.Errorf("the router did not answer %q: %v", line, b.answers.Err())
	}
	a := b.answers.Text()
	if rest, ok := strings.CutPrefix(a, "error "); ok {
		return "", fmt.Errorf("%w: %q: %s", ErrRouter, line, rest)
	}
	return a, nil
}

// Set replaces the impairment of host's link in direction dir.
func (b *Bed) Set(host string, dir Direction, im Impairment) {
	b.tb.Helper()
	if _, err := b.command(fmt.Sprintf("set %s %s %s", host, dir, im)); err != nil {
		b.tb.Fatalf("netbed: %v", err)
	}
}

// Clear takes every impairment off every link.
func (b *Bed) Clear() {
	b.tb.Helper()
	for _, h := range hostNets {
		if _, err := b.command("clear " + h.name + " both"); err != nil {
			b.tb.Fatalf("netbed: %v", err)
		}
	}
}

// Cut cuts host's link both ways (on) or gives it back (off), keeping its other impairments.
func (b *Bed) Cut(host string, on bool) {
	b.tb.Helper()
	if _, err := b.command(fmt.Sprintf("set %s both cut=%t", host, on)); err != nil {
		b.tb.Fatalf("netbed: %v", err)
	}
}

// Stats returns the router's counters by "host/up" and "host/down".
func (b *Bed) Stats() map[string]Counters {
	b.tb.Helper()
	a, err := b.command("stats")
	if err != nil {
		b.tb.Fatalf("netbed: %v", err)
	}
	st := map[string]Counters{}
	if err := json.Unmarshal([]byte(strings.TrimPrefix(a, "stats ")), &st); err != nil {
		b.tb.Fatalf("netbed: the router's stats: %v", err)
	}
	return st
}

// MoveTablet moves the tablet to its second network (Move).
func (b *Bed) MoveTablet() { b.tb.Helper(); b.Move(Tablet) }

// Move moves host (Tablet or Family) to its second network, as a tablet roaming to another
// access point or a phone going from Wi-Fi to mobile data: its new address comes up on its
// second link, the default route goes there, and the old address is removed (its sockets lose
// it at once). A host moves once.
func (b *Bed) Move(host string) {
	b.tb.Helper()
	second, ok := secondNets[host]
	if !ok || b.isMoved(host) {
		b.tb.Fatalf("netbed: %s cannot move (again)", host)
	}
	first := ""
	for _, h := range hostNets {
		if h.name == host {
			first = h.prefix
		}
	}
	steps := [][]string{
		{"addr", "add", second + ".2/24", "dev", "eth1"},
		{"route", "replace", "default", "via", second + ".1"},
		{"addr", "del", first + ".2/24", "dev", "eth0"},
	}
	for _, s := range steps {
		if err := b.ip(host, s...); err != nil {
			b.tb.Fatalf("netbed: moving the %s: %v", host, err)
		}
	}
	b.mu.Lock()
	if b.moved == nil {
		b.moved = map[string]bool{}
	}
	b.moved[host] = true
	b.mu.Unlock()
}

// Close stops the router and deletes the namespaces (and with them every link). The test's
// cleanup calls it; calling it again does nothing. Processes the test started in the
// namespaces must be stopped before (register their cleanup after New).
func (b *Bed) Close() error {
	b.closeOnce.Do(func() {
		var errs []error
		b.mu.Lock()
		if b.router != nil {
			_ = b.ctl.Close() // the router stops when its stdin closes
			done := make(chan error, 1)
			go func() { done <- b.router.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					errs = append(errs, fmt.Errorf("the router: %w", err))
				}
			case <-time.After(5 * time.Second):
				_ = b.router.Process.Kill()
				<-done
				errs = append(errs, errors.New("the router did not stop when its stdin closed"))
			}
			b.router, b.ctl = nil, nil
		}
		b.mu.Unlock()
		for _, h := range []string{Server, Tablet, Family, Router} {
			if ns, ok := b.ns[h]; ok {
				if err := b.ip("", "netns", "del", ns); err != nil {
					errs = append(errs, err)
				}
			}
		}
		b.closeErr = errors.Join(errs...)
	})
	return b.closeErr
}

// prefixWriter logs what a process writes, line by line, through the test's log.
type prefixWriter struct {
	tb     testing.TB
	prefix string
	mu     sync.Mutex
	buf    []byte
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := strings.IndexByte(string(w.buf), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.tb.Log(w.prefix + string(w.buf[:i]))
		w.buf = w.buf[i+1:]
	}
}
