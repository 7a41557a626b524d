package app

import (
	"context"
	"image"
	"sync"
	"sync/atomic"
	"time"

	"bedside/provisioning"
)

// scanEvery is the least time between two scans: a few frames a second at most.
const scanEvery = 250 * time.Millisecond

// qrScanner looks for QR codes in camera frames, off the UI goroutine. Its Frame takes a frame
// only when the scanning goroutine waits for one (the latest frame wins, nothing queues) and
// keeps just its luminance; the goroutine decodes it, then rests scanEvery before it asks for
// the next.
type qrScanner struct {
	clock Clock
	found func(text string) // called on the scanning goroutine with every text decoded

	want  atomic.Bool   // the goroutine waits for a frame
	ready chan struct{} // a frame is in next
	mu    sync.Mutex    // guards next and spare
	next  *image.Gray
	spare *image.Gray

	scanned atomic.Uint64 // frames scanned, for tests and diagnostics
}

func newQRScanner(clock Clock, found func(string)) *qrScanner {
	return &qrScanner{clock: clock, found: found, ready: make(chan struct{}, 1)}
}

// Frame implements VideoSink. It never blocks.
func (s *qrScanner) Frame(img image.Image) {
	if img == nil || !s.want.CompareAndSwap(true, false) {
		return
	}
	s.mu.Lock()
	g := s.spare
	s.spare = nil
	s.mu.Unlock()
	g = grayOf(g, img)
	s.mu.Lock()
	s.next = g
	s.mu.Unlock()
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// run scans until ctx is done.
func (s *qrScanner) run(ctx context.Context) {
	defer s.want.Store(false)
	for {
		s.want.Store(true)
		select {
		case <-ctx.Done():
			return
		case <-s.ready:
		}
		s.mu.Lock()
		g := s.next
		s.next = nil
		s.mu.Unlock()
		if g == nil {
			continue
		}
		text, err := provisioning.ScanQR(g)
		s.scanned.Add(1)
		s.mu.Lock()
		s.spare = g
		s.mu.Unlock()
		if err == nil {
			s.found(text)
		}
		if !s.sleep(ctx, scanEvery) {
			return
		}
	}
}

// sleep waits d on the scanner's clock; false when ctx ended first.
func (s *qrScanner) sleep(ctx context.Context, d time.Duration) bool {
	done := make(chan struct{})
	t := s.clock.AfterFunc(d, func() { close(done) })
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-done:
		return true
	}
}

// grayOf copies the luminance of img into dst when it has the right size, else into a new
// image.
func grayOf(dst *image.Gray, img image.Image) *image.Gray {
	b := img.Bounds()
	if dst == nil || dst.Rect.Dx() != b.Dx() || dst.Rect.Dy() != b.Dy() {
		dst = image.NewGray(image.Rect(0, 0, b.Dx(), b.Dy()))
	}
	if m, ok := img.(*image.YCbCr); ok { // what cameras give: the Y plane is the luminance
		for y := 0; y < b.Dy(); y++ {
			off := m.YOffset(b.Min.X, b.Min.Y+y)
			copy(dst.Pix[y*dst.Stride:y*dst.Stride+b.Dx()], m.Y[off:off+b.Dx()])
		}
		return dst
	}
	copy(dst.Pix, provisioning.Luminance(img))
	return dst
}
