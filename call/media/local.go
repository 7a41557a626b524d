package media

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
	pmedia "github.com/pion/webrtc/v4/pkg/media"
)

// Identifiers of the local tracks.
const (
	VideoTrackID = "video"
	AudioTrackID = "audio"
	StreamID     = "bedside"
)

const (
	// audioFrame is the duration of one Opus packet.
	audioFrame = 20 * time.Millisecond
	// audioRate is the sample rate fed to the Opus encoder.
	audioRate = 48000
	// previewInterval throttles the self-view to about 15 frames per second.
	previewInterval = 66 * time.Millisecond
	// offFPS is the rate of the black frames sent while the camera is off: enough for the far
	// end to keep a picture, and almost free to encode and send.
	offFPS = 2
)

// videoSource is where the pictures of a Local come from. read blocks until the next picture is
// due and returns it with a function releasing it; the picture is only valid until release.
// read returns io.EOF once close was called.
type videoSource interface {
	read() (img image.Image, release func(), err error)
	close() error
}

// audioSource is where the sound of a Local comes from: read blocks until the next chunk of
// 48 kHz mono PCM is due, of any length; the chunk is only valid until the next read.
// read returns io.EOF once close was called.
type audioSource interface {
	read() ([]int16, error)
	close() error
}

// Local is the outgoing media of a device: one VP8 and one Opus encoder whose output feeds every
// peer connection that adds its tracks (one encoder output can feed several peers).
//
// A Local is made by NewTest, NewFile or OpenDevices, started once with Start and released with
// Close. Once started it works only as much as needed: it encodes a track only while at least
// one peer connection is bound to it (see [Track]); it captures pictures only while the video
// is encoded or a preview sink is set (SetPreview); otherwise the camera and the microphone are
// closed (their lights go off) and the Local costs nothing.
//
// All methods are safe for concurrent use.
type Local struct {
	log        *slog.Logger
	videoTrack *Track
	audioTrack *Track
	vsrc       videoSource
	asrc       audioSource
	venc       *VP8Encoder
	aenc       *OpusEncoder
	fps        int
	width      int // configured picture size, for black frames before the first picture
	height     int
	changes    notifier // wakes the loops when a binding, the preview or the camera switch changes

	keyReq   atomic.Bool
	keyAsked atomic.Uint64 // RequestKeyFrame calls, for LocalStats.KeyRequests
	observer atomic.Pointer[observerBox]
	rateReq  atomic.Int64 // bit rate asked by SetVideoBitRate, applied by the video loop; 0: none
	linkReq  atomic.Int64 // link estimate given to SetLinkRate, applied by the video loop; 0: none
	videoOn  atomic.Bool
	audioOn  atomic.Bool
	preview  atomic.Pointer[sinkBox] // SetPreview: keeps the capture on
	selfView atomic.Pointer[sinkBox] // SetSelfView: fed only while encoding
	// videoPeers and audioPeers count the peer connections bound to each track.
	videoPeers atomic.Int64
	audioPeers atomic.Int64

	// Only the video loop touches these.
	adapter videoAdapter
	link    int          // the last link estimate, bits per second; 0 before the first
	step    VideoStep    // how the video is sent now (see adapt.go)
	small   *image.YCbCr // the picture shrunk for the current step, reused
	black   *image.YCbCr
	vbuf    []byte    // the last VP8 frame, reused
	lastKey time.Time // when the last keyframe was written
	// Only the audio loop touches these.
	pcm  []int16 // the 20 ms frame being filled from the source's chunks
	rest []int16 // what the last chunk had beyond the frame
	abuf []byte  // the last Opus packet, reused

	done     chan struct{} // closed by stop
	stopOnce sync.Once
	wg       sync.WaitGroup

	mu        sync.Mutex
	started   bool
	closed    bool
	stopWatch func() bool // unregisters the ctx watcher

	statsMu sync.Mutex
	stats   LocalStats

	videoSource, audioSource Source // set once by the constructor
}

// Source names where a Local's picture or sound comes from.
type Source string

// Sources of a Local.
const (
	SourceCamera      Source = "camera"
	SourceTestPattern Source = "test pattern"
	SourceMicrophone  Source = "microphone"
	SourceTone        Source = "tone"
	SourceSilence     Source = "silence"
)

// Sources tells where the picture and the sound come from, for diagnostics (the nurse panel).
func (l *Local) Sources() (video, audio Source) { return l.videoSource, l.audioSource }

type sinkBox struct{ s VideoSink }

// newLocal wires sources to our encoders and to the tracks; on error everything built so far,
// the sources included, is released.
func newLocal(log *slog.Logger, w, h, fps int, vsrc videoSource, asrc audioSource) (*Local, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &Local{log: log, vsrc: vsrc, asrc: asrc, fps: fps, width: w, height: h,
		done: make(chan struct{}), pcm: make([]int16, 0, OpusFrameSamples)}
	l.videoOn.Store(true)
	l.audioOn.Store(true)
	l.stats.VideoBitRate = VideoBitRateFor(w, h)
	l.adapter = videoAdapter{captureFPS: fps}
	l.step = VideoStep{Scale: 1, FPS: fps}
	l.stats.Step = l.step
	fail := func(err error) (*Local, error) {
		_ = l.release()
		return nil, err
	}
	vt, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeVP8, ClockRate: 90000}, VideoTrackID, StreamID)
	if err != nil {
		return fail(fmt.Errorf("media: video track: %w", err))
	}
	l.videoTrack = &Track{TrackLocalStaticSample: vt, bound: l.videoBound}
	at, err := webrtc.NewTrackLocalStaticSample(
		webrtc.RTPCodecCapability{MimeType: webrtc.MimeTypeOpus, ClockRate: 48000, Channels: 2,
			SDPFmtpLine: "minptime=10;useinbandfec=1"}, AudioTrackID, StreamID)
	if err != nil {
		return fail(fmt.Errorf("media: audio track: %w", err))
	}
	l.audioTrack = &Track{TrackLocalStaticSample: at, bound: l.audioBound}
	if l.venc, err = NewVP8Encoder(VP8EncoderOptions{Width: w, Height: h, FPS: fps}); err != nil {
		return fail(err)
	}
	if l.aenc, err = NewOpusEncoder(); err != nil {
		return fail(err)
	}
	return l, nil
}

// VideoTrack is the VP8 track (clock 90000, id "video", stream "bedside"). Add it to every
// peer connection that should receive this device's picture; the picture is encoded while at
// least one of them sends it, and each new one starts on a keyframe.
func (l *Local) VideoTrack() *Track { return l.videoTrack }

// AudioTrack is the Opus track (48000 Hz, 2 channels in SDP; the payload is mono). The sound is
// captured and encoded while at least one peer connection sends it.
func (l *Local) AudioTrack() *Track { return l.audioTrack }

// videoBound counts a peer connection starting (+1) or stopping (-1) to send the video.
func (l *Local) videoBound(delta int) {
	if l.videoPeers.Add(int64(delta)) > 0 && delta > 0 {
		l.RequestKeyFrame() // the new peer cannot decode anything before a keyframe
	}
	l.changes.notify()
}

// audioBound counts a peer connection starting (+1) or stopping (-1) to send the sound.
func (l *Local) audioBound(delta int) {
	l.audioPeers.Add(int64(delta))
	l.changes.notify()
}

// Start starts the Local and returns at once. From then on, encoded samples are written to
// each track while a peer connection is bound to it, and pictures go to the preview while one
// is set, until ctx is done or Close is called; Close must be called in both cases. A Local
// starts only once.
func (l *Local) Start(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.closed:
		return ErrClosed
	case l.started:
		return ErrStarted
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("media: start: %w", err)
	}
	l.started = true
	l.wg.Add(2)
	go l.videoLoop()
	go l.audioLoop()
	l.stopWatch = context.AfterFunc(ctx, l.stop)
	return nil
}

// RequestKeyFrame makes the next video frame a keyframe (call it on PLI or FIR), or the first
// frame once the last keyframe is minKeyFrameInterval old: every peer of a group call may ask,
// and their requests are served together, not one keyframe each.
func (l *Local) RequestKeyFrame() {
	l.keyAsked.Add(1)
	l.keyReq.Store(true)
}

// SetVideoEnabled turns the camera picture on or off. While off, the camera is released (its
// light goes off) and black frames are sent at a low rate, so the far end keeps a (black)
// picture and the encoder costs almost nothing.
func (l *Local) SetVideoEnabled(on bool) {
	if l.videoOn.Swap(on) != on {
		if on {
			l.RequestKeyFrame() // the picture changes completely: start it clean
		}
		l.changes.notify()
	}
}

// SetVideoBitRate changes the VP8 target bit rate (bits per second, brought within
// MinVideoBitRate..MaxVideoBitRate) from the next frame on, for example from a congestion
// controller's estimate. The default is VideoBitRateFor the picture size.
func (l *Local) SetVideoBitRate(bps int) {
	l.rateReq.Store(int64(ClampVideoBitRate(bps)))
}

// SetLinkRate gives the Local the latest estimate of what the link to the other end carries,
// sound included (bits per second, from congestion control). The video follows it down a
// ladder of steps (bit rate, then frame rate, then picture size, and below AudioOnlyBitRate no
// video at all) at once, and back up when a better estimate lasts; LocalStats says the step.
func (l *Local) SetLinkRate(bps int) {
	l.linkReq.Store(int64(max(bps, 1)))
}

// SetAudioEnabled mutes (false) or unmutes (true) the microphone. While muted, silence is sent.
func (l *Local) SetAudioEnabled(on bool) { l.audioOn.Store(on) }

// SetPreview sets the sink of the camera preview (nil removes it). It receives the raw pictures,
// at most about 15 per second, on the capture goroutine: it must not block, and must not call
// Close. While a preview is set the camera captures even when nothing is encoded (a setup
// screen scanning a QR code, with no call); the camera switch of SetVideoEnabled only governs
// what is sent. Remove it when it is no longer shown, so that the camera can close.
func (l *Local) SetPreview(s VideoSink) {
	if s == nil {
		l.preview.Store(nil)
	} else {
		l.preview.Store(&sinkBox{s})
	}
	l.changes.notify()
}

// SetSelfView sets the sink of the self-view of a call (nil removes it). It gets the pictures
// SetPreview would get, but only while they are encoded for a peer: unlike SetPreview it does
// not keep the camera on by itself. When both are set, the preview gets the pictures.
func (l *Local) SetSelfView(s VideoSink) {
	if s == nil {
		l.selfView.Store(nil)
	} else {
		l.selfView.Store(&sinkBox{s})
	}
}

// Stats returns a copy of the counters of the outgoing media.
func (l *Local) Stats() LocalStats {
	l.statsMu.Lock()
	s := l.stats
	l.statsMu.Unlock()
	s.VideoPeers, s.AudioPeers = int(l.videoPeers.Load()), int(l.audioPeers.Load())
	s.KeyRequests = l.keyAsked.Load()
	return s
}

// Close stops capture and encoding, waits for the encoding goroutines to end and frees the
// encoders and devices. It is safe to call more than once.
func (l *Local) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	if l.stopWatch != nil {
		l.stopWatch()
	}
	l.mu.Unlock()
	l.stop()
	l.wg.Wait()
	return l.release()
}

// stop unblocks the sources and tells the loops to end.
func (l *Local) stop() {
	l.stopOnce.Do(func() {
		close(l.done)
		if l.vsrc != nil {
			if err := l.vsrc.close(); err != nil {
				l.log.Warn("media: closing video source", "err", err)
			}
		}
		if l.asrc != nil {
			if err := l.asrc.close(); err != nil {
				l.log.Warn("media: closing audio source", "err", err)
			}
		}
	})
}

// release frees the encoders and sources; the loops must have ended.
func (l *Local) release() error {
	l.stop()
	var errs []error
	if l.venc != nil {
		errs = append(errs, l.venc.Close())
		l.venc = nil
	}
	if l.aenc != nil {
		errs = append(errs, l.aenc.Close())
		l.aenc = nil
	}
	return errors.Join(errs...)
}

func (l *Local) stopped() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// readFrame fills l.pcm with the next 20 ms of the source (chunks of any length are cut and
// joined), silenced if muted.
func (l *Local) readFrame() error {
	l.pcm = l.pcm[:0]
	for len(l.pcm) < OpusFrameSamples {
		if len(l.rest) == 0 {
			chunk, err := l.asrc.read()
			if err != nil {
				return err
			}
			l.rest = chunk
		}
		n := min(len(l.rest), OpusFrameSamples-len(l.pcm))
		l.pcm = append(l.pcm, l.rest[:n]...)
		l.rest = l.rest[n:]
	}
	if !l.audioOn.Load() {
		clear(l.pcm)
	}
	return nil
}

// audioLoop encodes the audio source (paced by the source) and writes the packets to the track
// while a peer connection is bound to it; otherwise it pauses the source (the microphone
// closes) and waits.
func (l *Local) audioLoop() {
	defer l.wg.Done()
	paused := false
	for {
		changed := l.changes.wait()
		if l.audioPeers.Load() <= 0 {
			if p, ok := l.asrc.(pausable); ok && !paused {
				if err := p.pause(); err != nil {
					l.log.Warn("media: pausing the microphone", "err", err)
				}
			}
			paused = true
			select {
			case <-l.done:
				return
			case <-changed:
			}
			continue
		}
		if p, ok := l.asrc.(pausable); ok && paused {
			if err := p.resume(); err != nil {
				l.log.Warn("media: resuming the microphone", "err", err)
				select { // try again a little later
				case <-l.done:
					return
				case <-time.After(time.Second):
				}
				continue
			}
		}
		if paused {
			l.rest = nil // the sound of before the pause is stale
		}
		paused = false
		if err := l.readFrame(); err != nil {
			if l.stopped() || errors.Is(err, io.EOF) {
				return
			}
			l.log.Warn("media: audio source", "err", err)
			select { // do not spin on a persistent error
			case <-l.done:
				return
			case <-time.After(audioFrame):
			}
			continue
		}
		data, err := l.aenc.Encode(l.abuf[:0], l.pcm)
		if err != nil {
			l.log.Warn("media: Opus encode", "err", err)
			l.statsMu.Lock()
			l.stats.AudioEncodeErr++
			l.statsMu.Unlock()
			select { // do not spin on a persistent error
			case <-l.done:
				return
			case <-time.After(audioFrame):
			}
			continue
		}
		l.abuf = data
		// WriteSample packetizes (copies) the packet before it returns: abuf can be reused.
		if err := l.audioTrack.WriteSample(pmedia.Sample{Data: data, Duration: audioFrame}); err != nil {
			l.log.Debug("media: write audio sample", "err", err)
		}
		l.statsMu.Lock()
		l.stats.AudioPackets++
		l.stats.AudioBytes += uint64(len(data))
		l.statsMu.Unlock()
	}
}
