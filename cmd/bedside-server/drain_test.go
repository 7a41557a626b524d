package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// -metrics-listen serves /metrics and /readyz on its own address, which the public address
// does not: its /metrics is 404. A cancel (SIGTERM) with no client connected stops at once,
// without waiting for the drain's grace.
func TestRunMetricsListener(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errR, errW := io.Pipe()
	done := make(chan error, 1)
	go func() {
		err := run(ctx, []string{"-addr", "127.0.0.1:0", "-metrics-listen", "127.0.0.1:0", "-drain-grace", "10m",
			"-data", t.TempDir(), "-log-level", "info"}, io.Discard, errW)
		errW.Close()
		done <- err
	}()
	addrs := map[string]string{}
	line := regexp.MustCompile(`msg=(serving|metrics) addr=(\S+)`)
	lines := bufio.NewScanner(errR)
	for len(addrs) < 2 && lines.Scan() {
		if m := line.FindStringSubmatch(lines.Text()); m != nil {
			addrs[m[1]] = m[2]
		}
	}
	go io.Copy(io.Discard, errR)
	if len(addrs) < 2 {
		t.Fatalf("the listening addresses are not logged: %v", <-done)
	}
	public, internal := "http://"+addrs["serving"], "http://"+addrs["metrics"]
	require.NotEqual(t, public, internal)

	status := func(url string) (int, string) {
		t.Helper()
		resp, err := http.Get(url)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
	code, body := status(internal + "/metrics")
	require.Equal(t, http.StatusOK, code)
	require.True(t, strings.Contains(body, "# TYPE bedside_calls_in_progress gauge\n"), body)
	code, _ = status(public + "/metrics")
	require.Equal(t, http.StatusNotFound, code)
	for _, u := range []string{public, internal} {
		code, body = status(u + "/readyz")
		require.Equal(t, http.StatusOK, code, body)
	}

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(time.Minute): // a guard far below the 10 min grace, not a timing goal
		t.Fatal("the drain waited for its grace with nobody connected")
	}
}

func TestDrainFlags(t *testing.T) {
	_, err := parseFlags([]string{"-drain-grace", "-1s"}, io.Discard)
	require.Error(t, err)
	_, err = parseFlags([]string{"-addr", "127.0.0.1:8080", "-metrics-listen", "127.0.0.1:8080"}, io.Discard)
	require.Error(t, err)
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 5*time.Second, o.drainGrace)
	require.Empty(t, o.metricsListen, "no metrics listener unless asked")
}
