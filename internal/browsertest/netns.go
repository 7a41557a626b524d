package browsertest

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"syscall"
)

// NetNS places a browser in a network namespace (internal/netbed's hosts): the browser runs
// under `ip netns exec Name`, and the test reaches its debugging port, on the namespace's own
// 127.0.0.1, through Dial, which connects from inside the namespace.
type NetNS struct {
	// Name is the namespace's name, as `ip netns list` shows it.
	Name string
	// Dial connects from inside the namespace (netbed's Bed.Dialer).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

// wrap makes cmd run its program inside the namespace (ip netns exec keeps the open files,
// so Chromium's debugging pipe passes through).
func (n *NetNS) wrap(cmd *exec.Cmd) error {
	ip, err := exec.LookPath("ip")
	if err != nil {
		return err
	}
	cmd.Args = append([]string{ip, "netns", "exec", n.Name, cmd.Path}, cmd.Args[1:]...)
	cmd.Path = ip
	return nil
}

// chromiumCmd runs Chromium in the namespace, ending with the test binary as chromedp's own
// command does.
func (n *NetNS) chromiumCmd(cmd *exec.Cmd) {
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = new(syscall.SysProcAttr)
	}
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := n.wrap(cmd); err != nil {
		// Start then fails on the missing program, with this error's cause in its message.
		cmd.Path = "ip"
	}
}

// httpClient is a client that connects from inside the namespace.
func (n *NetNS) httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{DialContext: n.Dial}}
}

// secureHost is the host of a Options.SecureOrigin, as Firefox's allowlist names it.
func secureHost(origin string) string {
	u, err := url.Parse(origin)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
