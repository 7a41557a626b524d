package callrun

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// line is one line a process printed on stdout, with when it was read.
type line struct {
	at   time.Time
	text string
}

// proc is a process running in a namespace. Its stdout lines come on lines (closed at EOF) and
// are kept, for the figures afterwards; its stderr goes to a file in the test's temp dir.
type proc struct {
	name  string
	cmd   *exec.Cmd
	lines chan line
	done  chan struct{} // closed when stdout ended and the process was waited for
	log   string

	mu      sync.Mutex
	kept    []line
	waitErr error
	stopped bool // stop was called: its error was the caller's to see
}

func startProc(tb testing.TB, name string, cmd *exec.Cmd) *proc {
	tb.Helper()
	p := &proc{name: name, cmd: cmd, lines: make(chan line, 100000), done: make(chan struct{}),
		log: logFile(tb, name)}
	errFile, err := os.Create(p.log)
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	cmd.Stderr = errFile
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatalf("%s: %v", name, err)
	}
	if err := cmd.Start(); err != nil {
		_ = errFile.Close()
		tb.Fatalf("starting %s: %v", name, err)
	}
	copyOut := stdoutFile(tb, name)
	go func() {
		defer close(p.done)
		defer close(p.lines)
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			l := line{at: time.Now(), text: sc.Text()}
			if copyOut != nil {
				_, _ = fmt.Fprintf(copyOut, "%s %s\n", l.at.UTC().Format("15:04:05.000"), l.text)
			}
			p.mu.Lock()
			p.kept = append(p.kept, l)
			p.mu.Unlock()
			select {
			case p.lines <- l:
			default: // nobody follows this process live; the line is kept all the same
			}
		}
		err := cmd.Wait()
		_ = errFile.Close()
		if copyOut != nil {
			_ = copyOut.Close()
		}
		p.mu.Lock()
		p.waitErr = err
		p.mu.Unlock()
	}()
	tb.Cleanup(func() {
		p.mu.Lock()
		seen := p.stopped
		p.mu.Unlock()
		if err := p.stop(10 * time.Second); err != nil && !seen {
			tb.Logf("%s: %v; its stderr:\n%s", name, err, p.stderrTail())
		}
	})
	return p
}

// output returns the lines kept so far.
func (p *proc) output() []line {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]line(nil), p.kept...)
}

// waitLine waits up to timeout for a line that starts with prefix and returns it.
func (p *proc) waitLine(prefix string, timeout time.Duration) (string, bool) {
	deadline := time.After(timeout)
	for {
		select {
		case l, ok := <-p.lines:
			if !ok {
				return "", false
			}
			if strings.HasPrefix(l.text, prefix) {
				return l.text, true
			}
		case <-deadline:
			return "", false
		}
	}
}

// stop sends SIGTERM, waits up to grace, then kills. A process that already ended with an
// error returns that error.
func (p *proc) stop(grace time.Duration) error {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = p.cmd.Process.Kill()
			<-p.done
			return errors.New("did not stop on SIGTERM; killed")
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stopped = true
	var exit *exec.ExitError
	if errors.As(p.waitErr, &exit) && exit.Sys().(syscall.WaitStatus).Signaled() {
		return nil // our SIGTERM
	}
	return p.waitErr
}

// stderrTail is the end of what the process wrote on stderr.
func (p *proc) stderrTail() string {
	b, err := os.ReadFile(p.log)
	if err != nil {
		return err.Error()
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
