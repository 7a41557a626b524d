package media

import (
	"errors"
	"fmt"
	"image"
	"io"
	"time"

	pmedia "github.com/pion/webrtc/v4/pkg/media"
)

// pausable is a video source that can release its device while the picture is off, so that
// the camera's light goes off when the patient turns the camera off.
type pausable interface {
	pause() error
	resume() error
}

// videoState is what the video loop remembers between frames.
type videoState struct {
	last        time.Time // capture time of the last frame written
	lastPreview time.Time
	size        image.Rectangle // size of the last picture, for the black frames
	paused      bool            // the source was paused while the picture is off
	failures    int             // consecutive source errors
}

// videoLoop reads pictures from the source at the source's pace, encodes them and writes them
// to the video track while a peer connection is bound to it, and hands them to the preview
// while one is set. It never queues: a late picture is simply the next one read. While the
// picture is off during a call it pauses the source and sends black frames at offFPS; with no
// peer and no preview it pauses the source and waits.
func (l *Local) videoLoop() {
	defer l.wg.Done()
	st := videoState{size: image.Rect(0, 0, l.width, l.height)}
	for {
		changed := l.changes.wait()
		sending := l.videoPeers.Load() > 0
		switch {
		case sending && !l.videoOn.Load():
			if !l.sendOff(&st, changed) {
				return
			}
			continue
		case !sending && l.preview.Load() == nil:
			if !l.idle(&st, changed) {
				return
			}
			continue
		}
		if st.paused {
			if err := l.vsrc.(pausable).resume(); err != nil {
				if !l.failed(&st, "media: resuming the camera", err) {
					return
				}
				continue
			}
			st.paused = false
		}
		img, release, err := l.vsrc.read()
		if err != nil {
			if l.stopped() || errors.Is(err, io.EOF) {
				return
			}
			if !l.failed(&st, "media: video source", err) {
				return
			}
			continue
		}
		st.failures = 0
		l.statsMu.Lock()
		l.stats.VideoCaptured++
		l.statsMu.Unlock()
		if sending {
			l.encode(&st, img, time.Now())
		} else {
			l.showPreview(&st, img, time.Now())
		}
		release()
	}
}

// pauseSource closes the camera (its light goes off) if the source can be paused.
func (l *Local) pauseSource(st *videoState) {
	if p, ok := l.vsrc.(pausable); ok && !st.paused {
		if err := p.pause(); err != nil {
			l.log.Warn("media: pausing the camera", "err", err)
		}
		st.paused = true
	}
}

// idle pauses the source and waits for a change. It returns false when the Local is stopping.
func (l *Local) idle(st *videoState, changed <-chan struct{}) bool {
	l.pauseSource(st)
	select {
	case <-l.done:
		return false
	case <-changed:
		return true
	}
}

// showPreview hands a picture captured at now to the preview, at most every previewInterval;
// with sending, the self-view of a call gets it when no preview is set.
func (l *Local) showPreview(st *videoState, img image.Image, now time.Time) {
	p := l.preview.Load()
	if p == nil && l.videoPeers.Load() > 0 {
		p = l.selfView.Load()
	}
	if p != nil && now.Sub(st.lastPreview) >= previewInterval {
		st.lastPreview = now
		p.s.Frame(img)
	}
}

// failed handles a broken camera: it logs now and then, waits with a backoff, and sends a black
// frame meanwhile so that the far end keeps a picture. It returns false when the Local is
// stopping.
func (l *Local) failed(st *videoState, msg string, err error) bool {
	st.failures++
	if st.failures&(st.failures-1) == 0 { // 1, 2, 4, 8...
		l.log.Warn(msg, "err", err, "failures", st.failures)
	}
	l.countVideoDrop()
	select {
	case <-l.done:
		return false
	case <-time.After(min(100*time.Millisecond<<min(st.failures-1, 5), 2*time.Second)):
	}
	if l.videoPeers.Load() > 0 {
		l.encode(st, l.blackFrame(st.size), time.Now())
	}
	return true
}

// sendOff pauses the source if it can be paused, waits for the next black frame, and sends it.
// It returns false when the Local is stopping, and true at once on a change (the picture turned
// back on, the last peer gone).
func (l *Local) sendOff(st *videoState, changed <-chan struct{}) bool {
	l.pauseSource(st)
	timer := time.NewTimer(time.Second / offFPS)
	defer timer.Stop()
	select {
	case <-l.done:
		return false
	case <-changed:
		return true
	case <-timer.C:
	}
	if !l.videoOn.Load() && l.videoPeers.Load() > 0 {
		l.encode(st, l.blackFrame(st.size), time.Now())
	}
	return true
}

// adapt applies the latest link estimate (SetLinkRate) at each picture: the step to send with,
// and its bit rate. The estimate is applied again at every picture, so that a better one that
// lasts steps the video back up even when it does not change.
func (l *Local) adapt(now time.Time) {
	if bps := l.linkReq.Swap(0); bps != 0 {
		l.link = int(bps)
	}
	if l.link == 0 {
		return
	}
	bps := l.link
	prev := l.step
	l.step = l.adapter.update(bps, now)
	if l.step.BitRate != 0 && l.step.BitRate != prev.BitRate {
		l.rateReq.Store(int64(ClampVideoBitRate(l.step.BitRate)))
	}
	if l.step.Scale != prev.Scale || l.step.FPS != prev.FPS || l.step.Paused != prev.Paused {
		l.log.Info("media: video step", "scale", l.step.Scale, "fps", l.step.FPS, "paused", l.step.Paused,
			"link_bps", bps)
		if prev.Paused {
			l.RequestKeyFrame() // the far end has nothing to start from
		}
	}
	l.statsMu.Lock()
	l.stats.Step = l.step
	l.statsMu.Unlock()
}

// encode previews, encodes and writes one picture captured at now, as the current step says:
// no picture while paused, fewer pictures a second, a smaller picture.
func (l *Local) encode(st *videoState, img image.Image, now time.Time) {
	l.showPreview(st, img, now)
	l.adapt(now)
	if l.step.Paused && l.videoOn.Load() {
		return // the link carries the sound only
	}
	if l.step.FPS < l.fps && !st.last.IsZero() && now.Sub(st.last) < time.Second/time.Duration(l.step.FPS)-time.Millisecond {
		return // fewer frames a second: skip this one
	}
	if yuv, ok := img.(*image.YCbCr); ok && l.step.Scale > 1 {
		l.small = downscale(l.small, yuv, l.step.Scale)
		img = l.small
	}
	if bps := l.rateReq.Swap(0); bps != 0 {
		if err := l.venc.SetBitRate(int(bps)); err != nil {
			l.log.Warn("media: set bit rate", "err", err)
		} else {
			l.statsMu.Lock()
			l.stats.VideoBitRate = int(bps)
			l.stats.BitRateChanges++
			l.statsMu.Unlock()
		}
	}
	yuv, ok := img.(*image.YCbCr)
	if !ok {
		l.log.Warn("media: VP8 encode: the source gave a picture that is not YCbCr", "type", fmt.Sprintf("%T", img))
		l.countVideoDrop()
		return
	}
	dur := time.Second / time.Duration(l.fps)
	if !st.last.IsZero() {
		dur = min(max(now.Sub(st.last), time.Millisecond), time.Second)
	}
	// A keyframe request waits while the last keyframe is younger than minKeyFrameInterval:
	// that keyframe, or the next one, serves every peer that asked (see keyFrameDue).
	forceKey := keyFrameDue(l.lastKey, now) && l.keyReq.Swap(false)
	b := img.Bounds()
	if w, h := l.venc.Size(); w != b.Dx() || h != b.Dy() {
		l.statsMu.Lock()
		l.stats.EncoderResets++ // Encode sets libvpx up again for the new size
		l.statsMu.Unlock()
	}
	cpu0 := l.venc.CPUTime()
	t0 := time.Now()
	data, isKey, err := l.venc.Encode(l.vbuf[:0], yuv, dur, forceKey)
	spent := time.Since(t0)
	if obs := l.observer.Load(); obs != nil {
		obs.f(EncodeRecord{Picture: l.Stats().VideoCaptured, Width: b.Dx(), Height: b.Dy(), Duration: dur,
			ForceKey: forceKey, BitRate: l.venc.BitRate(), KeyFrame: isKey && err == nil, Bytes: len(data),
			CPU: l.venc.CPUTime() - cpu0})
	}
	if err != nil {
		if forceKey {
			l.keyReq.Store(true) // the next picture then
		}
		l.log.Warn("media: VP8 encode", "err", err)
		l.countVideoDrop()
		return
	}
	l.vbuf = data
	if len(data) == 0 { // the encoder dropped the frame (rate control)
		l.countVideoDrop()
		return
	}
	st.last = now
	if isKey {
		l.lastKey = now
	}
	st.size = image.Rect(0, 0, b.Dx(), b.Dy())
	// WriteSample packetizes (copies) the frame before it returns: vbuf can be reused.
	if err := l.videoTrack.WriteSample(pmedia.Sample{Data: data, Duration: dur}); err != nil {
		l.log.Debug("media: write video sample", "err", err)
	}
	l.statsMu.Lock()
	l.stats.VideoFrames++
	l.stats.VideoBytes += uint64(len(data))
	l.stats.EncodeTime += spent
	l.stats.EncodeCPU = l.venc.CPUTime()
	if isKey {
		l.stats.KeyFrames++
	}
	l.stats.Width, l.stats.Height = b.Dx(), b.Dy()
	l.statsMu.Unlock()
}

func (l *Local) countVideoDrop() {
	l.statsMu.Lock()
	l.stats.VideoDropped++
	l.statsMu.Unlock()
}

// blackFrame returns a black 4:2:0 picture of the given size, reused between calls.
func (l *Local) blackFrame(r image.Rectangle) *image.YCbCr {
	w, h := r.Dx(), r.Dy()
	if l.black == nil || l.black.Rect.Dx() != w || l.black.Rect.Dy() != h {
		l.black = image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
		for i := range l.black.Y {
			l.black.Y[i] = 16
		}
		for i := range l.black.Cb {
			l.black.Cb[i] = 128
			l.black.Cr[i] = 128
		}
	}
	return l.black
}
