package media

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // still pictures: JPEG
	_ "image/png"  // still pictures: PNG
	"io"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"time"
)

// SourceFile is the Source of a Local made by NewFile: a picture or a clip from a file.
const SourceFile Source = "file"

// ErrBadFile is returned by NewFile for a file that is not a PNG, a JPEG or a 4:2:0 Y4M clip
// it can send (malformed, truncated, unsupported colour space, odd or oversized picture).
var ErrBadFile = errors.New("media: unusable picture file")

// Limits of NewFile.
const (
	// MaxStillWidth and MaxStillHeight bound the picture a still is sent at: a larger
	// picture is scaled down (by a whole factor) to fit.
	MaxStillWidth  = 1280
	MaxStillHeight = 720
	// maxStillPixels bounds the picture a PNG or JPEG may announce: 50 megapixels.
	maxStillPixels = 50_000_000
	// maxY4MHeader bounds the header line of a Y4M file and of each of its frames.
	maxY4MHeader = 1024
)

// FileOptions configure NewFile. Zero values take the defaults.
type FileOptions struct {
	// FPS is the rate a still picture is sent at; default 30. A Y4M clip plays at its own rate.
	FPS int
	// ToneHz is the frequency of the test tone sent as sound; default 440 Hz.
	ToneHz float64
	// Silence sends silence instead of the tone.
	Silence bool
	// Logger receives warnings of the encoding loops; nil discards them.
	Logger *slog.Logger
}

// NewFile returns a Local whose camera is a file: a PNG or JPEG still picture, sent at
// opts.FPS, or a Y4M clip (4:2:0, 8 bits), looped at the clip's own frame rate. The sound is
// the test tone, or silence. It is what `-media file:PATH` uses: a tablet without a camera, a
// test that shows the tablet a QR code, a benchmark that feeds both ends the same clip.
//
// Errors wrap ErrBadFile for a file it cannot use, ErrBadOptions for bad options, and the
// os error when the file cannot be opened.
func NewFile(path string, opts FileOptions) (*Local, error) {
	if opts.FPS == 0 {
		opts.FPS = 30
	}
	if opts.ToneHz == 0 {
		opts.ToneHz = 440
	}
	if opts.FPS < 0 || opts.FPS > 60 {
		return nil, fmt.Errorf("%w: frame rate %d (1..60)", ErrBadOptions, opts.FPS)
	}
	if opts.ToneHz < 0 || opts.ToneHz >= audioRate/2 {
		return nil, errBadTone(opts.ToneHz)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("media: picture file: %w", err)
	}
	magic := make([]byte, len(y4mMagic))
	n, _ := io.ReadFull(f, magic)
	var vsrc videoSource
	var w, h, fps int
	if bytes.Equal(magic[:n], []byte(y4mMagic)) {
		log := opts.Logger
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		clip, err := openY4M(f, path, log)
		if err != nil {
			_ = f.Close()
			return nil, err
		}
		vsrc, w, h, fps = clip, clip.width, clip.height, clip.fps
	} else {
		img, format, err := decodeStill(f)
		_ = f.Close()
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %w", ErrBadFile, path, err)
		}
		still, err := stillPicture(img)
		if err != nil {
			return nil, fmt.Errorf("%w: %s (%s): %w", ErrBadFile, path, format, err)
		}
		w, h, fps = still.Rect.Dx(), still.Rect.Dy(), opts.FPS
		vsrc = &stillVideo{img: still, period: time.Second / time.Duration(fps), done: make(chan struct{})}
	}
	if err := checkVideoOptions(w, h, fps); err != nil {
		_ = vsrc.close()
		return nil, err
	}
	var asrc audioSource = newToneAudio(opts.ToneHz)
	audioName := SourceTone
	if opts.Silence {
		asrc, audioName = newSilence(), SourceSilence
	}
	l, err := newLocal(opts.Logger, w, h, fps, vsrc, asrc)
	if err != nil {
		return nil, err // newLocal closed the sources
	}
	l.videoSource, l.audioSource = SourceFile, audioName
	return l, nil
}

// decodeStill decodes the PNG or JPEG picture of f, refusing one whose header announces more
// than maxStillPixels before decoding it (a small file can announce a huge picture).
func decodeStill(f *os.File) (image.Image, string, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	cfg, format, err := image.DecodeConfig(bufio.NewReader(f))
	if err != nil {
		return nil, "", fmt.Errorf("not a PNG, JPEG or Y4M file (%v)", err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxStillPixels {
		return nil, "", fmt.Errorf("%s picture of %dx%d (at most %d pixels)", format, cfg.Width, cfg.Height, maxStillPixels)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	img, format, err := image.Decode(bufio.NewReader(f))
	if err != nil {
		return nil, "", fmt.Errorf("not a PNG, JPEG or Y4M file (%v)", err)
	}
	return img, format, nil
}

// stillPicture converts img to a 4:2:0 picture of even size, scaled down to fit
// MaxStillWidth x MaxStillHeight.
func stillPicture(img image.Image) (*image.YCbCr, error) {
	b := img.Bounds()
	if b.Dx() < 2 || b.Dy() < 2 {
		return nil, fmt.Errorf("picture of %dx%d is too small", b.Dx(), b.Dy())
	}
	scale := max(1, (b.Dx()+MaxStillWidth-1)/MaxStillWidth, (b.Dy()+MaxStillHeight-1)/MaxStillHeight)
	w, h := (b.Dx()/scale)&^1, (b.Dy()/scale)&^1
	if w < 2 || h < 2 {
		return nil, fmt.Errorf("picture of %dx%d is too narrow", b.Dx(), b.Dy())
	}
	out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	at := func(x, y int) (uint8, uint8, uint8) {
		// Nearest pixel of the source; transparent parts come out black (premultiplied).
		r, g, bl, _ := img.At(b.Min.X+x*scale, b.Min.Y+y*scale).RGBA()
		return color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
	}
	for y := 0; y < h; y += 2 {
		for x := 0; x < w; x += 2 {
			var cb, cr int
			for dy := range 2 {
				for dx := range 2 {
					yy, b1, r1 := at(x+dx, y+dy)
					out.Y[(y+dy)*out.YStride+x+dx] = yy
					cb += int(b1)
					cr += int(r1)
				}
			}
			o := (y/2)*out.CStride + x/2
			out.Cb[o], out.Cr[o] = uint8((cb+2)/4), uint8((cr+2)/4)
		}
	}
	return out, nil
}

// stillVideo sends the same picture at a steady rate.
type stillVideo struct {
	img    *image.YCbCr
	period time.Duration
	ticker *time.Ticker // made on the first read, only used by the reading goroutine
	done   chan struct{}
	once   sync.Once
}

func (s *stillVideo) read() (image.Image, func(), error) {
	if err := tick(&s.ticker, s.period, s.done); err != nil {
		return nil, nil, err
	}
	return s.img, func() {}, nil
}

func (s *stillVideo) pause() error  { untick(&s.ticker); return nil }
func (s *stillVideo) resume() error { return nil }

func (s *stillVideo) close() error {
	s.once.Do(func() { close(s.done) })
	return nil
}

// untick stops *t, which the next tick makes again.
func untick(t **time.Ticker) {
	if *t != nil {
		(*t).Stop()
		*t = nil
	}
}

// tick waits for the next tick of *t (made on first use), or returns io.EOF once done is
// closed; closed wins over a pending tick.
func tick(t **time.Ticker, period time.Duration, done chan struct{}) error {
	if *t == nil {
		*t = time.NewTicker(period)
	}
	select {
	case <-done:
		(*t).Stop()
		return io.EOF
	default:
	}
	select {
	case <-done:
		(*t).Stop()
		return io.EOF
	case <-(*t).C:
		return nil
	}
}

// y4mMagic starts every YUV4MPEG2 file.
const y4mMagic = "YUV4MPEG2 "

// y4mClip plays a Y4M file from disk, looping at its end. Opening it indexes where each frame's
// picture starts; each read is then one pread into the picture's planes (one buffer), with no
// copy through a user-space buffer. Only the reading goroutine touches the picture; close may
// come from any goroutine.
type y4mClip struct {
	f             *os.File
	name          string
	width, height int
	fps           int
	period        time.Duration
	offsets       []int64 // where each complete frame's planes start
	buf           []byte  // Y, Cb and Cr of the picture, back to back
	img           *image.YCbCr
	next          int // index of the frame to read next
	ticker        *time.Ticker
	done          chan struct{}
	once          sync.Once
}

// openY4M reads the header of the Y4M file f (whose magic was read) and indexes its frames. A
// damaged tail (a truncated last frame, garbage after the frames) is left out, with a warning.
func openY4M(f *os.File, name string, log *slog.Logger) (*y4mClip, error) {
	if _, err := f.Seek(int64(len(y4mMagic)), io.SeekStart); err != nil {
		return nil, fmt.Errorf("media: picture file: %w", err)
	}
	br := bufio.NewReaderSize(f, 256)
	line, err := readY4MLine(br)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: Y4M header: %w", ErrBadFile, name, err)
	}
	c := &y4mClip{f: f, name: name, done: make(chan struct{})}
	num, den := 0, 0
	for _, tok := range bytes.Fields(line) {
		v := string(tok[1:])
		switch tok[0] {
		case 'W':
			c.width, err = strconv.Atoi(v)
		case 'H':
			c.height, err = strconv.Atoi(v)
		case 'F':
			num, den, err = parseRatio(v)
		case 'C':
			switch v {
			case "420", "420jpeg", "420paldv", "420mpeg2":
			default:
				return nil, fmt.Errorf("%w: %s: colour space C%s (only 4:2:0, 8 bits)", ErrBadFile, name, v)
			}
		case 'I':
			if v != "p" && v != "?" {
				return nil, fmt.Errorf("%w: %s: interlaced clip (I%s)", ErrBadFile, name, v)
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s: Y4M header field %q: %v", ErrBadFile, name, tok, err)
		}
	}
	switch {
	case c.width <= 0 || c.height <= 0:
		return nil, fmt.Errorf("%w: %s: Y4M header without a picture size", ErrBadFile, name)
	case c.width%2 != 0 || c.height%2 != 0 || c.width > MaxVP8Width || c.height > MaxVP8Height:
		return nil, fmt.Errorf("%w: %s: picture size %dx%d (even, up to %dx%d)", ErrBadFile, name,
			c.width, c.height, MaxVP8Width, MaxVP8Height)
	case num <= 0 || den <= 0:
		return nil, fmt.Errorf("%w: %s: Y4M header without a frame rate", ErrBadFile, name)
	}
	// Rates beyond 1..60 frames per second are played at the nearest end of that range.
	rate := min(max(float64(num)/float64(den), 1), 60)
	c.fps = int(rate + 0.5)
	c.period = time.Duration(float64(time.Second) / rate)

	ySize, cSize := c.width*c.height, (c.width/2)*(c.height/2)
	c.buf = make([]byte, ySize+2*cSize)
	c.img = &image.YCbCr{Y: c.buf[:ySize], Cb: c.buf[ySize : ySize+cSize], Cr: c.buf[ySize+cSize:],
		YStride: c.width, CStride: c.width / 2, SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect: image.Rect(0, 0, c.width, c.height)}
	if err := c.index(br, int64(len(y4mMagic)+len(line)+1)); err != nil {
		if len(c.offsets) == 0 {
			return nil, fmt.Errorf("%w: %s: first frame: %w", ErrBadFile, name, err)
		}
		log.Warn("media: damaged Y4M tail left out", "file", name, "frames", len(c.offsets), "err", err)
	}
	return c, nil
}

// index records where each frame's planes start, from pos (the first FRAME) to the end of the
// file or the first damaged frame (whose error it returns).
func (c *y4mClip) index(br *bufio.Reader, pos int64) error {
	fi, err := c.f.Stat()
	if err != nil {
		return err
	}
	size := int64(len(c.buf))
	for pos < fi.Size() {
		line, err := readY4MLine(br)
		if err != nil {
			return fmt.Errorf("frame %d: %w", len(c.offsets), err)
		}
		if !bytes.HasPrefix(line, []byte("FRAME")) {
			return fmt.Errorf("frame %d does not start with FRAME", len(c.offsets))
		}
		data := pos + int64(len(line)) + 1
		if data+size > fi.Size() {
			return fmt.Errorf("frame %d: %w", len(c.offsets), io.ErrUnexpectedEOF)
		}
		c.offsets = append(c.offsets, data)
		pos = data + size
		if _, err := c.f.Seek(pos, io.SeekStart); err != nil {
			return err
		}
		br.Reset(c.f)
	}
	if len(c.offsets) == 0 {
		return io.ErrUnexpectedEOF
	}
	return nil
}

func parseRatio(s string) (int, int, error) {
	n, d, ok := bytes.Cut([]byte(s), []byte(":"))
	if !ok {
		return 0, 0, errors.New("not a ratio")
	}
	num, err := strconv.Atoi(string(n))
	if err != nil {
		return 0, 0, err
	}
	den, err := strconv.Atoi(string(d))
	return num, den, err
}

// readY4MLine reads up to a newline, which it drops; the line must be short.
func readY4MLine(r *bufio.Reader) ([]byte, error) {
	var line []byte
	for {
		b, err := r.ReadByte()
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if b == '\n' {
			return line, nil
		}
		if len(line) >= maxY4MHeader {
			return nil, errors.New("line too long")
		}
		line = append(line, b)
	}
}

// read waits for the next frame's time and reads it (the picture is reused).
func (c *y4mClip) read() (image.Image, func(), error) {
	if err := tick(&c.ticker, c.period, c.done); err != nil {
		return nil, nil, err
	}
	off := c.offsets[c.next]
	c.next = (c.next + 1) % len(c.offsets)
	if _, err := c.f.ReadAt(c.buf, off); err != nil {
		return nil, nil, fmt.Errorf("%w: %s: %w", ErrBadFile, c.name, err)
	}
	return c.img, func() {}, nil
}

func (c *y4mClip) pause() error  { untick(&c.ticker); return nil }
func (c *y4mClip) resume() error { return nil }

func (c *y4mClip) close() error {
	var err error
	c.once.Do(func() {
		close(c.done)
		err = c.f.Close()
	})
	return err
}

// WriteY4M writes a Y4M clip (4:2:0, C420jpeg, progressive) of frames frames of the moving test
// pattern at width x height and fps: the same picture NewTest sends, for a test or benchmark to
// give NewFile and Chromium's --use-file-for-fake-video-capture.
func WriteY4M(out io.Writer, frames, width, height, fps int) error {
	if err := checkVideoOptions(width, height, fps); err != nil {
		return err
	}
	if frames <= 0 {
		return fmt.Errorf("%w: %d frames", ErrBadOptions, frames)
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	fmt.Fprintf(bw, "%sW%d H%d F%d:1 Ip A1:1 C420jpeg\n", y4mMagic, width, height, fps)
	pat := newTestPattern(width, height)
	for range frames {
		img := pat.next()
		bw.WriteString("FRAME\n")
		bw.Write(img.Y)
		bw.Write(img.Cb)
		bw.Write(img.Cr)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("media: writing Y4M: %w", err)
	}
	return nil
}
