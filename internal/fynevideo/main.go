// Command fynevideo is the reference beside the kiosk's in-call benchmark: a bare Fyne app, one
// fullscreen window holding one canvas.Image that shows a moving 640×480 picture, replaced 30
// times a second the way the kiosk's video view replaces its frames (a new RGBA frame set on
// the image, then Refresh, from fyne.Do, at most one redraw queued at a time; fill "contain",
// fastest scaling). Nothing else: no call, no decoder, no widgets. What it costs (CPU, memory)
// is the floor under any Fyne app that paints video of that size and rate on the same display
// and GL driver, so the benchmark prints it beside the kiosk's figures: the difference is ours.
//
// It prints "fynevideo started" on stderr once the window is up, then every second
// "fynevideo t=SECONDS ticks=N drawn=N": the frames offered so far and those drawn.
//
//	fynevideo -fps 30 -size 640x480
package main

import (
	"errors"
	"flag"
	"fmt"
	"image"
	"io"
	"os"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
)

func main() {
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "fynevideo:", err)
		os.Exit(2)
	}
	run(o, os.Stderr)
}

var errUsage = errors.New("usage")

type options struct {
	fps           int
	width, height int
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{}
	fs := flag.NewFlagSet("fynevideo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.fps, "fps", 30, "frames a second, 1 to 120")
	size := fs.String("size", "640x480", "the frames' size, WIDTHxHEIGHT")
	if err := fs.Parse(args); err != nil {
		return o, fmt.Errorf("%w: %v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if o.fps < 1 || o.fps > 120 {
		return o, fmt.Errorf("%w: -fps %d is not between 1 and 120", errUsage, o.fps)
	}
	if _, err := fmt.Sscanf(*size, "%dx%d", &o.width, &o.height); err != nil ||
		o.width < 16 || o.height < 16 || o.width > 4096 || o.height > 4096 {
		return o, fmt.Errorf("%w: -size %q is not WIDTHxHEIGHT between 16 and 4096", errUsage, *size)
	}
	return o, nil
}

// player owns the frames. Everything but the counters and the scheduled flag is touched only
// on Fyne's UI goroutine (inside fyne.Do).
type player struct {
	img    *canvas.Image
	strip  *image.RGBA    // the picture, twice as wide as a frame: frames are windows onto it
	frames [3]*image.RGBA // rotating buffers: one shown, one free, one spare
	next   int            // the buffer the next frame is written into
	offset int            // where the next frame's window starts in the strip

	scheduled     atomic.Bool
	ticks, drawn  atomic.Int64
	width, height int
}

func newPlayer(width, height int) *player {
	p := &player{width: width, height: height, strip: pattern(2*width, height)}
	for i := range p.frames {
		p.frames[i] = image.NewRGBA(image.Rect(0, 0, width, height))
	}
	p.img = canvas.NewImageFromImage(nil)
	p.img.FillMode = canvas.ImageFillContain
	p.img.ScaleMode = canvas.ImageScaleFastest
	return p
}

// pattern is a picture whose every column differs from its neighbours' (bars of colour and a
// diagonal gradient), so that scrolling it changes the whole frame, as camera video does.
func pattern(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := img.PixOffset(x, y)
			bar := (x / 40) % 6
			img.Pix[i+0] = uint8(40*bar + y/4)
			img.Pix[i+1] = uint8((x + y) / 3)
			img.Pix[i+2] = uint8(255 - 40*bar - x%64)
			img.Pix[i+3] = 0xff
		}
	}
	return img
}

// tick offers one frame: it queues a redraw unless one is already queued (then this frame is
// dropped, as the kiosk drops frames the UI has no time for).
func (p *player) tick() {
	p.ticks.Add(1)
	if p.scheduled.CompareAndSwap(false, true) {
		fyne.Do(p.draw)
	}
}

// draw writes the next frame (the picture moved on by 8 pixels) into a free buffer and shows
// it. It runs on the UI goroutine, which also paints: the buffer written was last shown two
// frames ago, and has been replaced since.
func (p *player) draw() {
	p.scheduled.Store(false)
	f := p.frames[p.next]
	p.next = (p.next + 1) % len(p.frames)
	rowBytes := 4 * p.width
	for y := 0; y < p.height; y++ {
		src := p.strip.PixOffset(p.offset, y)
		copy(f.Pix[y*f.Stride:y*f.Stride+rowBytes], p.strip.Pix[src:src+rowBytes])
	}
	p.offset = (p.offset + 8) % p.width
	p.img.Image = f
	p.img.Refresh()
	p.drawn.Add(1)
}

func run(o options, log io.Writer) {
	a := app.NewWithID("org.bedside.fynevideo")
	w := a.NewWindow("Fyne video")
	p := newPlayer(o.width, o.height)
	w.SetContent(p.img)
	w.SetFullScreen(true)
	stop := make(chan struct{})
	a.Lifecycle().SetOnStarted(func() {
		fmt.Fprintln(log, "fynevideo started")
		go p.play(time.Second/time.Duration(o.fps), stop, log)
	})
	a.Lifecycle().SetOnStopped(func() { close(stop) })
	w.ShowAndRun()
}

// play offers a frame every period and prints the counters every second, until stop.
func (p *player) play(period time.Duration, stop <-chan struct{}, log io.Writer) {
	t0 := time.Now()
	frames, report := time.NewTicker(period), time.NewTicker(time.Second)
	defer frames.Stop()
	defer report.Stop()
	for {
		select {
		case <-stop:
			return
		case <-frames.C:
			p.tick()
		case now := <-report.C:
			fmt.Fprintf(log, "fynevideo t=%.1f ticks=%d drawn=%d\n", now.Sub(t0).Seconds(), p.ticks.Load(), p.drawn.Load())
		}
	}
}
