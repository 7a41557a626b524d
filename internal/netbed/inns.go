package netbed

import (
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// Do runs fn on an OS thread that is in host's network namespace: sockets fn opens belong to
// that namespace and stay in it afterwards, so a test can talk from one host to another without
// a helper process. The thread goes back to its namespace after fn, or, if it cannot, it ends
// with its goroutine instead of serving other goroutines.
func (b *Bed) Do(host string, fn func() error) error {
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		back, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			done <- err
			return
		}
		defer back.Close()
		target, err := os.Open("/run/netns/" + b.ns[host])
		if err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("namespace of %s: %w", host, err)
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			done <- fmt.Errorf("entering %s: %w", host, err)
			return
		}
		fnErr := fn()
		if err := unix.Setns(int(back.Fd()), unix.CLONE_NEWNET); err != nil {
			// Leave the thread locked: it exits with this goroutine.
			done <- fmt.Errorf("leaving %s: %w (and %v)", host, err, fnErr)
			return
		}
		runtime.UnlockOSThread()
		done <- fnErr
	}()
	return <-done
}
