package main

import (
	"fmt"
	"syscall"
)

// fileReserve is how many file descriptors the server keeps for itself beside its
// connections: the database, the relay, the logs.
const fileReserve = 128

// checkMaxConns refuses a -max-conns that the process's open-file limit cannot hold, rather
// than let connections past it fail at accept. Go raises the soft limit to the hard one at
// start, so the hard limit is what counts (systemd's LimitNOFILE).
func checkMaxConns(n int) error {
	if n == 0 {
		return nil
	}
	if n < 1 || n > 1<<20 {
		return fmt.Errorf("-max-conns %d: want 1 to %d", n, 1<<20)
	}
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return fmt.Errorf("-max-conns: open-file limit: %w", err)
	}
	if uint64(n)+fileReserve > rl.Max {
		return fmt.Errorf("-max-conns %d: the open-file limit is %d, raise it to %d or more (LimitNOFILE in the unit)", n, rl.Max, n+fileReserve)
	}
	return nil
}
