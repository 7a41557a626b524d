package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"bedside/internal/pgtest"
	"bedside/internal/testkit"
	"bedside/server/store"
)

// instance is a bedside-server process of a test's deployment.
type instance struct {
	cmd    *exec.Cmd
	url    string
	stdout *lines
	logs   *lines
}

// buildServer builds bedside-server into a temp dir.
func buildServer(t *testing.T) string {
	bin := filepath.Join(t.TempDir(), "bedside-server")
	out, err := exec.Command("go", "build", "-o", bin, "bedside/cmd/bedside-server").CombinedOutput()
	require.NoError(t, err, string(out))
	return bin
}

var listening = regexp.MustCompile(`msg=listening addr=(\S+)`)

// startInstance runs bin with args and waits until it listens.
func startInstance(t *testing.T, bin string, args ...string) *instance {
	in := &instance{cmd: exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-log-level", "info"}, args...)...),
		stdout: &lines{}, logs: &lines{}}
	out, err := in.cmd.StdoutPipe()
	require.NoError(t, err)
	errs, err := in.cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, in.cmd.Start())
	go in.stdout.feed(out)
	go in.logs.feed(errs)
	t.Cleanup(func() {
		_ = in.cmd.Process.Signal(syscall.SIGTERM)
		_ = in.cmd.Wait()
		if t.Failed() {
			t.Logf("bedside-server %v:\n%s", args, strings.Join(in.logs.with(""), "\n"))
		}
	})
	testkit.Eventually(t, "the instance listens", func() bool {
		for _, l := range in.logs.with("") {
			if m := listening.FindStringSubmatch(l); m != nil {
				in.url = "http://" + m[1]
				return true
			}
		}
		return false
	})
	return in
}

// lastFrames is the frames count of a peer's latest stats line.
func lastFrames(l *lines) int {
	stats := l.with("stats ")
	if len(stats) == 0 {
		return 0
	}
	m := regexp.MustCompile(` frames=(\d+) `).FindStringSubmatch(stats[len(stats)-1])
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// Two bedside-server processes on one PostgreSQL database serve one ward: the tablet is on A, the family
// on B, and they call each other through A, which owns the ward. A is killed (SIGKILL) in the
// middle of the call: B takes the ward, both ends reconnect to B and resume, the media goes
// on, the family hangs up at the end, and the call leaves one log row.
func TestClusterInstanceKilledMidCall(t *testing.T) {
	testkit.Need(t, "go")
	bin := buildServer(t)
	db := pgtest.URL(t)
	cluster := []string{"-db", db, "-data", t.TempDir(), "-cluster-lease", "2s"} // -cluster: -db
	a := startInstance(t, bin, append([]string{"-demo"}, cluster...)...)
	var link, code string
	testkit.Eventually(t, "the demo's link and code", func() bool {
		for _, l := range a.stdout.with("") {
			if v, ok := strings.CutPrefix(l, "family link: "); ok {
				link = v
			}
			if v, ok := strings.CutPrefix(l, "device pairing code: "); ok {
				code = v
			}
		}
		return link != "" && code != ""
	})
	token := link[strings.LastIndex(link, "/")+1:]
	b := startInstance(t, bin, cluster...)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dev, devDone := startPeer(t, ctx, "-server", a.url+","+b.url, "-pair", code, "-data", t.TempDir(),
		"-auto-answer", "-loopback", "-stats-every", "500ms")
	testkit.Eventually(t, "the tablet is ready", func() bool { return len(dev.with("ready device=")) == 1 })
	fam, famDone := startPeer(t, ctx, "-server", b.url+","+a.url, "-family-token", token, "-dial", "patient",
		"-duration", "12s", "-loopback", "-stats-every", "500ms", "-media", "test")
	testkit.Eventually(t, "the call is up with pictures", func() bool {
		return len(fam.with("call state=in-call")) > 0 && lastFrames(fam) > 10 && lastFrames(dev) > 10
	})

	require.NoError(t, a.cmd.Process.Kill())
	_ = a.cmd.Wait()
	before := lastFrames(fam)
	testkit.Eventually(t, "both ends are back, on B", func() bool {
		return strings.Count(strings.Join(b.logs.with(""), "\n"), "client joined") >= 2 &&
			strings.Contains(strings.Join(b.logs.with(""), "\n"), "call taken back")
	})
	testkit.Eventually(t, "the picture goes on", func() bool { return lastFrames(fam) > before+20 })

	select {
	case err := <-famDone:
		require.NoError(t, err)
	case <-time.After(time.Minute):
		t.Fatal("the family peer did not finish its call")
	}
	testkit.Eventually(t, "the tablet hears the hang-up", func() bool { return len(dev.with("call state=ended")) == 1 })
	require.Contains(t, dev.with("call state=ended")[0], "reason=hangup")
	require.Contains(t, fam.with("call state=ended")[0], "reason=hangup")
	cancel()
	require.NoError(t, <-devDone)

	st, err := store.Open(context.Background(), db, store.Options{})
	require.NoError(t, err)
	defer st.Close()
	recs := callRows(t, st)
	require.Len(t, recs, 1)
	require.Equal(t, "hangup", recs[0].Reason)
}

// callRows is every call-log row of the first ward's beds' patients.
func callRows(t *testing.T, st store.Store) []store.CallRecord {
	ctx := context.Background()
	wards, err := st.Wards(ctx)
	require.NoError(t, err)
	var out []store.CallRecord
	for _, w := range wards {
		beds, err := st.Beds(ctx, w.ID)
		require.NoError(t, err)
		for _, b := range beds {
			p, err := st.PatientInBed(ctx, b.ID)
			if err != nil {
				continue
			}
			recs, err := st.Calls(ctx, p.ID, 0)
			require.NoError(t, err)
			out = append(out, recs...)
		}
	}
	return out
}
