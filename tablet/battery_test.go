package tablet_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"bedside/call/signal"
	"bedside/tablet"
)

// supply writes a fake /sys/class/power_supply entry; an empty capacity writes none.
func supply(t *testing.T, dir, name, typ, capacity string) {
	t.Helper()
	d := filepath.Join(dir, name)
	require.NoError(t, os.MkdirAll(d, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(d, "type"), []byte(typ+"\n"), 0o644))
	if capacity != "" {
		require.NoError(t, os.WriteFile(filepath.Join(d, "capacity"), []byte(capacity+"\n"), 0o644))
	}
}

func TestBatteryPercent(t *testing.T) {
	dir := t.TempDir()
	assert.Equal(t, signal.BatteryUnknown, tablet.BatteryPercent(filepath.Join(dir, "missing")), "no power_supply dir")
	assert.Equal(t, signal.BatteryUnknown, tablet.BatteryPercent(dir), "no supplies")

	supply(t, dir, "AC", "Mains", "")
	supply(t, dir, "hidpp_battery_0", "Battery", "30") // a wireless mouse's
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hidpp_battery_0", "scope"), []byte("Device\n"), 0o644))
	assert.Equal(t, signal.BatteryUnknown, tablet.BatteryPercent(dir), "a peripheral's battery is not the tablet's")

	supply(t, dir, "CMB1", "Battery", "90") // listed after BAT0
	assert.Equal(t, 90, tablet.BatteryPercent(dir))

	supply(t, dir, "BAT0", "Battery", "57")
	assert.Equal(t, 57, tablet.BatteryPercent(dir), "the first battery by name")

	supply(t, dir, "BAT0", "Battery", "garbage")
	assert.Equal(t, 90, tablet.BatteryPercent(dir), "an unreadable capacity is skipped")

	supply(t, dir, "BAT0", "Battery", "104")
	assert.Equal(t, 100, tablet.BatteryPercent(dir), "clamped")

	battery, v := tablet.Status(dir, "1.2.3")()
	assert.Equal(t, 100, battery)
	assert.Equal(t, "1.2.3", v)
}
