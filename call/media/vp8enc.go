package media

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

// bedside_vp8enc is one libvpx VP8 encoder: its context and the configuration it was set up
// with (vpx_codec_enc_config_set changes it at run time).
typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_codec_enc_cfg_t cfg;
	int open;
} bedside_vp8enc;

// bedside_vp8enc_params are the settings of an encoder, filled in by Go.
typedef struct {
	unsigned int w, h, threads;
	unsigned int bitrate_kbps, undershoot_pct, overshoot_pct, min_q, max_q, kf_max_dist;
	int cpu_used;
	unsigned int static_thresh, max_intra_pct;
} bedside_vp8enc_params;

// bedside_vp8enc_open sets up e with p. It returns NULL, or the name of the call that failed
// with its error in *err (e is then closed).
static const char *bedside_vp8enc_open(bedside_vp8enc *e, const bedside_vp8enc_params *p, vpx_codec_err_t *err) {
	vpx_codec_enc_cfg_t *c = &e->cfg;
	if ((*err = vpx_codec_enc_config_default(vpx_codec_vp8_cx(), c, 0)) != VPX_CODEC_OK) return "vpx_codec_enc_config_default";
	c->g_w = p->w;
	c->g_h = p->h;
	c->g_threads = p->threads;
	c->g_timebase.num = 1; // timestamps in microseconds
	c->g_timebase.den = 1000000;
	c->g_pass = VPX_RC_ONE_PASS;
	c->g_lag_in_frames = 0;
	c->g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
	c->rc_resize_allowed = 0;
	c->rc_end_usage = VPX_CBR;
	c->rc_target_bitrate = p->bitrate_kbps;
	c->rc_undershoot_pct = p->undershoot_pct;
	c->rc_overshoot_pct = p->overshoot_pct;
	c->rc_min_quantizer = p->min_q;
	c->rc_max_quantizer = p->max_q;
	c->kf_mode = VPX_KF_AUTO;
	c->kf_min_dist = 0;
	c->kf_max_dist = p->kf_max_dist;
	if ((*err = vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), c, 0)) != VPX_CODEC_OK) return "vpx_codec_enc_init";
	e->open = 1;
	const char *what = NULL;
	if ((*err = vpx_codec_control(&e->ctx, VP8E_SET_CPUUSED, p->cpu_used)) != VPX_CODEC_OK) what = "VP8E_SET_CPUUSED";
	else if ((*err = vpx_codec_control(&e->ctx, VP8E_SET_STATIC_THRESHOLD, p->static_thresh)) != VPX_CODEC_OK) what = "VP8E_SET_STATIC_THRESHOLD";
	else if ((*err = vpx_codec_control(&e->ctx, VP8E_SET_MAX_INTRA_BITRATE_PCT, p->max_intra_pct)) != VPX_CODEC_OK) what = "VP8E_SET_MAX_INTRA_BITRATE_PCT";
	if (what != NULL) {
		vpx_codec_destroy(&e->ctx);
		e->open = 0;
	}
	return what;
}

static void bedside_vp8enc_close(bedside_vp8enc *e) {
	if (e->open) {
		vpx_codec_destroy(&e->ctx);
		e->open = 0;
	}
}

static vpx_codec_err_t bedside_vp8enc_set_bitrate(bedside_vp8enc *e, unsigned int kbps) {
	unsigned int old = e->cfg.rc_target_bitrate;
	e->cfg.rc_target_bitrate = kbps;
	vpx_codec_err_t err = vpx_codec_enc_config_set(&e->ctx, &e->cfg);
	if (err != VPX_CODEC_OK) e->cfg.rc_target_bitrate = old;
	return err;
}

// bedside_thread_cpu_ns is the CPU time the calling thread has used, in nanoseconds; -1 when
// the clock cannot be read.
static long long bedside_thread_cpu_ns(void) {
	struct timespec ts;
	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) != 0) return -1;
	return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// bedside_vp8enc_encode encodes one I420 picture whose planes the caller owns: libvpx copies
// the picture (lag 0), so the planes are not kept after the call. *cpu_ns is the CPU time the
// calling thread spent in libvpx (0 when the clock cannot be read).
static vpx_codec_err_t bedside_vp8enc_encode(bedside_vp8enc *e, unsigned char *y, int ystride,
		unsigned char *cb, unsigned char *cr, int cstride, long long pts, unsigned long dur, int key,
		long long *cpu_ns) {
	*cpu_ns = 0;
	vpx_image_t img;
	if (vpx_img_wrap(&img, VPX_IMG_FMT_I420, e->cfg.g_w, e->cfg.g_h, 1, y) == NULL) return VPX_CODEC_INVALID_PARAM;
	img.planes[VPX_PLANE_Y] = y;
	img.planes[VPX_PLANE_U] = cb;
	img.planes[VPX_PLANE_V] = cr;
	img.stride[VPX_PLANE_Y] = ystride;
	img.stride[VPX_PLANE_U] = cstride;
	img.stride[VPX_PLANE_V] = cstride;
	long long t0 = bedside_thread_cpu_ns();
	vpx_codec_err_t err = vpx_codec_encode(&e->ctx, &img, (vpx_codec_pts_t)pts, dur, key ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME);
	long long t1 = bedside_thread_cpu_ns();
	if (t0 >= 0 && t1 >= t0) *cpu_ns = t1 - t0;
	return err;
}

// bedside_vp8enc_take copies the frame packets of the last encode into dst when they fit in
// cap bytes, and returns their total size (copied or not: call again with a larger dst).
// *key is set when the frame is a keyframe. The packets stay until the next encode.
static size_t bedside_vp8enc_take(bedside_vp8enc *e, unsigned char *dst, size_t cap, int *key) {
	vpx_codec_iter_t it = NULL;
	const vpx_codec_cx_pkt_t *pkt;
	size_t n = 0;
	*key = 0;
	while ((pkt = vpx_codec_get_cx_data(&e->ctx, &it)) != NULL) {
		if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
		if (pkt->data.frame.flags & VPX_FRAME_IS_KEY) *key = 1;
		if (n + pkt->data.frame.sz <= cap) memcpy(dst + n, pkt->data.frame.buf, pkt->data.frame.sz);
		n += pkt->data.frame.sz;
	}
	return n;
}

static const char *bedside_vp8enc_detail(bedside_vp8enc *e) {
	const char *d = e->open ? vpx_codec_error_detail(&e->ctx) : NULL;
	return d != NULL ? d : "";
}
*/
import "C"

import (
	"fmt"
	"image"
	"sync"
	"time"
	"unsafe"
)

// Settings of the VP8 encoder, tuned for real time on weak CPUs.
const (
	// vp8CPUUsed is libvpx's VP8E_SET_CPUUSED. A negative value -n fixes libvpx's realtime
	// speed at n (of 4..16: the higher the faster, and the coarser the motion search); a
	// positive value lets libvpx pick its speed so that encoding takes (16-n)/16 of the frame
	// period, which on a fast device means the slowest speed, 4. libwebrtc fixes it too (-6 on
	// desktops, -12 on phones). -10 is what the mediadevices encoder ran at in effect before:
	// it was set to 10, but that encoder called vpx_codec_enc_config_set before every frame,
	// which resets libvpx's speed to 10, so the automatic choice never moved far from it.
	// Measured here at 640x480, 30 fps: about 2.2 ms of CPU a frame at -10, against 3.6 ms with
	// +10 left to choose (speed 4), for the same bit rate.
	vp8CPUUsed = -10
	// vp8StaticThreshold skips blocks that did not change (camera noise below the threshold).
	vp8StaticThreshold = 1
	// vp8UndershootPct and vp8OvershootPct bound how far a frame may miss its share of the
	// CBR target, in percent.
	vp8UndershootPct = 100
	vp8OvershootPct  = 15
	// vp8MinQuantizer and vp8MaxQuantizer bound the quantizer (0..63).
	vp8MinQuantizer = 4
	vp8MaxQuantizer = 56
	// keyFrameSeconds is the longest time between two keyframes, so that a peer that lost a
	// keyframe (and whose PLI was lost too) recovers on its own.
	keyFrameSeconds = 3
	// maxVP8Threads bounds VP8EncoderOptions.Threads.
	maxVP8Threads = 8
	// maxFrameDuration bounds the duration Encode is given: a longer pause (the camera was off)
	// is not a reason for the rate control to spend a second's worth of bits on one frame.
	maxFrameDuration = time.Second
)

// VP8EncoderOptions configure NewVP8Encoder. Zero values take the defaults.
type VP8EncoderOptions struct {
	Width, Height int // picture size, 1..MaxVP8Width x 1..MaxVP8Height; required
	// FPS is the nominal frame rate (1..60, default 30): it sets the keyframe interval
	// (keyframes at least every 3 s) and the cap of a keyframe's size.
	FPS int
	// BitRate is the CBR target in bits per second, MinVideoBitRate..MaxVideoBitRate; default
	// VideoBitRateFor(Width, Height).
	BitRate int
	// Threads is the number of encoding threads, 1..8; default 1 (a tablet shares its few
	// cores with the decoder and the UI).
	Threads int
}

// VP8Encoder encodes I420 pictures into VP8 frames with libvpx: realtime deadline, speed fixed
// at 10 (cpu-used -10), one pass, no lag, CBR, error resilient, static blocks skipped, keyframes
// capped in size and sent at least every 3 seconds.
//
// It is safe for concurrent use, but encodes one picture at a time.
type VP8Encoder struct {
	mu     sync.Mutex
	enc    *C.bedside_vp8enc // nil once closed
	params C.bedside_vp8enc_params
	pts    int64 // microseconds, timestamp of the next picture
	// cpu is the CPU time spent in libvpx's encode by the calling threads, all pictures
	// together (with Threads above 1, libvpx's own worker threads are not counted).
	cpu time.Duration
}

// CPUTime is the CPU time the encoder has spent encoding, all pictures together: the
// thread's own clock around libvpx's encode, so it does not grow when other processes share
// the CPU, as wall-clock time does.
func (e *VP8Encoder) CPUTime() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.cpu
}

// NewVP8Encoder returns a libvpx VP8 encoder for pictures of opts.Width x opts.Height.
// Options out of range are refused with an error wrapping ErrBadOptions.
func NewVP8Encoder(opts VP8EncoderOptions) (*VP8Encoder, error) {
	if opts.FPS == 0 {
		opts.FPS = 30
	}
	if opts.Threads == 0 {
		opts.Threads = 1
	}
	if opts.BitRate == 0 {
		opts.BitRate = VideoBitRateFor(opts.Width, opts.Height)
	}
	if err := checkVP8Size(opts.Width, opts.Height); err != nil {
		return nil, err
	}
	switch {
	case opts.FPS < 1 || opts.FPS > 60:
		return nil, fmt.Errorf("%w: VP8 frame rate %d (1..60)", ErrBadOptions, opts.FPS)
	case opts.Threads < 1 || opts.Threads > maxVP8Threads:
		return nil, fmt.Errorf("%w: VP8 threads %d (1..%d)", ErrBadOptions, opts.Threads, maxVP8Threads)
	}
	if err := checkVideoBitRate(opts.BitRate); err != nil {
		return nil, err
	}
	e := &VP8Encoder{params: C.bedside_vp8enc_params{
		w: C.uint(opts.Width), h: C.uint(opts.Height), threads: C.uint(opts.Threads),
		bitrate_kbps:   C.uint(opts.BitRate / 1000),
		undershoot_pct: vp8UndershootPct, overshoot_pct: vp8OvershootPct,
		min_q: vp8MinQuantizer, max_q: vp8MaxQuantizer,
		kf_max_dist:   C.uint(keyFrameSeconds * opts.FPS),
		cpu_used:      vp8CPUUsed,
		static_thresh: vp8StaticThreshold,
		// Cap a keyframe at what 0.3 s of video may cost (100% is one average frame), like
		// libwebrtc does, so that a keyframe does not burst the network.
		max_intra_pct: C.uint(max(300, 30*opts.FPS)),
	}}
	e.enc = (*C.bedside_vp8enc)(C.calloc(1, C.size_t(unsafe.Sizeof(C.bedside_vp8enc{}))))
	if e.enc == nil {
		return nil, fmt.Errorf("%w: VP8: out of memory", ErrEncode)
	}
	if err := e.openLocked(); err != nil {
		C.free(unsafe.Pointer(e.enc))
		return nil, err
	}
	return e, nil
}

func checkVP8Size(w, h int) error {
	if w < 1 || h < 1 || w > MaxVP8Width || h > MaxVP8Height || w*h > MaxVP8Pixels {
		return fmt.Errorf("%w: VP8 picture size %dx%d (up to %dx%d, %d pixels)",
			ErrBadOptions, w, h, MaxVP8Width, MaxVP8Height, MaxVP8Pixels)
	}
	return nil
}

func checkVideoBitRate(bps int) error {
	if bps < MinVideoBitRate || bps > MaxVideoBitRate {
		return fmt.Errorf("%w: VP8 bit rate %d (%d..%d)", ErrBadOptions, bps, MinVideoBitRate, MaxVideoBitRate)
	}
	return nil
}

// openLocked sets up the libvpx context with e.params.
func (e *VP8Encoder) openLocked() error {
	var cerr C.vpx_codec_err_t
	if what := C.bedside_vp8enc_open(e.enc, &e.params, &cerr); what != nil {
		return fmt.Errorf("%w: VP8 %s: %s", ErrEncode, C.GoString(what), C.GoString(C.vpx_codec_err_to_string(cerr)))
	}
	return nil
}

// Size is the picture size the encoder is set up for: that of the last picture encoded, or of
// the options.
func (e *VP8Encoder) Size() (w, h int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return int(e.params.w), int(e.params.h)
}

// BitRate is the current CBR target, bits per second.
func (e *VP8Encoder) BitRate() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return int(e.params.bitrate_kbps) * 1000
}

// SetBitRate changes the CBR target (bits per second, MinVideoBitRate..MaxVideoBitRate) from
// the next picture on, through vpx_codec_enc_config_set.
func (e *VP8Encoder) SetBitRate(bps int) error {
	if err := checkVideoBitRate(bps); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return ErrClosed
	}
	if rc := C.bedside_vp8enc_set_bitrate(e.enc, C.uint(bps/1000)); rc != C.VPX_CODEC_OK {
		return fmt.Errorf("%w: VP8 vpx_codec_enc_config_set: %s", ErrEncode, C.GoString(C.vpx_codec_err_to_string(rc)))
	}
	e.params.bitrate_kbps = C.uint(bps / 1000)
	return nil
}

// Encode encodes one 4:2:0 picture that lasts dur (the time until the next picture, or since
// the previous one: what the rate control spreads the bits over) and appends the VP8 frame to
// dst. It returns the extended dst and whether the frame is a keyframe; forceKey makes it one.
// The frame is empty when the rate control dropped the picture.
//
// The picture may have any rectangle; a picture of another size than the last one sets the
// encoder up again for the new size, and starts with a keyframe. A picture that is not 4:2:0,
// or whose planes are shorter than its rectangle and strides say, is refused with an error
// wrapping ErrBadOptions before libvpx reads it; a libvpx failure wraps ErrEncode.
func (e *VP8Encoder) Encode(dst []byte, img *image.YCbCr, dur time.Duration, forceKey bool) ([]byte, bool, error) {
	if err := checkI420(img); err != nil {
		return dst, false, err
	}
	w, h := img.Rect.Dx(), img.Rect.Dy()
	dur = min(max(dur, time.Millisecond), maxFrameDuration)

	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return dst, false, ErrClosed
	}
	if C.uint(w) != e.params.w || C.uint(h) != e.params.h {
		C.bedside_vp8enc_close(e.enc)
		e.params.w, e.params.h = C.uint(w), C.uint(h)
		if err := e.openLocked(); err != nil {
			return dst, false, err
		}
	}
	key := C.int(0)
	if forceKey {
		key = 1
	}
	us := dur.Microseconds()
	var cpu C.longlong
	rc := C.bedside_vp8enc_encode(e.enc,
		(*C.uchar)(unsafe.Pointer(&img.Y[0])), C.int(img.YStride),
		(*C.uchar)(unsafe.Pointer(&img.Cb[0])), (*C.uchar)(unsafe.Pointer(&img.Cr[0])), C.int(img.CStride),
		C.longlong(e.pts), C.ulong(us), key, &cpu)
	e.cpu += time.Duration(cpu)
	if rc != C.VPX_CODEC_OK {
		return dst, false, fmt.Errorf("%w: VP8 vpx_codec_encode: %s (%s)", ErrEncode,
			C.GoString(C.vpx_codec_err_to_string(rc)), C.GoString(C.bedside_vp8enc_detail(e.enc)))
	}
	e.pts += us
	if cap(dst)-len(dst) < 1 {
		dst = append(dst, 0)[:len(dst)]
	}
	for {
		free := dst[len(dst):cap(dst)]
		var isKey C.int
		n := int(C.bedside_vp8enc_take(e.enc, (*C.uchar)(unsafe.Pointer(&free[0])), C.size_t(len(free)), &isKey))
		if n <= len(free) {
			return dst[:len(dst)+n], isKey != 0, nil
		}
		dst = append(dst, make([]byte, n)...)[:len(dst)] // grow, then take again
	}
}

// checkI420 checks that libvpx may read img as an I420 picture of img.Rect.Dx() x
// img.Rect.Dy(): the right subsampling, a size it accepts, and planes that hold every row
// at their strides.
func checkI420(img *image.YCbCr) error {
	if img == nil {
		return fmt.Errorf("%w: VP8: no picture", ErrBadOptions)
	}
	if img.SubsampleRatio != image.YCbCrSubsampleRatio420 {
		return fmt.Errorf("%w: VP8: picture is %v, not 4:2:0", ErrBadOptions, img.SubsampleRatio)
	}
	r := img.Rect
	w, h := r.Dx(), r.Dy()
	if err := checkVP8Size(w, h); err != nil {
		return err
	}
	if r.Min.X < 0 || r.Min.Y < 0 || r.Min.X%2 != 0 || r.Min.Y%2 != 0 {
		return fmt.Errorf("%w: VP8: picture rectangle %v does not start at an even point", ErrBadOptions, r)
	}
	cw, ch := (w+1)/2, (h+1)/2
	if img.YStride < w || img.CStride < cw {
		return fmt.Errorf("%w: VP8: strides %d/%d too small for %dx%d", ErrBadOptions, img.YStride, img.CStride, w, h)
	}
	// The planes start at the rectangle's first pixel (image.YCbCr's layout). A stride longer
	// than its plane is refused first, so that the products below cannot overflow.
	yEnd := (h-1)*img.YStride + w
	cEnd := (ch-1)*img.CStride + cw
	if img.YStride > len(img.Y) || img.CStride > len(img.Cb) ||
		yEnd > len(img.Y) || cEnd > len(img.Cb) || cEnd > len(img.Cr) {
		return fmt.Errorf("%w: VP8: planes of %d/%d/%d bytes too short for %v at strides %d/%d",
			ErrBadOptions, len(img.Y), len(img.Cb), len(img.Cr), r, img.YStride, img.CStride)
	}
	return nil
}

// Close frees the encoder. It is safe to call more than once; Encode and SetBitRate then
// return ErrClosed.
func (e *VP8Encoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc != nil {
		C.bedside_vp8enc_close(e.enc)
		C.free(unsafe.Pointer(e.enc))
		e.enc = nil
	}
	return nil
}
