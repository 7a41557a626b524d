package apptest

import (
	"context"
	"image"
	"sync"
	"time"

	"bedside/app"
)

// Camera is a fake app.Camera: a frame source that sends one picture, over and over, to
// whichever sink the kiosk set, as a camera driver does.
type Camera struct {
	mu    sync.Mutex
	sink  app.VideoSink
	img   image.Image
	sets  int // Preview calls with a sink
	stops int // Preview calls with nil
}

// Preview implements app.Camera.
func (c *Camera) Preview(sink app.VideoSink) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sink = sink
	if sink == nil {
		c.stops++
	} else {
		c.sets++
	}
}

// Show makes img what the camera sees from now on (nil: nothing).
func (c *Camera) Show(img image.Image) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.img = img
}

// Active reports whether the kiosk wants frames now.
func (c *Camera) Active() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sink != nil
}

// Calls returns how many times the preview was started and stopped.
func (c *Camera) Calls() (sets, stops int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sets, c.stops
}

// Run sends the current picture to the sink fps times a second until ctx is done, on its own
// goroutine as a camera does.
func (c *Camera) Run(ctx context.Context, fps int) {
	t := time.NewTicker(time.Second / time.Duration(fps))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		c.mu.Lock()
		sink, img := c.sink, c.img
		c.mu.Unlock()
		if sink != nil && img != nil {
			sink.Frame(img)
		}
	}
}
