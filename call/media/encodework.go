package media

import (
	"fmt"
	"image"
	"time"
)

// minKeyFrameInterval is the least time between a keyframe and the next one forced by a
// request. In a group call every peer asks for a keyframe when it joins, connects, or loses a
// frame; one keyframe costs the encoder several normal frames and the links a burst, so the
// requests that arrive within this interval of a keyframe wait and are served together by the
// next one (libwebrtc's EncoderRtcpFeedback has the same 300 ms, but drops those requests;
// here none is lost). A receiver that asked re-asks anyway after 400 ms without one.
const minKeyFrameInterval = 300 * time.Millisecond

// keyFrameDue reports whether a requested keyframe may be forced at now, the last one having
// been written at last (zero: none yet).
func keyFrameDue(last, now time.Time) bool {
	return last.IsZero() || now.Sub(last) >= minKeyFrameInterval
}

// EncodeRecord is what the VP8 encoder was asked to do for one picture, and what it did: the
// inputs that decide its work, whatever the machine's load. Replaying the records of a run
// (ReplayTestPattern) repeats the same work.
type EncodeRecord struct {
	Picture  uint64        `json:"picture"` // the picture's number from the source, from 1 (LocalStats.VideoCaptured)
	Width    int           `json:"w"`       // the size encoded (after the step's downscale)
	Height   int           `json:"h"`
	Duration time.Duration `json:"dur"`   // the duration given to the rate control
	ForceKey bool          `json:"force"` // a keyframe was asked for
	BitRate  int           `json:"bps"`   // the CBR target, bits per second
	KeyFrame bool          `json:"key"`   // the encoder made a keyframe
	Bytes    int           `json:"bytes"` // the frame's size; 0 when the rate control dropped it
	CPU      time.Duration `json:"cpu"`   // the encoding thread's CPU time
}

type observerBox struct{ f func(EncodeRecord) }

// SetEncodeObserver sets a function told of every picture given to the VP8 encoder (nil
// removes it), for benchmarks and diagnostics. It runs on the video loop: it must not block.
func (l *Local) SetEncodeObserver(f func(EncodeRecord)) {
	if f == nil {
		l.observer.Store(nil)
	} else {
		l.observer.Store(&observerBox{f})
	}
}

// ReplayTestPattern encodes again, with a fresh encoder, the pictures of a test-pattern Local
// (NewTest) of w x h at fps that recs recorded: the same pictures (the pattern depends only on
// the picture's number), sizes, durations, bit rates and forced keyframes. It returns the
// keyframes and the bytes it made. The encoder is deterministic, so a replay under an
// instruction counter (valgrind) measures a run's encoder work without the machine's load.
func ReplayTestPattern(w, h, fps int, recs []EncodeRecord) (keyFrames, bytes int, err error) {
	if err := checkVideoOptions(w, h, fps); err != nil {
		return 0, 0, err
	}
	enc, err := NewVP8Encoder(VP8EncoderOptions{Width: w, Height: h, FPS: fps})
	if err != nil {
		return 0, 0, err
	}
	defer enc.Close()
	pat := newTestPattern(w, h)
	var small *image.YCbCr
	var buf []byte
	for i, r := range recs {
		if r.Picture < pat.n+1 {
			return keyFrames, bytes, fmt.Errorf("%w: replay: record %d: picture %d after %d", ErrBadOptions, i, r.Picture, pat.n)
		}
		for pat.n+1 < r.Picture {
			pat.next()
		}
		img := pat.next()
		if r.Width != w || r.Height != h {
			scale := w / max(r.Width, 1)
			small = downscale(small, img, scale)
			if small.Rect.Dx() != r.Width || small.Rect.Dy() != r.Height {
				return keyFrames, bytes, fmt.Errorf("%w: replay: record %d: %dx%d is not %dx%d scaled down",
					ErrBadOptions, i, r.Width, r.Height, w, h)
			}
			img = small
		}
		if r.BitRate != enc.BitRate() {
			if err := enc.SetBitRate(r.BitRate); err != nil {
				return keyFrames, bytes, err
			}
		}
		out, key, err := enc.Encode(buf[:0], img, r.Duration, r.ForceKey)
		if err != nil {
			return keyFrames, bytes, err
		}
		buf = out
		bytes += len(out)
		if key {
			keyFrames++
		}
	}
	return keyFrames, bytes, nil
}
