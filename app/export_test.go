package app

import "fyne.io/fyne/v2"

// IsPartTile reports whether o is a participant's tile of the in-call grid.
func IsPartTile(o fyne.CanvasObject) bool {
	_, ok := o.(*partTile)
	return ok
}
