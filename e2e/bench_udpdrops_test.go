package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// udpSocket is one UDP socket as /proc/net/udp{,6} lists it.
type udpSocket struct {
	port  int    // local port
	inode uint64 // the socket's inode, as /proc/PID/fd links name it ("socket:[inode]")
	drops uint64 // datagrams the kernel dropped because the socket's receive buffer was full
}

// udpSockets lists the UDP sockets of this network namespace.
func udpSockets() ([]udpSocket, error) {
	var out []udpSocket
	for _, f := range []string{"/proc/net/udp", "/proc/net/udp6"} {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		lines := strings.Split(string(b), "\n")
		for _, line := range lines[1:] {
			// sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
			fs := strings.Fields(line)
			if len(fs) < 13 {
				continue
			}
			_, port, ok := strings.Cut(fs[1], ":")
			if !ok {
				continue
			}
			p, err := strconv.ParseInt(port, 16, 32)
			if err != nil {
				continue
			}
			s := udpSocket{port: int(p)}
			s.inode, _ = strconv.ParseUint(fs[9], 10, 64)
			s.drops, _ = strconv.ParseUint(fs[12], 10, 64)
			out = append(out, s)
		}
	}
	return out, nil
}

// socketInodes is the inodes of the sockets process pid has open.
func socketInodes(pid int) map[uint64]bool {
	dir := fmt.Sprintf("/proc/%d/fd", pid)
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	out := make(map[uint64]bool, len(ents))
	for _, e := range ents {
		l, err := os.Readlink(dir + "/" + e.Name())
		if err != nil {
			continue
		}
		if v, ok := strings.CutPrefix(l, "socket:["); ok {
			if n, err := strconv.ParseUint(strings.TrimSuffix(v, "]"), 10, 64); err == nil {
				out[n] = true
			}
		}
	}
	return out
}

// udpDrops is the receive-buffer drops of process pid's UDP sockets so far: on the socket
// bound to listenPort (a relay's listener; 0 for none) and on all its others.
type udpDrops struct{ listener, others uint64 }

func readUDPDrops(pid, listenPort int) (udpDrops, error) {
	socks, err := udpSockets()
	if err != nil {
		return udpDrops{}, err
	}
	mine := socketInodes(pid)
	var d udpDrops
	for _, s := range socks {
		switch {
		case !mine[s.inode]:
		case s.port == listenPort:
			d.listener += s.drops
		default:
			d.others += s.drops
		}
	}
	return d, nil
}
