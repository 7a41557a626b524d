package call

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogger routes pion's logs to slog. Pion is chatty about things that are normal in a call
// (a closed agent, a late packet), so its errors and warnings become Debug and Info; its own
// info and debug output go below Debug (pionInfo, pionDebug: a handler at "DEBUG-4" shows
// them, to see what ICE does); its trace output is dropped.
type pionLogger struct {
	log *slog.Logger
}

func (f pionLogger) NewLogger(scope string) logging.LeveledLogger {
	return pionLeveled{log: f.log.With("pion", scope)}
}

// Levels of pion's own info and debug output, below slog's Debug.
const (
	pionInfo  = slog.LevelDebug - 2
	pionDebug = slog.LevelDebug - 4
)

type pionLeveled struct{ log *slog.Logger }

func (l pionLeveled) at(level slog.Level, msg string) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, msg)
	}
}

func (l pionLeveled) atf(level slog.Level, format string, args ...any) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, fmt.Sprintf(format, args...))
	}
}

func (l pionLeveled) Trace(string)                      {}
func (l pionLeveled) Tracef(string, ...any)             {}
func (l pionLeveled) Debug(msg string)                  { l.at(pionDebug, msg) }
func (l pionLeveled) Debugf(format string, args ...any) { l.atf(pionDebug, format, args...) }
func (l pionLeveled) Info(msg string)                   { l.at(pionInfo, msg) }
func (l pionLeveled) Infof(format string, args ...any)  { l.atf(pionInfo, format, args...) }
func (l pionLeveled) Warn(msg string)                   { l.at(slog.LevelDebug, msg) }
func (l pionLeveled) Warnf(format string, args ...any)  { l.atf(slog.LevelDebug, format, args...) }
func (l pionLeveled) Error(msg string)                  { l.at(slog.LevelInfo, msg) }
func (l pionLeveled) Errorf(format string, args ...any) { l.atf(slog.LevelInfo, format, args...) }
