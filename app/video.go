package app

import (
	"image"
	"image/color"
	"sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/widget"
)

// VideoView shows the latest frame it was handed, scaled to fit. Frame never blocks: it copies
// the frame (senders reuse their buffers) into one of three rotating buffers, keeps only the
// newest, and schedules at most one redraw at a time through fyne.Do, so when the UI is behind
// the frames in between are dropped.
//
// Every redraw repaints the whole window (Fyne has no partial repaint), so a view can be given
// a lower rate with limitRate (the self-view needs no more than 10 frames a second), and can
// ride along with another view's redraws with rideWith: while the other view's video flows,
// its frames are drawn in the same repaint as the other's next frame, not in one of their own.
// The black
// background shows only while there is no frame; under a frame the window's own (near-black)
// background fills the letterbox, which spares painting a full-screen rectangle per frame.
type VideoView struct {
	widget.BaseWidget

	clock     Clock
	img       *canvas.Image
	bg        *canvas.Rectangle
	mu        sync.Mutex  // guards the three buffers
	pendingF  image.Image // newest copied frame, not drawn yet
	shown     image.Image // the frame the canvas.Image holds (owned by the UI goroutine)
	spare     image.Image // a buffer free for the next copy
	scheduled atomic.Bool
	last      atomic.Int64  // clock time of the last frame, unix nanoseconds; 0 = none yet
	minGap    time.Duration // frames closer than this to the last one taken are dropped
	taken     atomic.Int64  // clock time of the last frame taken, unix nanoseconds
	lead      *VideoView    // draws this view's frames with its own while its video flows
	rider     *VideoView    // the view riding along with this one's redraws
	drawnAt   atomic.Int64  // clock time of the last redraw, unix nanoseconds

	received, drawn atomic.Uint64
}

// NewVideoView returns an empty (black) view; clock stamps frame arrivals for stall detection.
func NewVideoView(clock Clock, fill canvas.ImageFill) *VideoView {
	if clock == nil {
		clock = SystemClock{}
	}
	v := &VideoView{clock: clock}
	v.bg = canvas.NewRectangle(color.Black)
	v.img = canvas.NewImageFromImage(nil)
	v.img.FillMode = fill
	v.img.ScaleMode = canvas.ImageScaleFastest
	v.ExtendBaseWidget(v)
	return v
}

// Frame hands the view a new frame. It is safe from any goroutine and never blocks.
func (v *VideoView) Frame(img image.Image) {
	if img == nil {
		return
	}
	v.received.Add(1)
	now := v.clock.Now().UnixNano()
	if v.minGap > 0 {
		// A tenth of slack so that a 30 fps source limited to 10 keeps every third frame
		// rather than beating down to every fourth.
		if t := v.taken.Load(); t != 0 && time.Duration(now-t) < v.minGap*9/10 {
			v.last.Store(now)
			return
		}
		v.taken.Store(now)
	}
	v.mu.Lock()
	dst := v.spare
	v.spare = nil
	v.mu.Unlock()
	dst = copyFrame(dst, img)
	v.mu.Lock()
	if v.pendingF != nil { // not drawn in time: dropped, its buffer is the next spare
		v.spare = v.pendingF
	}
	v.pendingF = dst
	v.mu.Unlock()
	v.last.Store(now)
	if l := v.lead; l != nil && time.Duration(now-l.drawnAt.Load()) < rideWithin {
		return // the lead's next redraw, due within a frame, draws this one too
	}
	if !v.scheduled.CompareAndSwap(false, true) {
		return // a redraw is already queued; it will pick up this frame
	}
	fyne.Do(v.draw)
}

func (v *VideoView) draw() {
	v.scheduled.Store(false)
	v.mu.Lock()
	f := v.pendingF
	v.pendingF = nil
	if f != nil && v.shown != nil && v.spare == nil {
		v.spare = v.shown
	}
	if f != nil {
		v.shown = f
	}
	v.mu.Unlock()
	if f == nil {
		return
	}
	v.drawn.Add(1)
	v.drawnAt.Store(v.clock.Now().UnixNano())
	v.img.Image = f
	v.img.Refresh()
	if v.bg.Visible() {
		v.bg.Hide()
	}
	if r := v.rider; r != nil {
		r.draw()
	}
}

// rideWithin is how recent the lead's last redraw must be for a rider to leave its frames to
// the lead's next one: the lead's video is flowing at 7 frames a second or more.
const rideWithin = 150 * time.Millisecond

// rideWith makes v's frames drawn by lead's redraws while lead's video flows (and by their
// own when it stalls). Call it before frames come.
func (v *VideoView) rideWith(lead *VideoView) {
	v.lead = lead
	lead.rider = v
}

// limitRate makes the view take at most fps frames a second (0: all). Call it before frames
// come.
func (v *VideoView) limitRate(fps int) {
	v.minGap = 0
	if fps > 0 {
		v.minGap = time.Second / time.Duration(fps)
	}
}

// Clear forgets the current frame and shows black. Call it on the UI goroutine.
func (v *VideoView) Clear() {
	v.mu.Lock()
	v.pendingF, v.shown = nil, nil
	v.mu.Unlock()
	v.last.Store(0)
	v.taken.Store(0)
	v.drawnAt.Store(0)
	v.img.Image = nil
	v.img.Refresh()
	v.bg.Show()
}

// SinceLastFrame returns how long ago the last frame came, and false when none came yet.
func (v *VideoView) SinceLastFrame() (time.Duration, bool) {
	n := v.last.Load()
	if n == 0 {
		return 0, false
	}
	return v.clock.Now().Sub(time.Unix(0, n)), true
}

// Stats returns how many frames the view received and how many it drew.
func (v *VideoView) Stats() (received, drawn uint64) {
	return v.received.Load(), v.drawn.Load()
}

// CreateRenderer implements fyne.Widget.
func (v *VideoView) CreateRenderer() fyne.WidgetRenderer {
	return &videoRenderer{v: v}
}

type videoRenderer struct{ v *VideoView }

func (r *videoRenderer) Layout(s fyne.Size) {
	r.v.bg.Resize(s)
	r.v.img.Resize(s)
}

func (r *videoRenderer) MinSize() fyne.Size { return fyne.NewSize(32, 24) }

func (r *videoRenderer) Refresh() {
	r.v.bg.Refresh()
	r.v.img.Refresh()
}

func (r *videoRenderer) Objects() []fyne.CanvasObject {
	return []fyne.CanvasObject{r.v.bg, r.v.img}
}

func (r *videoRenderer) Destroy() {}

// teeSink hands each frame to several sinks.
type teeSink []VideoSink

func (t teeSink) Frame(img image.Image) {
	for _, s := range t {
		if s != nil {
			s.Frame(img)
		}
	}
}

// switchSink forwards frames to whichever sink is set, or drops them.
type switchSink struct{ to atomic.Pointer[sinkBox] }

type sinkBox struct{ s VideoSink }

func (w *switchSink) set(s VideoSink) {
	if s == nil {
		w.to.Store(nil)
		return
	}
	w.to.Store(&sinkBox{s: s})
}

func (w *switchSink) Frame(img image.Image) {
	if b := w.to.Load(); b != nil {
		b.s.Frame(img)
	}
}
