package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"

	"bedside/assets"
)

// icon returns the named SVG from assets/icons as a resource recoloured to the theme's
// foreground, or nil when it is missing.
func icon(name string) fyne.Resource {
	data, err := assets.Icons.ReadFile("icons/" + name + ".svg")
	if err != nil {
		return nil
	}
	return theme.NewThemedResource(fyne.NewStaticResource(name+".svg", data))
}

// AppIcon is the kiosk's application icon.
func AppIcon() fyne.Resource {
	data, err := assets.Icons.ReadFile("icons/bedside.svg")
	if err != nil {
		return nil
	}
	return fyne.NewStaticResource("bedside.svg", data)
}
