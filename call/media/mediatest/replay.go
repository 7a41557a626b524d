// Package mediatest helps benchmarks measure call/media's encoder by work rather than by time:
// it replays a test-pattern Local's encode records (media.Local.SetEncodeObserver) under
// valgrind's callgrind and counts the instructions libvpx spent. Only tests import it.
package mediatest

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"bedside/call/media"
	"bedside/internal/testkit"
)

// BuildReplay builds cmd/bedside-vp8replay into a temporary directory and returns its path;
// root is the module's root relative to the calling test's directory ("../.." from
// call/media).
func BuildReplay(tb testing.TB, root string) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "bedside-vp8replay")
	if out, err := exec.Command("go", "build", "-o", bin, root+"/cmd/bedside-vp8replay").CombinedOutput(); err != nil {
		tb.Fatalf("build bedside-vp8replay: %v\n%s", err, out)
	}
	return bin
}

// WindowInstructions counts the instructions a test-pattern Local of 640x480 at 30 fps spent
// in vpx_codec_encode on recs[from:to]: bin (BuildReplay) encodes the records again under
// callgrind, once up to from and once up to to, and the encoder being deterministic, the
// difference is the window's work. It fails the benchmark when the replay does not make the
// keyframes and bytes the Local made.
func WindowInstructions(tb testing.TB, bin string, recs []media.EncodeRecord, from, to int) float64 {
	tb.Helper()
	trace := filepath.Join(tb.TempDir(), "encode.jsonl")
	f, err := os.Create(trace)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, r := range recs[:to] {
		line, err := json.Marshal(r)
		if err != nil {
			tb.Fatal(err)
		}
		_, _ = w.Write(append(line, '\n'))
	}
	if err := errors.Join(w.Flush(), f.Close()); err != nil {
		tb.Fatal(err)
	}
	count := func(n int) (float64, string) {
		return testkit.Instructions(tb, "vpx_codec_encode", bin, "-trace", trace, "-records", strconv.Itoa(n))
	}
	before, _ := count(from)
	upTo, out := count(to)
	keys, bytes := 0, 0
	for _, r := range recs[:to] {
		if r.KeyFrame {
			keys++
		}
		bytes += r.Bytes
	}
	if want := fmt.Sprintf("records %d keyframes %d bytes %d", to, keys, bytes); strings.TrimSpace(out) != want {
		tb.Errorf("the replay differs from the run: %q, want %q", strings.TrimSpace(out), want)
	}
	return upTo - before
}
