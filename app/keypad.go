package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// newKeypad returns a grid of big keys, one per rune of keys, plus a backspace key, appending to
// and deleting from entry (which stays typeable with a real keyboard). cols sets the grid width.
func newKeypad(keys string, cols int, entry *widget.Entry, maxLen int) fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, r := range keys {
		s := string(r)
		b := NewBigButton(s, nil, colSurface, func() {
			if maxLen > 0 && len([]rune(entry.Text)) >= maxLen {
				return
			}
			entry.SetText(entry.Text + s)
		})
		b.TextSize = sizeName
		objs = append(objs, b)
	}
	back := NewBigButton("", icon("backspace"), colSurface, func() {
		t := []rune(entry.Text)
		if len(t) > 0 {
			entry.SetText(string(t[:len(t)-1]))
		}
	})
	back.TextSize = sizeName
	objs = append(objs, back)
	return container.New(layout.NewGridLayoutWithColumns(cols), objs...)
}
