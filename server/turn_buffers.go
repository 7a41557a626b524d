package server

import (
	"net"
	"syscall"
)

// defaultUDPBuffer is the kernel receive and send buffer the relay asks for on its UDP
// listener. Every relayed packet of every call passes through that one socket, read by one
// goroutine: with the kernel's default (208 KiB on Linux, a couple of hundred packets) a
// pause of some tens of milliseconds in that goroutine (the scheduler, a garbage collection,
// a busy machine) overflowed it and the calls lost packets (BenchmarkRelay20Calls, with the
// relay in the same process as its 40 engines: 2,593 datagrams dropped in 20 s, none with
// more). coturn asks for 2 MiB on each of its listening sockets (one per thread): so do we.
// More would only turn a relay short of CPU into seconds of delay instead of losses.
const defaultUDPBuffer = 2 << 20

// setUDPBuffers asks the kernel for size bytes of receive and send buffer on c and returns the
// receive buffer it got, which net.core.rmem_max caps (Linux reports twice what was granted,
// its bookkeeping included; this returns what was granted). got is 0 when it cannot tell.
func setUDPBuffers(c net.PacketConn, size int) (got int, err error) {
	u, ok := c.(*net.UDPConn)
	if !ok {
		return 0, nil
	}
	if err := u.SetReadBuffer(size); err != nil {
		return 0, err
	}
	if err := u.SetWriteBuffer(size); err != nil {
		return 0, err
	}
	return readBuffer(u), nil
}

// readBuffer is the receive buffer the kernel granted u; 0 when it cannot tell.
func readBuffer(u *net.UDPConn) int {
	rc, err := u.SyscallConn()
	if err != nil {
		return 0
	}
	got := 0
	_ = rc.Control(func(fd uintptr) {
		got, err = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF)
	})
	if err != nil {
		return 0
	}
	return got / 2
}
