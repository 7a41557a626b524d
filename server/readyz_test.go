package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// A load balancer probes every few seconds: the probes themselves are not logged (neither in
// the request log nor by /readyz), only the changes of readiness, once each, with the reason.
func TestReadyzProbesLogChangesOnly(t *testing.T) {
	e := newEnv(t, nil)
	base := e.serveMetrics()
	probe := func(want int) {
		t.Helper()
		for range 20 {
			for _, u := range []string{base, e.url} {
				status, _ := fetch(t, u+"/readyz")
				require.Equal(t, want, status, u)
				status, _ = fetch(t, u+"/healthz")
				require.Equal(t, http.StatusOK, status, u)
			}
		}
	}
	notReady := func() []string {
		var lines []string
		for _, l := range strings.Split(e.logs.String(), "\n") {
			if strings.Contains(l, `msg="not ready"`) || strings.Contains(l, `msg="ready again"`) {
				lines = append(lines, l)
			}
		}
		return lines
	}

	probe(http.StatusOK)
	require.NotContains(t, e.logs.String(), "/readyz")
	require.NotContains(t, e.logs.String(), "/healthz")
	require.Empty(t, notReady())

	require.NoError(t, e.st.Close())
	probe(http.StatusServiceUnavailable)
	lines := notReady()
	require.Len(t, lines, 1, "%q", lines)
	require.Contains(t, lines[0], `reason="store not answering"`)

	e.srv.Drain()
	probe(http.StatusServiceUnavailable)
	lines = notReady()
	require.Len(t, lines, 2, "%q", lines)
	require.Contains(t, lines[1], "reason=draining")
	require.NotContains(t, e.logs.String(), "/readyz")
}
