package media

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"sync"
	"time"

	"github.com/gen2brain/malgo"
)

// Player output format and jitter buffer.
const (
	playerRate     = 48000
	playerChannels = 2
	// playerTarget is how much sound the jitter buffer holds before it starts (or restarts
	// after running dry) playing: it absorbs the jitter of packet arrival.
	playerTarget = 60 * time.Millisecond
	// playerMax is the most sound the buffer holds: beyond it the oldest sound is dropped
	// down to playerTarget, so latency never builds up.
	playerMax = 200 * time.Millisecond
)

// PlayerStats are counters of a Player.
type PlayerStats struct {
	Played    time.Duration // sound handed to the output device
	Silence   time.Duration // silence played because the buffer was empty
	Dropped   time.Duration // sound dropped because the buffer was full
	Underruns uint64        // times the buffer ran dry while playing
	Buffered  time.Duration // sound waiting in the buffer now
}

// Player plays PCM through the default audio output device (miniaudio), behind a small jitter
// buffer. It implements AudioSink: hand it the PCM of an OpusDecoder. Any sample rate and 1 or 2
// channels are accepted (converted to 48 kHz stereo); Samples never blocks. A Player plays one
// stream: it does not mix, so give each incoming audio track its own Player.
type Player struct {
	ctx *malgo.AllocatedContext
	dev *malgo.Device

	mu      sync.Mutex
	ring    []int16 // stereo frames, circular
	start   int     // index of the first buffered sample in ring
	n       int     // buffered samples (2 per frame)
	playing bool    // false while (re)filling to playerTarget
	closed  bool
	rs      resampler
	stats   PlayerStats
}

// NewPlayer opens the default audio output device. It returns an error wrapping
// ErrNoOutputDevice when there is none (for example on a server or in CI).
func NewPlayer() (*Player, error) {
	return newPlayer(slog.New(slog.DiscardHandler))
}

// NewPlayerLogger is NewPlayer with miniaudio's diagnostics logged to log at debug level.
func NewPlayerLogger(log *slog.Logger) (*Player, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return newPlayer(log)
}

func newPlayer(log *slog.Logger) (*Player, error) {
	ctx, err := audioContext(log)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNoOutputDevice, err)
	}
	p := &Player{ctx: ctx, ring: make([]int16, frames(playerMax)*playerChannels)}
	cfg := malgo.DefaultDeviceConfig(malgo.Playback)
	cfg.Playback.Format = malgo.FormatS16
	cfg.Playback.Channels = playerChannels
	cfg.SampleRate = playerRate
	cfg.PeriodSizeInMilliseconds = 10
	cfg.PerformanceProfile = malgo.LowLatency
	p.dev, err = malgo.InitDevice(ctx.Context, cfg, malgo.DeviceCallbacks{Data: p.fill})
	if err != nil {
		freeAudioContext(ctx)
		return nil, fmt.Errorf("%w: %w", ErrNoOutputDevice, err)
	}
	if err := p.dev.Start(); err != nil {
		p.dev.Uninit()
		freeAudioContext(ctx)
		return nil, fmt.Errorf("%w: start playback: %w", ErrNoOutputDevice, err)
	}
	return p, nil
}

// Samples queues pcm (interleaved, channels channels at sampleRate Hz) for playing. It never
// blocks: when the buffer is full the oldest sound is dropped. Bad arguments are ignored.
func (p *Player) Samples(pcm []int16, sampleRate, channels int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	p.push(pcm, sampleRate, channels)
}

// push adds converted sound to the buffer; p.mu is held.
func (p *Player) push(pcm []int16, sampleRate, channels int) {
	if channels < 1 || sampleRate < 8000 || sampleRate > 192000 {
		return
	}
	p.rs.convert(pcm, sampleRate, channels, func(l, r int16) {
		if p.n == len(p.ring) { // full: drop down to the target
			drop := p.n - frames(playerTarget)*playerChannels
			p.start = (p.start + drop) % len(p.ring)
			p.n -= drop
			p.stats.Dropped += duration(drop / playerChannels)
		}
		i := (p.start + p.n) % len(p.ring)
		p.ring[i], p.ring[i+1] = l, r
		p.n += 2
	})
}

// fill runs on miniaudio's audio thread and writes the next frames to out (S16 stereo).
func (p *Player) fill(out, _ []byte, count uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	want := int(count) * playerChannels
	if !p.playing && p.n >= frames(playerTarget)*playerChannels {
		p.playing = true
	}
	got := 0
	if p.playing {
		got = min(want, p.n)
		for k := range got {
			binary.NativeEndian.PutUint16(out[2*k:], uint16(p.ring[(p.start+k)%len(p.ring)]))
		}
		p.start = (p.start + got) % len(p.ring)
		p.n -= got
		p.stats.Played += duration(got / playerChannels)
		if got < want {
			p.playing = false
			p.stats.Underruns++
		}
	}
	clear(out[2*got : 2*want])
	p.stats.Silence += duration((want - got) / playerChannels)
}

// Stats returns a copy of the player's counters.
func (p *Player) Stats() PlayerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	s.Buffered = duration(p.n / playerChannels)
	return s
}

// Close stops playing and releases the device. It is safe to call more than once.
func (p *Player) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	p.dev.Uninit() // waits for the audio thread to leave fill
	freeAudioContext(p.ctx)
	return nil
}

// frames is the number of frames at playerRate in d.
func frames(d time.Duration) int { return int(d * playerRate / time.Second) }

// duration is the length of n frames at playerRate.
func duration(n int) time.Duration { return time.Duration(n) * time.Second / playerRate }

// resampler converts interleaved PCM of any rate and channel count to 48 kHz stereo, linearly
// interpolating and keeping its position between calls so that chunks join without clicks.
type resampler struct {
	pos          float64 // position of the next output frame, in input frames, from the last input frame
	lastL, lastR int16
}

func (r *resampler) convert(pcm []int16, rate, channels int, emit func(l, rr int16)) {
	nf := len(pcm) / channels
	frame := func(i int) (int16, int16) {
		if i < 0 {
			return r.lastL, r.lastR
		}
		if channels == 1 {
			return pcm[i], pcm[i]
		}
		return pcm[i*channels], pcm[i*channels+1]
	}
	if rate == playerRate {
		for i := range nf {
			emit(frame(i))
		}
	} else {
		step := float64(rate) / playerRate
		// Output frames lie between input frame i-1 (or the last frame of the previous chunk)
		// and input frame i.
		for ; r.pos < float64(nf)-1; r.pos += step {
			i := int(math.Floor(r.pos))
			f := r.pos - float64(i)
			l0, r0 := frame(i)
			l1, r1 := frame(i + 1)
			emit(lerp(l0, l1, f), lerp(r0, r1, f))
		}
		r.pos -= float64(nf)
	}
	if nf > 0 {
		r.lastL, r.lastR = frame(nf - 1)
	}
}

func lerp(a, b int16, f float64) int16 {
	return int16(math.Round(float64(a) + f*(float64(b)-float64(a))))
}
