// Package assets embeds what Bedside shows and plays: the family web page, the kiosk's icons,
// ringtone and translations. It imports nothing of the project and nothing of Fyne, so that the
// ward server (pure Go) and the kiosk can both use it; the kiosk wraps these bytes in Fyne
// resources itself.
package assets
