package media

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// rusageThread is RUSAGE_THREAD (Linux): the CPU time of the calling thread only.
const rusageThread = 1

// threadCPU measures the CPU time the benchmark's own thread spends, so that the figures do not
// depend on how busy the (shared) machine is. It locks the goroutine to its thread until
// stop; cgo calls run on that thread too.
type threadCPU struct {
	start time.Duration
	ok    bool
}

func startThreadCPU() *threadCPU {
	runtime.LockOSThread()
	c := &threadCPU{}
	c.start, c.ok = threadTime()
	return c
}

// stop reports the CPU time per iteration as "cpu-ms/frame" and unlocks the thread.
func (c *threadCPU) stop(b *testing.B) {
	end, ok := threadTime()
	runtime.UnlockOSThread()
	if c.ok && ok {
		b.ReportMetric(float64((end-c.start).Microseconds())/1000/float64(b.N), "cpu-ms/frame")
	}
}

func threadTime() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
