package media

import (
	"image"
	"io"
	"log/slog"
	"sync"
	"time"
)

// TestOptions configure the synthetic source of NewTest. Zero values take the defaults.
type TestOptions struct {
	Width, Height int     // picture size, even; default 640x480
	FPS           int     // frames per second; default 30
	ToneHz        float64 // tone frequency; default 440 Hz
	// Logger receives warnings of the encoding loops; nil discards them.
	Logger *slog.Logger
}

// NewTest returns a Local whose picture is a synthetic moving test pattern and whose sound is a
// sine tone: for tests, demos and tablets without a camera.
func NewTest(opts TestOptions) (*Local, error) {
	if opts.Width == 0 && opts.Height == 0 {
		opts.Width, opts.Height = 640, 480
	}
	if opts.FPS == 0 {
		opts.FPS = 30
	}
	if opts.ToneHz == 0 {
		opts.ToneHz = 440
	}
	if err := checkVideoOptions(opts.Width, opts.Height, opts.FPS); err != nil {
		return nil, err
	}
	if opts.ToneHz < 0 || opts.ToneHz >= audioRate/2 {
		return nil, errBadTone(opts.ToneHz)
	}
	l, err := newLocal(opts.Logger, opts.Width, opts.Height, opts.FPS,
		newTickerVideo(opts.Width, opts.Height, opts.FPS), newToneAudio(opts.ToneHz))
	if err != nil {
		return nil, err
	}
	l.videoSource, l.audioSource = SourceTestPattern, SourceTone
	return l, nil
}

func newTickerVideo(w, h, fps int) *tickerVideo {
	return &tickerVideo{pat: newTestPattern(w, h), period: time.Second / time.Duration(fps), done: make(chan struct{})}
}

func newToneAudio(hz float64) *toneAudio {
	return &toneAudio{tone: newToneGen(hz, audioRate), done: make(chan struct{}),
		buf: make([]int16, OpusFrameSamples)}
}

// newSilence is the tone source at zero amplitude.
func newSilence() *toneAudio {
	s := newToneAudio(440)
	s.tone.amp = 0
	return s
}

// tickerVideo paces the test pattern with a ticker. A ticker drops ticks for a slow reader, so a
// slow encoder lowers the frame rate instead of building up latency.
type tickerVideo struct {
	pat    *testPattern
	period time.Duration
	ticker *time.Ticker // made on the first read, only used by the reading goroutine
	done   chan struct{}
	once   sync.Once
}

func (s *tickerVideo) read() (image.Image, func(), error) {
	if s.ticker == nil {
		s.ticker = time.NewTicker(s.period)
	}
	select { // closed wins over a pending tick
	case <-s.done:
		s.ticker.Stop()
		return nil, nil, io.EOF
	default:
	}
	select {
	case <-s.done:
		s.ticker.Stop()
		return nil, nil, io.EOF
	case <-s.ticker.C:
	}
	return s.pat.next(), func() {}, nil
}

// pause stops the ticker until the next read: an idle Local costs no timer wake-ups.
func (s *tickerVideo) pause() error  { untick(&s.ticker); return nil }
func (s *tickerVideo) resume() error { return nil }

func (s *tickerVideo) close() error {
	s.once.Do(func() { close(s.done) })
	return nil
}

// toneAudio paces the tone with a ticker, one 20 ms chunk per tick.
type toneAudio struct {
	tone   *toneGen
	buf    []int16
	ticker *time.Ticker
	done   chan struct{}
	once   sync.Once
}

func (s *toneAudio) read() ([]int16, error) {
	if s.ticker == nil {
		s.ticker = time.NewTicker(audioFrame)
	}
	select { // closed wins over a pending tick
	case <-s.done:
		s.ticker.Stop()
		return nil, io.EOF
	default:
	}
	select {
	case <-s.done:
		s.ticker.Stop()
		return nil, io.EOF
	case <-s.ticker.C:
	}
	s.tone.fill(s.buf, 1)
	return s.buf, nil
}

func (s *toneAudio) pause() error  { untick(&s.ticker); return nil }
func (s *toneAudio) resume() error { return nil }

func (s *toneAudio) close() error {
	s.once.Do(func() { close(s.done) })
	return nil
}
