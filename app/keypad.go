package app

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/layout"
	"fyne.io/fyne/v2/widget"
)

// keySize is the size of the keys' labels.
const keySize = 28

// backspaceKey marks where newKeypad puts its backspace key.
const backspaceKey = '⌫'

// newKeypad returns a grid of big keys, one per rune of keys (backspaceKey makes the backspace
// key), then extra, appending to and deleting from entry (which stays typeable with a real
// keyboard). cols sets the grid width.
func newKeypad(keys string, cols int, entry *widget.Entry, maxLen int, extra ...fyne.CanvasObject) fyne.CanvasObject {
	var objs []fyne.CanvasObject
	for _, r := range keys {
		if r == backspaceKey {
			objs = append(objs, backspace(entry))
			continue
		}
		s := string(r)
		b := NewBigButton(s, nil, colSurface, func() {
			if maxLen > 0 && len([]rune(entry.Text)) >= maxLen {
				return
			}
			entry.SetText(entry.Text + s)
		})
		b.TextSize = keySize
		b.Compact = true
		objs = append(objs, b)
	}
	objs = append(objs, extra...)
	return container.New(layout.NewGridLayoutWithColumns(cols), objs...)
}

func backspace(entry *widget.Entry) *BigButton {
	b := NewBigButton("", icon("backspace"), colSurface, func() {
		t := []rune(entry.Text)
		if len(t) > 0 {
			entry.SetText(string(t[:len(t)-1]))
		}
	})
	b.TextSize = keySize
	b.Compact = true
	return b
}
