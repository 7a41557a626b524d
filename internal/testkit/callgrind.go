package testkit

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// Instructions runs the program argv under valgrind's callgrind and returns the instructions
// it executed inside the function fn (a C symbol, its callees included) and what the program
// printed. Unlike CPU time, the count does not change with the machine's load, so benchmarks
// on a shared machine compare it. Valgrind 3.19 knows neither the RDTSCP instruction (Go's
// runtime uses it when the CPU has it) nor Go's preemption signals: both are turned off in the
// program's GODEBUG.
func Instructions(tb testing.TB, fn string, argv ...string) (ir float64, stdout string) {
	tb.Helper()
	Need(tb, "valgrind")
	out := filepath.Join(tb.TempDir(), "callgrind.out")
	cmd := exec.Command("valgrind", append([]string{"--tool=callgrind", "--toggle-collect=" + fn,
		"--callgrind-out-file=" + out}, argv...)...)
	cmd.Env = append(os.Environ(), "GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off")
	printed, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			tb.Fatalf("callgrind %v: %v\n%s", argv, err, ee.Stderr)
		}
		tb.Fatalf("callgrind %v: %v", argv, err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		tb.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "summary: "); ok {
			ir, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				tb.Fatalf("callgrind summary %q: %v", v, err)
			}
			return ir, string(printed)
		}
	}
	tb.Fatalf("callgrind wrote no summary in %s", out)
	return 0, ""
}
