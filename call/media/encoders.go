package media

import (
	"fmt"

	"github.com/pion/mediadevices/pkg/codec"
	"github.com/pion/mediadevices/pkg/codec/opus"
	"github.com/pion/mediadevices/pkg/codec/vpx"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/audio"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// Encoder settings.
const (
	// videoBitRate640 is the VP8 target at 640x480; other sizes scale with the pixel count.
	videoBitRate640 = 1_000_000
	minVideoBitRate = 150_000
	maxVideoBitRate = 2_500_000
	// keyFrameSeconds is the longest time between two keyframes, so that a peer that lost a
	// keyframe (and whose PLI was lost too) recovers on its own.
	keyFrameSeconds = 3
	// audioBitRate is the Opus target: plenty for voice.
	audioBitRate = 32_000
)

// videoBitRate is the VP8 target for a picture size: about 1 Mbps at 640x480.
func videoBitRate(w, h int) int {
	return min(max(videoBitRate640*w*h/(640*480), minVideoBitRate), maxVideoBitRate)
}

// newVP8Encoder builds the libvpx VP8 encoder, tuned for real time on weak CPUs: realtime
// deadline, cpu-used 10 (libvpx picks its speed to spend at most ~1/3 of the frame period),
// one pass, no lag, CBR around 1 Mbps at 640x480, error resilient, static blocks skipped,
// keyframes capped in size and sent at least every few seconds.
func newVP8Encoder(r video.Reader, w, h, fps int) (codec.ReadCloser, error) {
	p, err := vpx.NewVP8Params()
	if err != nil {
		return nil, err
	}
	p.BitRate = videoBitRate(w, h)
	p.KeyFrameInterval = keyFrameSeconds * fps
	p.RateControlEndUsage = vpx.RateControlCBR
	p.RateControlUndershootPercent = 100
	p.RateControlOvershootPercent = 15
	p.RateControlMinQuantizer = 4
	p.RateControlMaxQuantizer = 56
	p.LagInFrames = 0
	p.ErrorResilient = vpx.ErrorResilientDefault
	// p.Deadline keeps its default, VPX_DL_REALTIME.
	enc, err := p.BuildVideoEncoder(r, prop.Media{Video: prop.Video{
		Width: w, Height: h, FrameRate: float32(fps), FrameFormat: frame.FormatI420,
	}})
	if err != nil {
		return nil, err
	}
	tuner, err := newVP8Tuner(enc, fps)
	if err == nil {
		err = tuner.apply()
	}
	if err != nil {
		_ = enc.Close()
		return nil, fmt.Errorf("tuning the VP8 encoder: %w", err)
	}
	return &tunedVP8{ReadCloser: enc, tuner: tuner}, nil
}

// newOpusEncoder builds the libopus encoder: 48 kHz, 20 ms packets, mono, voice, 32 kbit/s,
// complexity 5, in-band FEC for 10% loss. Its channel mixer mixes whatever the reader delivers
// down to mono: what browsers send for voice, half the bits.
func newOpusEncoder(r audio.Reader) (codec.ReadCloser, error) {
	p, err := opus.NewParams()
	if err != nil {
		return nil, err
	}
	p.BitRate = audioBitRate
	p.Latency = opus.Latency20ms
	enc, err := p.BuildAudioEncoder(r, prop.Media{Audio: prop.Audio{
		SampleRate: audioRate, ChannelCount: 1, SampleSize: 2, IsInterleaved: true,
		Latency: audioFrame,
	}})
	if err != nil {
		return nil, err
	}
	if err := tuneOpus(enc); err != nil {
		_ = enc.Close()
		return nil, fmt.Errorf("tuning the Opus encoder: %w", err)
	}
	return enc, nil
}

func checkVideoOptions(w, h, fps int) error {
	if w <= 0 || h <= 0 || w%2 != 0 || h%2 != 0 || w > MaxVP8Width || h > MaxVP8Height {
		return fmt.Errorf("%w: picture size %dx%d (even, up to %dx%d)", ErrBadOptions, w, h, MaxVP8Width, MaxVP8Height)
	}
	if fps <= 0 || fps > 60 {
		return fmt.Errorf("%w: frame rate %d (1..60)", ErrBadOptions, fps)
	}
	return nil
}

func errBadTone(hz float64) error {
	return fmt.Errorf("%w: tone of %g Hz (0..%d)", ErrBadOptions, hz, audioRate/2)
}
