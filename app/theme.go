package app

import (
	"image/color"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/theme"
)

// Colours of the patients' theme: light text on a deep blue, chosen for contrast well above
// WCAG AA (white on the background is about 16:1), with a green for answering and a red for
// ending that also differ in brightness for colour-blind patients.
var (
	colBackground = color.NRGBA{R: 0x0b, G: 0x17, B: 0x24, A: 0xff}
	colSurface    = color.NRGBA{R: 0x1a, G: 0x2d, B: 0x42, A: 0xff}
	colForeground = color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0xff}
	colMuted      = color.NRGBA{R: 0xc8, G: 0xd3, B: 0xde, A: 0xff}
	colPrimary    = color.NRGBA{R: 0xff, G: 0xc8, B: 0x3d, A: 0xff}
	colAnswer     = color.NRGBA{R: 0x1f, G: 0x9d, B: 0x3f, A: 0xff}
	colEnd        = color.NRGBA{R: 0xd6, G: 0x2f, B: 0x2a, A: 0xff}
	colOnline     = color.NRGBA{R: 0x3d, G: 0xdc, B: 0x68, A: 0xff}
	colOffline    = color.NRGBA{R: 0x8a, G: 0x99, B: 0xa8, A: 0xff}
	colBanner     = color.NRGBA{R: 0xe0, G: 0x8a, B: 0x00, A: 0xee}
	colShade      = color.NRGBA{R: 0x00, G: 0x00, B: 0x00, A: 0x99}
)

// Text sizes of the patients' screens, in Fyne's device-independent units (≈ points).
const (
	sizeBody     = 24 // ordinary text
	sizeName     = 32 // names on tiles and call screens (≥ 28 pt)
	sizeTitle    = 44 // greeting, caller's name
	sizeClock    = 64 // the time on the home screen
	sizeButton   = 30 // labels of the big call buttons
	sizeRelation = 24
)

// patientTheme is a large, high-contrast dark theme. It is always dark: the tablet sits beside a
// bed where a bright screen at night disturbs the patient and their neighbours.
type patientTheme struct{}

// NewTheme returns the kiosk's theme for patients.
func NewTheme() fyne.Theme { return patientTheme{} }

func (patientTheme) Color(n fyne.ThemeColorName, _ fyne.ThemeVariant) color.Color {
	switch n {
	case theme.ColorNameBackground, theme.ColorNameMenuBackground:
		return colBackground
	case theme.ColorNameOverlayBackground, theme.ColorNameHeaderBackground:
		return colSurface
	case theme.ColorNameButton, theme.ColorNameInputBackground:
		return colSurface
	case theme.ColorNameDisabledButton:
		return color.NRGBA{R: 0x22, G: 0x30, B: 0x3e, A: 0xff}
	case theme.ColorNameForeground, theme.ColorNameForegroundOnError,
		theme.ColorNameForegroundOnSuccess:
		return colForeground
	case theme.ColorNameForegroundOnPrimary, theme.ColorNameForegroundOnWarning:
		return colBackground
	case theme.ColorNamePrimary, theme.ColorNameFocus, theme.ColorNameHyperlink:
		return colPrimary
	case theme.ColorNameSuccess:
		return colAnswer
	case theme.ColorNameError:
		return colEnd
	case theme.ColorNameWarning:
		return colBanner
	case theme.ColorNameDisabled, theme.ColorNamePlaceHolder:
		return colOffline
	case theme.ColorNameInputBorder, theme.ColorNameSeparator:
		return colMuted
	case theme.ColorNameShadow:
		return color.NRGBA{A: 0x66}
	case theme.ColorNameSelection:
		return color.NRGBA{R: 0xff, G: 0xc8, B: 0x3d, A: 0x55}
	case theme.ColorNameHover:
		return color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0x22}
	case theme.ColorNamePressed:
		return color.NRGBA{R: 0xff, G: 0xff, B: 0xff, A: 0x44}
	}
	return theme.DefaultTheme().Color(n, theme.VariantDark)
}

func (patientTheme) Font(s fyne.TextStyle) fyne.Resource { return theme.DefaultTheme().Font(s) }

func (patientTheme) Icon(n fyne.ThemeIconName) fyne.Resource { return theme.DefaultTheme().Icon(n) }

func (patientTheme) Size(n fyne.ThemeSizeName) float32 {
	switch n {
	case theme.SizeNameText:
		return sizeBody
	case theme.SizeNameHeadingText:
		return sizeTitle
	case theme.SizeNameSubHeadingText:
		return sizeName
	case theme.SizeNameCaptionText:
		return 18
	case theme.SizeNamePadding:
		return 8
	case theme.SizeNameInnerPadding:
		return 16
	case theme.SizeNameInlineIcon:
		return 32
	case theme.SizeNameInputBorder:
		return 3
	case theme.SizeNameInputRadius, theme.SizeNameSelectionRadius:
		return 10
	case theme.SizeNameScrollBar:
		return 20
	}
	return theme.DefaultTheme().Size(n)
}
