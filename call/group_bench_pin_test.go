package call

import (
	"os"
	"runtime"
	"strconv"
	"testing"

	"bedside/internal/testkit"

	"golang.org/x/sys/unix"
)

// pinTablet binds every thread of this process (and so the threads they start later) to CPU
// 0, so that the family's processes, started under taskset on the other CPUs, do not share
// the tablet's core. It returns a function that gives the threads every CPU again.
func pinTablet(b *testing.B) (restore func()) {
	b.Helper()
	testkit.Need(b, "taskset")
	if n := runtime.NumCPU(); n < 2 {
		b.Fatalf("pinning needs 2 CPUs, this machine has %d", n)
	}
	var all, zero unix.CPUSet
	if err := unix.SchedGetaffinity(0, &all); err != nil {
		b.Fatal(err)
	}
	zero.Set(0)
	setAll := func(set *unix.CPUSet) {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			b.Fatal(err)
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if err := unix.SchedSetaffinity(tid, set); err != nil {
				b.Logf("affinity of thread %d: %v", tid, err)
			}
		}
	}
	setAll(&zero)
	return func() { setAll(&all) }
}
