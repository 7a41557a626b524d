package tablet

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"bedside/call/media"
)

// Speaker is the kiosk's app.Audio and the call's audio output, on one media.Player (one
// output device): the call's voice on the player's default stream, and the ringtone and
// countdown ticks on a stream of their own (so the two mix), paced in real time in 20 ms
// chunks (the player keeps only a short jitter buffer); everything is scaled by the volume.
type Speaker struct {
	log *slog.Logger

	mu     sync.Mutex
	player *media.Player // nil: no output device; everything is silent
	sounds *media.PlayerStream
	volume float64
	cancel context.CancelFunc
	buf    []int16
}

// NewSpeaker opens the default output device; without one the Speaker is silent.
func NewSpeaker(log *slog.Logger) *Speaker {
	s := &Speaker{log: log, volume: 0.8}
	p, err := media.NewPlayerLogger(log)
	if err != nil {
		log.Warn("no audio output: the kiosk is silent", "err", err)
		return s
	}
	s.player = p
	s.sounds = p.NewStream()
	return s
}

// Play implements app.Audio.
func (s *Speaker) Play(pcm []int16, rate int, loop bool) {
	s.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.player == nil || len(pcm) == 0 || rate <= 0 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	go s.feed(ctx, pcm, rate, loop)
}

func (s *Speaker) feed(ctx context.Context, pcm []int16, rate int, loop bool) {
	chunk := rate / 50 // 20 ms
	t := time.NewTicker(20 * time.Millisecond)
	defer t.Stop()
	scaled := make([]int16, chunk)
	for i := 0; ; {
		if i >= len(pcm) {
			if !loop {
				return
			}
			i = 0
		}
		end := min(i+chunk, len(pcm))
		s.mu.Lock()
		v := s.volume
		out := s.sounds
		s.mu.Unlock()
		n := copy(scaled, pcm[i:end])
		for j := range n {
			scaled[j] = int16(float64(scaled[j]) * v)
		}
		out.Samples(scaled[:n], rate, 1)
		i = end
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Stop implements app.Audio.
func (s *Speaker) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cancel != nil {
		s.cancel()
		s.cancel = nil
	}
}

// SetVolume implements app.Audio.
func (s *Speaker) SetVolume(v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.volume = max(0, min(v, 1))
}

// CallSink is the call's audio output: the player, at the kiosk's volume.
func (s *Speaker) CallSink() media.AudioSink {
	return media.AudioSinkFunc(func(pcm []int16, rate, channels int) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.player == nil {
			return
		}
		if cap(s.buf) < len(pcm) {
			s.buf = make([]int16, len(pcm))
		}
		b := s.buf[:len(pcm)]
		for i, v := range pcm {
			b[i] = int16(float64(v) * s.volume)
		}
		s.player.Samples(b, rate, channels)
	})
}

// PeerSink is the audio output of one participant of a group call: a stream of its own on the
// player, mixed with the others', at the kiosk's volume. Release it when that participant's
// pair is over.
func (s *Speaker) PeerSink() (sink media.AudioSink, release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.player == nil {
		return nil, func() {}
	}
	stream := s.player.NewStream()
	var buf []int16 // used by this participant's decoder goroutine only
	sink = media.AudioSinkFunc(func(pcm []int16, rate, channels int) {
		s.mu.Lock()
		v := s.volume
		s.mu.Unlock()
		if cap(buf) < len(pcm) {
			buf = make([]int16, len(pcm))
		}
		b := buf[:len(pcm)]
		for i, x := range pcm {
			b[i] = int16(float64(x) * v)
		}
		stream.Samples(b, rate, channels)
	})
	return sink, func() { _ = stream.Close() }
}

// Close releases the output device.
func (s *Speaker) Close() {
	s.Stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.player != nil {
		_ = s.sounds.Close()
		_ = s.player.Close()
		s.player = nil
	}
}
