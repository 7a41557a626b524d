package e2e

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// benchProc is what /proc says of one process.
type benchProc struct {
	pid, ppid int
	cpu       time.Duration // user + system time so far
	rss, hwm  int64         // resident set now and at its peak, bytes
	pss       int64         // proportional set: shared pages split between their users, bytes
	name      string
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat (100 on Linux).
const clockTicks = 100

// readBenchProc reads /proc/PID/stat and /proc/PID/status.
func readBenchProc(pid int) (benchProc, error) {
	p := benchProc{pid: pid}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return p, err
	}
	s := string(stat)
	open, closing := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || closing < open {
		return p, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	p.name = s[open+1 : closing]
	f := strings.Fields(s[closing+1:]) // f[0] is field 3 (state)
	if len(f) < 13 {
		return p, fmt.Errorf("short /proc/%d/stat", pid)
	}
	p.ppid, _ = strconv.Atoi(f[1])
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	p.cpu = time.Duration(ut+st) * time.Second / clockTicks
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return p, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			p.rss = kb << 10
		case "VmHWM":
			p.hwm = kb << 10
		}
	}
	if rollup, err := os.ReadFile(fmt.Sprintf("/proc/%d/smaps_rollup", pid)); err == nil {
		for _, line := range strings.Split(string(rollup), "\n") {
			if v, ok := strings.CutPrefix(line, "Pss:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
				p.pss = kb << 10
			}
		}
	}
	return p, nil
}

// benchTree reads root and every process descended from it.
func benchTree(root int) map[int]benchProc {
	all := map[int]benchProc{}
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if p, err := readBenchProc(pid); err == nil {
			all[pid] = p
		}
	}
	out := map[int]benchProc{}
	for pid, p := range all {
		for q, ok := p, true; ok; q, ok = all[q.ppid] {
			if q.pid == root {
				out[pid] = p
				break
			}
			if q.ppid == q.pid || q.ppid == 0 {
				break
			}
		}
	}
	return out
}

// benchUsage is the CPU and memory of a set of processes over a window.
type benchUsage struct {
	cpuPct   float64 // % of one core
	rssMax   int64   // largest resident set seen (summed over the processes)
	pssMax   int64   // largest proportional set seen (summed: shared pages counted once)
	hwm      int64   // peak resident set the kernel recorded (one process only)
	byKind   map[string]float64
	elapsed  time.Duration
	procsEnd int
}

// chromiumKind names a Chromium process by its --type (the browser process has none).
func chromiumKind(pid int) string {
	cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return "?"
	}
	kind := "browser"
	// Chromium rewrites its command line with spaces between the arguments.
	for _, a := range strings.FieldsFunc(string(cmdline), func(r rune) bool { return r == 0 || r == ' ' }) {
		if t, ok := strings.CutPrefix(a, "--type="); ok {
			kind = t
		}
		if s, ok := strings.CutPrefix(a, "--utility-sub-type="); ok {
			kind = "utility:" + s[strings.LastIndexByte(s, '.')+1:]
		}
	}
	return kind
}

// benchMeasure samples the CPU time and resident memory of the processes pids, and of the
// process trees under roots, over d.
func benchMeasure(d time.Duration, pids, roots []int) benchUsage {
	read := func() map[int]benchProc {
		m := map[int]benchProc{}
		for _, pid := range pids {
			if p, err := readBenchProc(pid); err == nil {
				m[pid] = p
			}
		}
		for _, r := range roots {
			for pid, p := range benchTree(r) {
				m[pid] = p
			}
		}
		return m
	}
	u := benchUsage{byKind: map[string]float64{}}
	start, t0 := read(), time.Now()
	kinds := map[int]string{}
	if len(roots) > 0 {
		for pid := range start {
			kinds[pid] = chromiumKind(pid)
		}
	}
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var end map[int]benchProc
	for {
		now := time.Now()
		end = read()
		var rss, pss int64
		for _, p := range end {
			rss += p.rss
			pss += p.pss
		}
		u.rssMax = max(u.rssMax, rss)
		u.pssMax = max(u.pssMax, pss)
		if now.Sub(t0) >= d {
			break
		}
		<-tick.C
	}
	u.elapsed = time.Since(t0)
	var cpu time.Duration
	for pid, p := range end {
		spent := p.cpu - start[pid].cpu // a process born during the window started at zero
		cpu += spent
		u.hwm = max(u.hwm, p.hwm)
		if len(roots) > 0 {
			k, ok := kinds[pid]
			if !ok {
				k = chromiumKind(pid)
			}
			u.byKind[k] += 100 * spent.Seconds() / u.elapsed.Seconds()
		}
	}
	u.procsEnd = len(end)
	u.cpuPct = 100 * cpu.Seconds() / u.elapsed.Seconds()
	return u
}
