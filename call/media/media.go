// Package media is the media layer of the Bedside call engine: it captures, encodes, decodes and
// plays the audio and video of a call. It holds no networking code and no widgets.
//
// The outgoing pipeline (one [Local] per device, shared by every peer connection of the device):
//
//	source (camera via mediadevices' v4l2 driver, microphone via malgo, or the synthetic test
//	        pattern/tone, or a file)
//	  │  paced by the source itself (camera) or a ticker (test); late frames are dropped,
//	  │  never queued, so latency never builds up
//	  ├─► preview [VideoSink] (camera preview or self-view, raw frames, throttled)
//	  ▼
//	encoder ([VP8Encoder] over libvpx, realtime CBR / [OpusEncoder] over libopus, 20 ms voice)
//	  ▼
//	webrtc.TrackLocalStaticSample ("video"/"audio", stream "bedside")
//	  ▼
//	every PeerConnection that added the track (pion packetizes for each peer)
//
// A Local works only when needed: a track is encoded while at least one peer connection is
// bound to it ([Track]), pictures are captured while the video is encoded or a preview is set
// (SetPreview), and otherwise the camera and the microphone are closed.
//
// The encoders and decoders are small cgo wrappers over libvpx and libopus that check sizes
// before the C library sees them and reuse their buffers. Bit-rate limits are defined once, in
// bitrate.go ([MinVideoBitRate], [MaxVideoBitRate], [VideoBitRateFor]).
//
// The incoming pipeline is driven by the call package: it reassembles RTP into frames and hands
// them to a [VP8Decoder] or an [OpusDecoder], then hands the decoded picture to a [VideoSink] (the
// UI) and the decoded PCM to an [AudioSink] such as [Player] (the default output device through
// malgo). A decoded picture is libvpx's own frame buffer: the sink's copy (the kiosk converts
// it to RGBA for the screen) is the only copy between the decoder and the screen.
//
// Images handed to a [VideoSink] and PCM handed to an [AudioSink] belong to the caller and may be
// reused as soon as the call returns: a sink that keeps them must copy them (see [CopyYCbCr]).
//
// Building needs cgo with pkg-config, libvpx-dev and libopus-dev (Debian); the binary links
// libvpx.so.7 and libopus.so.0. Sound goes through miniaudio (malgo), which loads libasound.so.2 or libpulse.so.0 at
// run time: no audio headers are needed to build. Cameras go through v4l2 (Linux only).
package media

import (
	"errors"
	"image"
	"time"
)

// Sentinel errors of the package. Errors returned by this package wrap one of them with %w.
var (
	// ErrNoCamera is returned by OpenDevices when no video capture device is present.
	ErrNoCamera = errors.New("media: no camera")
	// ErrNoMicrophone is returned by OpenDevices when no audio capture device is present.
	ErrNoMicrophone = errors.New("media: no microphone")
	// ErrNoOutputDevice is returned by NewPlayer when no audio output device is present.
	ErrNoOutputDevice = errors.New("media: no audio output device")
	// ErrNoFrame is returned by VP8Decoder.Decode when the decoder produced no picture for the
	// frame it was given (for example an inter frame before the first keyframe was decoded).
	ErrNoFrame = errors.New("media: decoder produced no frame")
	// ErrDecode is returned when a decoder rejects its input (garbage, truncated or unsupported data).
	ErrDecode = errors.New("media: cannot decode")
	// ErrEncode is returned when an encoder fails.
	ErrEncode = errors.New("media: cannot encode")
	// ErrClosed is returned when a closed Local, decoder or player is used.
	ErrClosed = errors.New("media: closed")
	// ErrStarted is returned when Local.Start is called twice.
	ErrStarted = errors.New("media: already started")
	// ErrBadOptions is returned for invalid options (sizes, rates, channel counts).
	ErrBadOptions = errors.New("media: bad options")
)

// VideoSink receives decoded or captured frames. Frame must not block: drop if busy.
//
// The image is only valid until Frame returns (the producer reuses its buffers; a decoded
// picture is the decoder's own frame buffer): a sink that hands it to another goroutine must
// copy it first, for example with [CopyYCbCr], or convert it into its own buffer as the kiosk
// does. That copy is the only one a decoded frame gets on its way to the screen.
type VideoSink interface{ Frame(img image.Image) }

// AudioSink receives decoded PCM, interleaved int16. Samples must not block.
//
// The slice is only valid until Samples returns.
type AudioSink interface {
	Samples(pcm []int16, sampleRate, channels int)
}

// VideoSinkFunc adapts a function to a VideoSink.
type VideoSinkFunc func(img image.Image)

// Frame calls f(img).
func (f VideoSinkFunc) Frame(img image.Image) { f(img) }

// AudioSinkFunc adapts a function to an AudioSink.
type AudioSinkFunc func(pcm []int16, sampleRate, channels int)

// Samples calls f(pcm, sampleRate, channels).
func (f AudioSinkFunc) Samples(pcm []int16, sampleRate, channels int) { f(pcm, sampleRate, channels) }

// LocalStats are counters of a Local's outgoing media since it was created.
type LocalStats struct {
	VideoFrames    uint64        // video frames encoded and written to the track
	VideoBytes     uint64        // bytes of encoded video
	KeyFrames      uint64        // keyframes among VideoFrames
	VideoDropped   uint64        // source frames not encoded (source late, encoder error)
	EncodeTime     time.Duration // total time spent in the VP8 encoder (wall clock)
	EncodeCPU      time.Duration // total CPU time of the VP8 encoder (VP8Encoder.CPUTime)
	AudioPackets   uint64        // Opus packets written to the track
	AudioBytes     uint64        // bytes of encoded audio
	AudioEncodeErr uint64        // Opus encoder errors
	Width, Height  int           // size of the last encoded frame
	VideoBitRate   int           // VP8 target, bits per second
	VideoCaptured  uint64        // pictures read from the source (encoded, previewed or both)
	// KeyRequests counts RequestKeyFrame calls (PLI, FIR, a new peer...), all peers together;
	// KeyFrames may be fewer: requests close together are served by one keyframe.
	KeyRequests uint64
	// BitRateChanges counts the encoder's target changes (SetVideoBitRate, the link's step);
	// EncoderResets the times libvpx was set up again for a new picture size.
	BitRateChanges, EncoderResets uint64
	// Step is how the video is sent on the link as estimated now (SetLinkRate): full size and
	// rate until the link shrinks; Paused when only the sound goes through.
	Step VideoStep
	// VideoPeers and AudioPeers are the peer connections sending each track now: a track is
	// encoded only while its count is above zero.
	VideoPeers, AudioPeers int
}

// MeanEncodeTime is the mean time spent encoding one video frame.
func (s LocalStats) MeanEncodeTime() time.Duration {
	if s.VideoFrames == 0 {
		return 0
	}
	return s.EncodeTime / time.Duration(s.VideoFrames)
}

// IsVP8KeyFrame reports whether an encoded VP8 frame is a keyframe (RFC 6386 §9.1: the lowest
// bit of the frame tag is 0 for a keyframe, and the keyframe start code follows the tag).
func IsVP8KeyFrame(frame []byte) bool {
	return len(frame) >= 10 && frame[0]&1 == 0 &&
		frame[3] == 0x9d && frame[4] == 0x01 && frame[5] == 0x2a
}

// CopyYCbCr copies src into dst, reusing dst's buffers when they are large enough, and returns
// the copy (a new image when dst is nil). The copy has the same subsample ratio and a rectangle
// starting at (0, 0).
func CopyYCbCr(dst, src *image.YCbCr) *image.YCbCr {
	w, h := src.Rect.Dx(), src.Rect.Dy()
	if dst == nil || dst.SubsampleRatio != src.SubsampleRatio || dst.Rect.Dx() != w || dst.Rect.Dy() != h {
		dst = image.NewYCbCr(image.Rect(0, 0, w, h), src.SubsampleRatio)
	}
	for y := range h {
		copy(dst.Y[y*dst.YStride:y*dst.YStride+w], src.Y[src.YOffset(src.Rect.Min.X, src.Rect.Min.Y+y):])
	}
	cw, ch := chromaSize(w, h, src.SubsampleRatio)
	c0 := src.COffset(src.Rect.Min.X, src.Rect.Min.Y)
	for y := range ch {
		copy(dst.Cb[y*dst.CStride:y*dst.CStride+cw], src.Cb[c0+y*src.CStride:])
		copy(dst.Cr[y*dst.CStride:y*dst.CStride+cw], src.Cr[c0+y*src.CStride:])
	}
	return dst
}

func chromaSize(w, h int, r image.YCbCrSubsampleRatio) (int, int) {
	switch r {
	case image.YCbCrSubsampleRatio422:
		return (w + 1) / 2, h
	case image.YCbCrSubsampleRatio420:
		return (w + 1) / 2, (h + 1) / 2
	case image.YCbCrSubsampleRatio440:
		return w, (h + 1) / 2
	case image.YCbCrSubsampleRatio411:
		return (w + 3) / 4, h
	case image.YCbCrSubsampleRatio410:
		return (w + 3) / 4, (h + 1) / 2
	default:
		return w, h
	}
}
