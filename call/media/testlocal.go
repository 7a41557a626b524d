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

// toneAudio paces the tone by the clock, as a microphone's driver delivers sound: 50 chunks of
// 20 ms a second whatever the reader's delays. A ticker would drop the ticks of a reader held
// up by a busy machine, and the far end would count the sound never made as lost on the way.
type toneAudio struct {
	tone  *toneGen
	buf   []int16
	pace  clockPacer
	timer *time.Timer // made on the first wait, only used by the reading goroutine
	done  chan struct{}
	once  sync.Once
}

func (s *toneAudio) read() ([]int16, error) {
	select { // closed wins over a chunk due
	case <-s.done:
		return nil, io.EOF
	default:
	}
	if d := s.pace.due(time.Now()); d > 0 {
		if s.timer == nil {
			s.timer = time.NewTimer(d)
		} else {
			s.timer.Reset(d)
		}
		select {
		case <-s.done:
			s.timer.Stop()
			return nil, io.EOF
		case <-s.timer.C:
		}
	}
	s.tone.fill(s.buf, 1)
	return s.buf, nil
}

// pause forgets the pace: after it, the sound starts afresh, without catching up.
func (s *toneAudio) pause() error  { s.pace.reset(); return nil }
func (s *toneAudio) resume() error { return nil }

// maxAudioBacklog is how far a clock-paced source catches up: a reader held up longer loses
// the older sound, as a microphone's buffer overflows.
const maxAudioBacklog = 200 * time.Millisecond

// clockPacer times the chunks of a source that runs by the clock: one every period from the
// first, handed out at once to a reader that is behind, up to maxAudioBacklog.
type clockPacer struct {
	next time.Time // when the next chunk is due; zero before the first
}

// due returns how long from now the next chunk is due (zero: at once) and counts it as given.
func (p *clockPacer) due(now time.Time) time.Duration {
	if p.next.IsZero() || now.Sub(p.next) > maxAudioBacklog {
		p.next = now
	}
	d := p.next.Sub(now)
	p.next = p.next.Add(audioFrame)
	return max(d, 0)
}

// reset starts the pace afresh at the next chunk.
func (p *clockPacer) reset() { p.next = time.Time{} }

func (s *toneAudio) close() error {
	s.once.Do(func() { close(s.done) })
	return nil
}
