package call

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/pion/logging"
)

// pionLogger routes pion's logs to slog. Pion is chatty about things that are normal in a call
// (a closed agent, a late packet), so its errors and warnings become Debug and Info; its own
// debug and trace output is dropped.
type pionLogger struct {
	log *slog.Logger
}

func (f pionLogger) NewLogger(scope string) logging.LeveledLogger {
	return pionLeveled{log: f.log.With("pion", scope)}
}

type pionLeveled struct{ log *slog.Logger }

func (l pionLeveled) at(level slog.Level, msg string) {
	if l.log.Enabled(context.Background(), level) {
		l.log.Log(context.Background(), level, msg)
	}
}

func (l pionLeveled) Trace(string)          {}
func (l pionLeveled) Tracef(string, ...any) {}
func (l pionLeveled) Debug(string)          {}
func (l pionLeveled) Debugf(string, ...any) {}
func (l pionLeveled) Info(string)           {}
func (l pionLeveled) Infof(string, ...any)  {}
func (l pionLeveled) Warn(msg string)       { l.at(slog.LevelDebug, msg) }
func (l pionLeveled) Warnf(format string, args ...any) {
	l.at(slog.LevelDebug, fmt.Sprintf(format, args...))
}
func (l pionLeveled) Error(msg string) { l.at(slog.LevelInfo, msg) }
func (l pionLeveled) Errorf(format string, args ...any) {
	l.at(slog.LevelInfo, fmt.Sprintf(format, args...))
}
