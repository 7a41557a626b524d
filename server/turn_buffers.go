package server

import (
	"net"
	"syscall"
)

// defaultUDPBuffer is the kernel receive and send buffer the relay asks for on its UDP
// listener. Every relayed packet of every call passes through that one socket, read by one
// goroutine: with the kernel's default (208 KiB on Linux, about a hundred packets) a pause of
// a few tens of milliseconds in that goroutine (the scheduler, a garbage collection, a busy
// machine) overflowed it and the calls lost packets (BenchmarkRelay20Calls: 2,593 datagrams
// dropped in 20 s with 20 calls, none with 4 MiB). 4 MiB holds about a second of 20 calls.
const defaultUDPBuffer = 4 << 20

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
