package media

import (
	"cmp"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"slices"
	"sync"

	"github.com/pion/mediadevices/pkg/driver"
	_ "github.com/pion/mediadevices/pkg/driver/camera" // registers the v4l2 cameras
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// DeviceOptions choose the camera mode of OpenDevices. Zero values take the defaults.
type DeviceOptions struct {
	Width, Height int // wished picture size; default 640x480, the camera's closest mode is used
	FPS           int // wished frame rate; default 30
	// AllowNoCamera sends the synthetic test pattern when there is no usable camera, instead
	// of failing with ErrNoCamera (the microphone is still used).
	AllowNoCamera bool
	// AllowNoMicrophone sends silence when there is no usable microphone, instead of failing
	// with ErrNoMicrophone (the camera is still used).
	AllowNoMicrophone bool
	// Logger receives warnings of the capture and encoding loops; nil discards them.
	Logger *slog.Logger
}

// OpenDevices opens the camera (v4l2, through mediadevices) and the default microphone
// (miniaudio) and returns a Local encoding them. It returns an error wrapping ErrNoCamera when
// there is no usable camera and ErrNoMicrophone when there is no usable microphone, unless the
// options allow the device to be missing; when both are missing it always fails. Callers may
// then fall back to NewTest. Sources tells which sources a Local uses.
func OpenDevices(opts DeviceOptions) (*Local, error) {
	if opts.Width == 0 && opts.Height == 0 {
		opts.Width, opts.Height = 640, 480
	}
	if opts.FPS == 0 {
		opts.FPS = 30
	}
	if err := checkVideoOptions(opts.Width, opts.Height, opts.FPS); err != nil {
		return nil, err
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}

	var vsrc videoSource
	w, h := opts.Width, opts.Height
	videoName := SourceTestPattern
	cam, camErr := openCamera(opts)
	switch {
	case camErr == nil:
		vsrc, w, h, videoName = cam, cam.mode.Width, cam.mode.Height, SourceCamera
	case opts.AllowNoCamera && errors.Is(camErr, ErrNoCamera):
		log.Warn("media: no camera, sending the test pattern", "err", camErr)
		vsrc = newTickerVideo(w, h, opts.FPS)
	default:
		return nil, camErr
	}

	var asrc audioSource
	audioName := SourceMicrophone
	mic, micErr := openMicrophone(log)
	switch {
	case micErr == nil:
		asrc = mic
	case opts.AllowNoMicrophone && camErr == nil:
		log.Warn("media: no microphone, sending silence", "err", micErr)
		asrc, audioName = newSilence(), SourceSilence
	default:
		_ = vsrc.close()
		if camErr != nil { // neither device: say so
			return nil, errors.Join(camErr, micErr)
		}
		return nil, micErr
	}

	l, err := newLocal(log, w, h, opts.FPS, vsrc, asrc)
	if err != nil {
		return nil, err // newLocal closed the sources
	}
	l.videoSource, l.audioSource = videoName, audioName
	if cam != nil {
		log.Info("media: camera open", "camera", cam.name, "width", w, "height", h,
			"format", cam.mode.FrameFormat, "fps", cam.mode.FrameRate)
	}
	return l, nil
}

// cameraSource reads a v4l2 camera through mediadevices' driver, converted to I420 (what the VP8
// encoder takes); the camera paces the frames.
// The video loop calls read, pause and resume; close may come from any goroutine.
type cameraSource struct {
	d      driver.Driver
	name   string
	mode   prop.Media
	reader video.Reader // replaced by resume, only used by the video loop

	mu     sync.Mutex // serializes opening and closing the device
	open   bool
	closed bool
}

// cameraFormats are the capture formats we accept, best first: raw 4:2:0 and 4:2:2 cost
// nothing to decode, MJPEG costs a JPEG decode per frame.
var cameraFormats = []frame.Format{frame.FormatI420, frame.FormatNV12, frame.FormatNV21,
	frame.FormatYUYV, frame.FormatUYVY, frame.FormatMJPEG}

func openCamera(opts DeviceOptions) (*cameraSource, error) {
	var cams []driver.Driver
	for _, d := range driver.GetManager().Query(driver.FilterVideoRecorder()) {
		if d.Info().DeviceType == driver.Camera {
			cams = append(cams, d)
		}
	}
	if len(cams) == 0 {
		return nil, fmt.Errorf("%w: no video capture device found", ErrNoCamera)
	}
	// Highest priority first (mediadevices gives /dev/video0 the high priority).
	slices.SortStableFunc(cams, func(a, b driver.Driver) int {
		return cmp.Compare(b.Info().Priority, a.Info().Priority)
	})
	var errs []error
	for _, d := range cams {
		c, err := tryCamera(d, opts)
		if err == nil {
			return c, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", d.Info().Label, err))
	}
	return nil, fmt.Errorf("%w: %w", ErrNoCamera, errors.Join(errs...))
}

func tryCamera(d driver.Driver, opts DeviceOptions) (*cameraSource, error) {
	if err := d.Open(); err != nil {
		return nil, err
	}
	mode, ok := chooseCameraMode(d.Properties(), opts)
	if !ok {
		_ = d.Close()
		return nil, errors.New("no supported capture mode")
	}
	rec, ok := d.(driver.VideoRecorder)
	if !ok {
		_ = d.Close()
		return nil, errors.New("not a video recorder")
	}
	r, err := rec.VideoRecord(mode)
	if err != nil {
		_ = d.Close()
		return nil, err
	}
	return &cameraSource{d: d, name: d.Info().Name, mode: mode, reader: video.ToI420(r), open: true}, nil
}

// chooseCameraMode picks the mode closest to the wished size and rate, preferring cheap formats.
func chooseCameraMode(modes []prop.Media, opts DeviceOptions) (prop.Media, bool) {
	rank := func(f frame.Format) int {
		for i, g := range cameraFormats {
			if f == g {
				return i
			}
		}
		return -1
	}
	score := func(m prop.Media) int {
		dw, dh := m.Width-opts.Width, m.Height-opts.Height
		s := 4 * (abs(dw) + abs(dh))
		if m.FrameRate > 0 {
			s += 10 * abs(int(m.FrameRate)-opts.FPS)
		}
		if m.Width%2 != 0 || m.Height%2 != 0 {
			s += 1 << 20
		}
		return s + 30*rank(m.FrameFormat)
	}
	var best prop.Media
	found := false
	for _, m := range modes {
		if rank(m.FrameFormat) < 0 || m.Width <= 0 || m.Height <= 0 ||
			m.Width > MaxVP8Width || m.Height > MaxVP8Height {
			continue
		}
		if !found || score(m) < score(best) {
			best, found = m, true
		}
	}
	return best, found
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func (c *cameraSource) read() (image.Image, func(), error) {
	img, release, err := c.reader.Read()
	if err != nil {
		return nil, nil, err
	}
	if release == nil {
		release = func() {}
	}
	return img, release, nil
}

// pause closes the camera device (its light goes off) until resume.
func (c *cameraSource) pause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.open {
		return nil
	}
	c.open = false
	return c.d.Close()
}

// resume opens the camera again in the same mode.
func (c *cameraSource) resume() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.closed:
		return ErrClosed
	case c.open:
		return nil
	}
	if err := c.d.Open(); err != nil {
		return fmt.Errorf("%w: %w", ErrNoCamera, err)
	}
	rec, ok := c.d.(driver.VideoRecorder)
	if !ok {
		_ = c.d.Close()
		return fmt.Errorf("%w: not a video recorder", ErrNoCamera)
	}
	r, err := rec.VideoRecord(c.mode) // closes the driver on error
	if err != nil {
		return fmt.Errorf("%w: %w", ErrNoCamera, err)
	}
	c.reader, c.open = video.ToI420(r), true
	return nil
}

// close stops the camera for good. A read in progress returns within the driver's read timeout.
func (c *cameraSource) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	if !c.open {
		return nil
	}
	c.open = false
	return c.d.Close()
}

// hasCamera reports whether mediadevices found any camera.
func hasCamera() bool {
	for _, d := range driver.GetManager().Query(driver.FilterVideoRecorder()) {
		if d.Info().DeviceType == driver.Camera {
			return true
		}
	}
	return false
}
