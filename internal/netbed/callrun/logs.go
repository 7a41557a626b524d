package callrun

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// logsDir, when set, keeps what the ward server and both peers write on stderr in that
// directory (one file per process and test, named after both), and has the peers log at debug
// level, pion's warnings included: to see why a call did what it did.
//
//	go test -run '^$' -bench Network/address-change ./internal/netbed/callrun -args -netbed.logs=/tmp/logs
var logsDir = flag.String("netbed.logs", "", "keep the server's and the peers' stderr in this directory; the peers log at debug level")

// logFile is where process name of tb keeps its stderr: in -netbed.logs, or in tb's temp dir.
func logFile(tb testing.TB, name string) string {
	if *logsDir == "" {
		return filepath.Join(tb.TempDir(), name+".stderr")
	}
	test := strings.NewReplacer("/", "_", " ", "_").Replace(tb.Name())
	return filepath.Join(*logsDir, test+"-"+name+".log")
}

// peerLogLevel is the peers' -log-level: with -netbed.logs, pion's own debug output too.
func peerLogLevel() string {
	if *logsDir == "" {
		return "warn"
	}
	return "debug-4"
}

// serverLogLevel is the ward server's -log-level: info at least, for its call log lines.
func serverLogLevel() string {
	if *logsDir == "" {
		return "info"
	}
	return "debug"
}

// stdoutFile is where process name of tb copies its stdout with -netbed.logs (the stats
// lines, with when each was read); nil without.
func stdoutFile(tb testing.TB, name string) *os.File {
	if *logsDir == "" {
		return nil
	}
	f, err := os.Create(strings.TrimSuffix(logFile(tb, name), ".log") + ".stdout")
	if err != nil {
		tb.Fatalf("-netbed.logs: %v", err)
	}
	return f
}

// keptLogs makes -netbed.logs' directory, if one is given.
func keptLogs() error {
	if *logsDir == "" {
		return nil
	}
	return os.MkdirAll(*logsDir, 0o755)
}
