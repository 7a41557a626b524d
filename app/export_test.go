package app

import "fyne.io/fyne/v2"

// IsPartTile reports whether o is a participant's tile of the in-call grid.
func IsPartTile(o fyne.CanvasObject) bool {
	_, ok := o.(*partTile)
	return ok
}

// TileShowsVideo reports whether o, a participant's tile, shows their picture (not their
// photo), and whose tile it is.
func TileShowsVideo(o fyne.CanvasObject) (id string, video bool) {
	t := o.(*partTile)
	return t.part.ID, t.showsVideo() && t.video.Visible()
}
