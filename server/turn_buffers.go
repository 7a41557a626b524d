package server

import (
	"fmt"
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

// bufferUDP asks for size bytes of buffer on the UDP listener, and warns when the kernel
// granted less.
func (t *TURN) bufferUDP(size int) error {
	var err error
	if t.udpBuffer, err = setUDPBuffers(t.udp, size); err != nil {
		return fmt.Errorf("server: turn: UDP buffers: %w", err)
	}
	if t.udpBuffer > 0 && t.udpBuffer < size {
		t.log.Warn("the kernel granted the relay's UDP listener less buffer than asked: calls may lose packets when the server is busy; raise net.core.rmem_max and net.core.wmem_max",
			"asked", size, "granted", t.udpBuffer)
	}
	return nil
}

// UDPBuffer is the receive buffer, in bytes, that the kernel granted the UDP listener; 0
// without UDP or when it cannot tell.
func (t *TURN) UDPBuffer() int { return t.udpBuffer }

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
