package app

import (
	"image/png"
	"os"
	"testing"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/require"
)

// TestWriteAppIconPNG renders the SVG app icon to assets/icons/bedside.png, the icon that
// FyneApp.toml names for `fyne package`. It runs only with BEDSIDE_WRITE_ICON=1.
func TestWriteAppIconPNG(t *testing.T) {
	if os.Getenv("BEDSIDE_WRITE_ICON") == "" {
		t.Skip("set BEDSIDE_WRITE_ICON=1 to regenerate assets/icons/bedside.png")
	}
	test.NewTempApp(t)
	img := canvas.NewImageFromResource(AppIcon())
	img.FillMode = canvas.ImageFillStretch
	w := test.NewTempWindow(t, img)
	w.SetPadded(false)
	w.Resize(fyne.NewSquareSize(256))
	f, err := os.Create("../assets/icons/bedside.png")
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, png.Encode(f, w.Canvas().Capture()))
}

func TestAppIconPNGExists(t *testing.T) {
	f, err := os.Open("../assets/icons/bedside.png")
	require.NoError(t, err, "FyneApp.toml names this icon")
	defer f.Close()
	cfg, err := png.DecodeConfig(f)
	require.NoError(t, err)
	require.Equal(t, 256, cfg.Width)
}
