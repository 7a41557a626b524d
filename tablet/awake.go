package tablet

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"time"
)

// XsetAwake keeps an X11 screen on from the moment a call rings until it ends, on top of
// Fyne's D-Bus screensaver inhibition: it wakes the screen (dpms force on, screensaver reset)
// and turns blanking off, then back on after the call. It is nil (nothing to do) without
// DISPLAY or xset.
func XsetAwake(log *slog.Logger) func(bool) {
	path, err := exec.LookPath("xset")
	if err != nil || os.Getenv("DISPLAY") == "" {
		return nil
	}
	var mu sync.Mutex // keeps the commands of successive calls in order
	return func(on bool) {
		steps := [][]string{{"s", "on"}, {"+dpms"}}
		if on {
			steps = [][]string{{"dpms", "force", "on"}, {"s", "reset"}, {"s", "off"}, {"-dpms"}}
		}
		go func() {
			mu.Lock()
			defer mu.Unlock()
			for _, args := range steps {
				ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
				if err := exec.CommandContext(ctx, path, args...).Run(); err != nil {
					log.Debug("xset failed", "args", args, "err", err)
				}
				cancel()
			}
		}()
	}
}
