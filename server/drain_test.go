package server

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Readiness is logged when it changes, with why, and back; a probe that finds it unchanged
// logs nothing.
func TestNoteReadyLogsChangesOnly(t *testing.T) {
	var buf bytes.Buffer
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	s := &Server{log: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{ReplaceAttr: noTime}))}
	gone := errors.New("sql: database is closed")
	for i, step := range []struct {
		now  readiness
		err  error
		line string // logged by this probe, or ""
	}{
		{readyNow, nil, ""},
		{readyNow, nil, ""},
		{readyNoStore, gone, `level=WARN msg="not ready" reason="store not answering" err="sql: database is closed"`},
		{readyNoStore, gone, ""},
		{readyNoStore, gone, ""},
		{readyNow, nil, `level=INFO msg="ready again" was="store not answering"`},
		{readyNow, nil, ""},
		{readyDraining, ErrShuttingDown, `level=INFO msg="not ready" reason=draining`},
		{readyDraining, ErrShuttingDown, ""},
	} {
		buf.Reset()
		s.noteReady(step.now, step.err)
		require.Equal(t, step.line, strings.TrimSpace(buf.String()), "probe %d (%v)", i, step.now)
	}
}
