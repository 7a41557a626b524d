// Command fynefloor is the reference beside the kiosk's idle benchmark: a bare Fyne app, one
// fullscreen window with one line of plain and one of bold text, nothing else. What it costs
// when idle (CPU, memory) is the floor under any Fyne app on the same display and GL driver, so
// the benchmark prints it beside the kiosk's figures: the difference is ours.
package main

import (
	"fmt"
	"os"

	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/widget"
)

func main() {
	a := app.NewWithID("org.bedside.fynefloor")
	w := a.NewWindow("Fyne floor")
	bold := widget.NewLabel("Good evening")
	bold.TextStyle.Bold = true
	w.SetContent(container.NewCenter(container.NewVBox(bold, widget.NewLabel("Idle reference"))))
	w.SetFullScreen(true)
	a.Lifecycle().SetOnStarted(func() { fmt.Fprintln(os.Stderr, "fynefloor started") })
	w.ShowAndRun()
}
