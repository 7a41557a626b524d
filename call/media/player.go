package media

import (
	"encoding/binary"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/gen2brain/malgo"
)

// Player output format and jitter buffer.
const (
	playerRate     = 48000
	playerChannels = 2
	// playerTarget is how much sound a stream's jitter buffer holds before it starts (or
	// restarts after running dry) playing: it absorbs the jitter of packet arrival.
	playerTarget = 60 * time.Millisecond
	// playerMax is the most sound a stream's buffer holds: beyond it the oldest sound is dropped
	// down to playerTarget, so latency never builds up.
	playerMax = 200 * time.Millisecond
)

// PlayerStats are counters of a Player, summed over its streams.
type PlayerStats struct {
	Played    time.Duration // sound handed to the output device
	Silence   time.Duration // silence played because every buffer was empty
	Dropped   time.Duration // sound dropped because a buffer was full
	Underruns uint64        // times a buffer ran dry while playing
	Buffered  time.Duration // sound waiting in the fullest buffer now
}

// Player plays PCM through the default audio output device (miniaudio), behind a small jitter
// buffer. It implements AudioSink: hand it the PCM of an OpusDecoder. Any sample rate and 1 or 2
// channels are accepted (converted to 48 kHz stereo); Samples never blocks.
//
// Samples feeds the player's default stream. Sounds that may overlap (the far end's voice and
// a beep, or two far ends) each need their own stream from NewStream: streams are mixed, while
// two sources sharing one stream would interleave their samples.
type Player struct {
	ctx *malgo.AllocatedContext
	dev *malgo.Device

	mu      sync.Mutex
	streams []*playerStream // streams[0] is the default stream
	closed  bool
	mix     []int32 // mixing scratch, used by fill only
	stats   PlayerStats
}

// playerStream is one jitter buffer of a Player; the Player's mu guards it.
type playerStream struct {
	ring    []int16 // stereo frames, circular
	start   int     // index of the first buffered sample in ring
	n       int     // buffered samples (2 per frame)
	playing bool    // false while (re)filling to playerTarget
	rs      resampler
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
	p := newMixer()
	p.ctx = ctx
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

// newMixer is a Player without a device: its buffers and mixing, driven by fill.
func newMixer() *Player {
	return &Player{streams: []*playerStream{newPlayerStream()}}
}

func newPlayerStream() *playerStream {
	return &playerStream{ring: make([]int16, frames(playerMax)*playerChannels)}
}

// Samples queues pcm (interleaved, channels channels at sampleRate Hz) on the default stream.
// It never blocks: when the buffer is full the oldest sound is dropped. Bad arguments are
// ignored.
func (p *Player) Samples(pcm []int16, sampleRate, channels int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.closed {
		p.pushLocked(p.streams[0], pcm, sampleRate, channels)
	}
}

// PlayerStream is a sound source of a Player, mixed with the others. It implements AudioSink.
type PlayerStream struct {
	p *Player
	s *playerStream
}

// NewStream adds a stream to the mix. Close it when its sound is over.
func (p *Player) NewStream() *PlayerStream {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := newPlayerStream()
	p.streams = append(p.streams, s)
	return &PlayerStream{p: p, s: s}
}

// Samples queues pcm on the stream; see Player.Samples.
func (ps *PlayerStream) Samples(pcm []int16, sampleRate, channels int) {
	ps.p.mu.Lock()
	defer ps.p.mu.Unlock()
	if !ps.p.closed {
		ps.p.pushLocked(ps.s, pcm, sampleRate, channels)
	}
}

// Close removes the stream from the mix, dropping what it still buffered. It is safe to call
// more than once.
func (ps *PlayerStream) Close() error {
	ps.p.mu.Lock()
	defer ps.p.mu.Unlock()
	ps.p.streams = slices.DeleteFunc(ps.p.streams, func(s *playerStream) bool { return s == ps.s })
	return nil
}

// pushLocked adds converted sound to a stream's buffer.
func (p *Player) pushLocked(s *playerStream, pcm []int16, sampleRate, channels int) {
	if channels < 1 || sampleRate < 8000 || sampleRate > 192000 {
		return
	}
	s.rs.convert(pcm, sampleRate, channels, func(l, r int16) {
		if s.n == len(s.ring) { // full: drop down to the target
			drop := s.n - frames(playerTarget)*playerChannels
			s.start = (s.start + drop) % len(s.ring)
			s.n -= drop
			p.stats.Dropped += duration(drop / playerChannels)
		}
		i := (s.start + s.n) % len(s.ring)
		s.ring[i], s.ring[i+1] = l, r
		s.n += 2
	})
}

// fill runs on miniaudio's audio thread and writes the mix of the next frames to out (S16
// stereo).
func (p *Player) fill(out, _ []byte, count uint32) {
	p.mu.Lock()
	defer p.mu.Unlock()
	want := int(count) * playerChannels
	if cap(p.mix) < want {
		p.mix = make([]int32, want)
	}
	mix := p.mix[:want]
	clear(mix)
	most := 0 // samples of the longest contribution
	for _, s := range p.streams {
		if !s.playing && s.n >= frames(playerTarget)*playerChannels {
			s.playing = true
		}
		if !s.playing {
			continue
		}
		got := min(want, s.n)
		for k := range got {
			mix[k] += int32(s.ring[(s.start+k)%len(s.ring)])
		}
		s.start = (s.start + got) % len(s.ring)
		s.n -= got
		p.stats.Played += duration(got / playerChannels)
		most = max(most, got)
		if got < want {
			s.playing = false
			p.stats.Underruns++
		}
	}
	for k, v := range mix {
		binary.NativeEndian.PutUint16(out[2*k:], uint16(int16(min(max(v, math.MinInt16), math.MaxInt16))))
	}
	p.stats.Silence += duration((want - most) / playerChannels)
}

// Stats returns a copy of the player's counters.
func (p *Player) Stats() PlayerStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	s := p.stats
	for _, st := range p.streams {
		s.Buffered = max(s.Buffered, duration(st.n/playerChannels))
	}
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
	if p.dev != nil {
		p.dev.Uninit() // waits for the audio thread to leave fill
	}
	if p.ctx != nil {
		freeAudioContext(p.ctx)
	}
	return nil
}

// frames is the number of frames at playerRate in d.
func frames(d time.Duration) int { return int(d * playerRate / time.Second) }

// duration is the length of n frames at playerRate.
func duration(n int) time.Duration { return time.Duration(n) * time.Second / playerRate }
