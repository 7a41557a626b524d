package media

import (
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/gen2brain/malgo"
)

// realBackends are the miniaudio backends that reach real sound hardware: every backend but
// "null", which miniaudio would otherwise fall back to and which silently plays nothing.
// miniaudio skips the ones that do not exist on the running platform.
var realBackends = []malgo.Backend{
	malgo.BackendWasapi, malgo.BackendDsound, malgo.BackendWinmm, malgo.BackendCoreaudio,
	malgo.BackendSndio, malgo.BackendAudio4, malgo.BackendOss, malgo.BackendPulseaudio,
	malgo.BackendAlsa, malgo.BackendJack, malgo.BackendAaudio, malgo.BackendOpensl,
}

// audioContext opens a miniaudio context on the real backends. Its log goes to log at debug level.
func audioContext(log *slog.Logger) (*malgo.AllocatedContext, error) {
	return malgo.InitContext(realBackends, malgo.ContextConfig{}, func(msg string) {
		log.Debug("media: miniaudio", "msg", msg)
	})
}

// freeAudioContext uninitializes and frees a context from audioContext.
func freeAudioContext(ctx *malgo.AllocatedContext) {
	_ = ctx.Uninit()
	ctx.Free()
}

// micChunks is how many captured chunks wait for the encoder at most (about 100 ms): when the
// encoder falls behind, the oldest sound is dropped rather than delayed.
const micChunks = 5

// micSource captures the default microphone with miniaudio: 48 kHz, mono, 16-bit.
//
// It uses malgo directly rather than mediadevices' microphone driver, whose init function
// panics when miniaudio cannot start, whose capture callback blocks the audio thread while the
// encoder is busy, and whose reader can block forever on a channel it sets to nil when closed.
type micSource struct {
	ctx    *malgo.AllocatedContext
	dev    *malgo.Device
	chunks chan []int16
	done   chan struct{}
	once   sync.Once

	mu      sync.Mutex // serializes starting, stopping and freeing the device
	stopped bool       // paused: the device is stopped
	closed  bool
}

func openMicrophone(log *slog.Logger) (*micSource, error) {
	ctx, err := audioContext(log)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoMicrophone, err)
	}
	m := &micSource{ctx: ctx, chunks: make(chan []int16, micChunks), done: make(chan struct{})}
	cfg := malgo.DefaultDeviceConfig(malgo.Capture)
	cfg.Capture.Format = malgo.FormatS16
	cfg.Capture.Channels = 1
	cfg.SampleRate = audioRate
	cfg.PeriodSizeInMilliseconds = uint32(audioFrame.Milliseconds())
	cfg.PerformanceProfile = malgo.LowLatency
	m.dev, err = malgo.InitDevice(ctx.Context, cfg, malgo.DeviceCallbacks{Data: m.captured})
	if err != nil {
		freeAudioContext(ctx)
		return nil, fmt.Errorf("%w: %w", ErrNoMicrophone, err)
	}
	if err := m.dev.Start(); err != nil {
		m.dev.Uninit()
		freeAudioContext(ctx)
		return nil, fmt.Errorf("%w: start capture: %w", ErrNoMicrophone, err)
	}
	return m, nil
}

// captured runs on miniaudio's audio thread: it copies the samples and never blocks.
func (m *micSource) captured(_, in []byte, frames uint32) {
	pcm := make([]int16, len(in)/2)
	for i := range pcm {
		pcm[i] = int16(binary.NativeEndian.Uint16(in[2*i:]))
	}
	for {
		select {
		case m.chunks <- pcm:
			return
		default:
		}
		select { // full: drop the oldest chunk and try again
		case <-m.chunks:
		default:
		}
	}
}

func (m *micSource) read() ([]int16, error) {
	select { // closed wins over buffered chunks
	case <-m.done:
		return nil, io.EOF
	default:
	}
	select {
	case <-m.done:
		return nil, io.EOF
	case pcm := <-m.chunks:
		return pcm, nil
	}
}

// pause stops the capture (the microphone closes) until resume.
func (m *micSource) pause() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || m.stopped {
		return nil
	}
	m.stopped = true
	if err := m.dev.Stop(); err != nil {
		return fmt.Errorf("%w: stop capture: %w", ErrNoMicrophone, err)
	}
	return nil
}

// resume starts the capture again, without the sound of before the pause.
func (m *micSource) resume() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case m.closed:
		return ErrClosed
	case !m.stopped:
		return nil
	}
	for len(m.chunks) > 0 {
		<-m.chunks
	}
	if err := m.dev.Start(); err != nil {
		return fmt.Errorf("%w: start capture: %w", ErrNoMicrophone, err)
	}
	m.stopped = false
	return nil
}

func (m *micSource) close() error {
	m.once.Do(func() {
		close(m.done)
		m.mu.Lock()
		defer m.mu.Unlock()
		m.closed = true
		m.dev.Uninit()
		freeAudioContext(m.ctx)
	})
	return nil
}
