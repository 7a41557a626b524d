package tablet

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"bedside/call/signal"
)

// PowerSupplyDir is where Linux lists the power supplies.
const PowerSupplyDir = "/sys/class/power_supply"

// Status returns the call engine's Config.Status: the tablet's battery charge, read from the
// power supplies under dir at each call, and the kiosk's version.
func Status(dir, version string) func() (int, string) {
	return func() (int, string) { return BatteryPercent(dir), version }
}

// BatteryPercent returns the charge, 0 to 100, of the first supply under dir (by name) whose
// type is Battery and whose capacity reads as a number, or signal.BatteryUnknown when there is
// none (a mains-powered screen, or a system that does not say). A peripheral's battery (scope
// Device, e.g. a wireless keyboard's) is not the tablet's.
func BatteryPercent(dir string) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return signal.BatteryUnknown
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		typ, err := os.ReadFile(filepath.Join(dir, name, "type"))
		if err != nil || strings.TrimSpace(string(typ)) != "Battery" {
			continue
		}
		if scope, err := os.ReadFile(filepath.Join(dir, name, "scope")); err == nil && strings.TrimSpace(string(scope)) == "Device" {
			continue
		}
		capacity, err := os.ReadFile(filepath.Join(dir, name, "capacity"))
		if err != nil {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(string(capacity)))
		if err != nil || n < 0 {
			continue
		}
		return min(n, 100)
	}
	return signal.BatteryUnknown
}
