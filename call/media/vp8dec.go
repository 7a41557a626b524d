package media

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <string.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8dx.h>

static vpx_codec_ctx_t *bedside_vp8_new(unsigned int threads, int *err) {
	vpx_codec_ctx_t *ctx = calloc(1, sizeof *ctx);
	if (ctx == NULL) {
		*err = VPX_CODEC_MEM_ERROR;
		return NULL;
	}
	vpx_codec_dec_cfg_t cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.threads = threads;
	vpx_codec_err_t e = vpx_codec_dec_init(ctx, vpx_codec_vp8_dx(), &cfg, 0);
	if (e != VPX_CODEC_OK) {
		free(ctx);
		*err = (int)e;
		return NULL;
	}
	return ctx;
}

static void bedside_vp8_free(vpx_codec_ctx_t *ctx) {
	vpx_codec_destroy(ctx);
	free(ctx);
}

// bedside_vp8_decode decodes one frame. It returns 0 and the decoder-owned picture in *out,
// 1 when the decoder produced no picture, or the negated vpx_codec_err_t on error.
// The picture stays owned by the decoder: it must not be freed, and is only valid until the
// next call.
static int bedside_vp8_decode(vpx_codec_ctx_t *ctx, const unsigned char *data, unsigned int n, vpx_image_t **out) {
	vpx_codec_err_t e = vpx_codec_decode(ctx, data, n, NULL, 0);
	if (e != VPX_CODEC_OK) {
		return -(int)e;
	}
	vpx_codec_iter_t it = NULL;
	vpx_image_t *img = vpx_codec_get_frame(ctx, &it);
	if (img == NULL) {
		return 1;
	}
	vpx_image_t *next;
	while ((next = vpx_codec_get_frame(ctx, &it)) != NULL) {
		img = next;
	}
	*out = img;
	return 0;
}

static unsigned char *bedside_img_plane(const vpx_image_t *img, int p) { return img->planes[p]; }
static int bedside_img_stride(const vpx_image_t *img, int p) { return img->stride[p]; }
static int bedside_img_fmt(const vpx_image_t *img) { return (int)img->fmt; }
static unsigned int bedside_img_w(const vpx_image_t *img) { return img->d_w; }
static unsigned int bedside_img_h(const vpx_image_t *img) { return img->d_h; }
*/
import "C"

import (
	"fmt"
	"image"
	"sync"
	"unsafe"
)

// Limits on what VP8Decoder accepts, so that a hostile stream cannot make it allocate
// gigabytes: a keyframe announcing a larger picture is rejected before libvpx sees it.
const (
	MaxVP8Width     = 4096
	MaxVP8Height    = 4096
	MaxVP8Pixels    = 4096 * 2304
	MaxVP8FrameSize = 8 << 20 // bytes of one encoded frame
)

// VP8Decoder decodes VP8 frames with libvpx. The pictures it returns are libvpx's own frame
// buffers, not copies: the one copy on the way to the screen is the sink's (see VideoSink).
// It is safe for concurrent use, but decodes one frame at a time.
type VP8Decoder struct {
	mu  sync.Mutex
	ctx *C.vpx_codec_ctx_t
	img image.YCbCr // the last picture: it points into libvpx's frame buffer
}

// NewVP8Decoder returns a single-threaded libvpx VP8 decoder.
func NewVP8Decoder() (*VP8Decoder, error) {
	var cerr C.int
	ctx := C.bedside_vp8_new(1, &cerr)
	if ctx == nil {
		return nil, fmt.Errorf("%w: vpx_codec_dec_init: %s", ErrDecode, C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(cerr))))
	}
	return &VP8Decoder{ctx: ctx}, nil
}

// Decode decodes one complete VP8 frame (the reassembled payload of the RTP packets of one
// picture) and returns the picture, in 4:2:0 with a rectangle starting at (0, 0).
//
// The returned image is libvpx's frame buffer, not a copy: it is only valid until the next
// call to Decode or Close (libvpx then reuses or frees that memory), so copy it (CopyYCbCr, or
// the conversion a VideoSink makes) before keeping it or handing it to another goroutine.
// Decode returns an error wrapping ErrDecode for data the decoder rejects, and ErrNoFrame when
// the decoder produced no picture; in both cases the decoder remains usable, and decoding
// resumes cleanly at the next keyframe.
func (d *VP8Decoder) Decode(frame []byte) (*image.YCbCr, error) {
	if len(frame) == 0 {
		return nil, fmt.Errorf("%w: empty VP8 frame", ErrDecode)
	}
	if len(frame) > MaxVP8FrameSize {
		return nil, fmt.Errorf("%w: VP8 frame of %d bytes is too large", ErrDecode, len(frame))
	}
	if frame[0]&1 == 0 { // keyframe: check the announced size before libvpx allocates for it
		w, h, err := vp8KeyFrameSize(frame)
		if err != nil {
			return nil, err
		}
		if w > MaxVP8Width || h > MaxVP8Height || w*h > MaxVP8Pixels {
			return nil, fmt.Errorf("%w: VP8 picture %dx%d is too large", ErrDecode, w, h)
		}
	}

	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ctx == nil {
		return nil, ErrClosed
	}
	var out *C.vpx_image_t
	rc := C.bedside_vp8_decode(d.ctx, (*C.uchar)(unsafe.Pointer(&frame[0])), C.uint(len(frame)), &out)
	switch {
	case rc < 0:
		return nil, fmt.Errorf("%w: VP8: %s", ErrDecode, C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(-rc))))
	case rc == 1:
		return nil, ErrNoFrame
	}
	if C.bedside_img_fmt(out) != C.VPX_IMG_FMT_I420 {
		return nil, fmt.Errorf("%w: VP8: unexpected picture format %d", ErrDecode, int(C.bedside_img_fmt(out)))
	}
	w, h := int(C.bedside_img_w(out)), int(C.bedside_img_h(out))
	if w <= 0 || h <= 0 || w > MaxVP8Width || h > MaxVP8Height {
		return nil, fmt.Errorf("%w: VP8: bad picture size %dx%d", ErrDecode, w, h)
	}
	ys, cs := int(C.bedside_img_stride(out, C.VPX_PLANE_Y)), int(C.bedside_img_stride(out, C.VPX_PLANE_U))
	cw, ch := (w+1)/2, (h+1)/2
	if ys < w || cs < cw || int(C.bedside_img_stride(out, C.VPX_PLANE_V)) != cs {
		return nil, fmt.Errorf("%w: VP8: unexpected strides %d/%d for %dx%d", ErrDecode, ys, cs, w, h)
	}
	// Slices over the C planes, exactly as long as the picture needs: Go never frees them, and
	// they are dropped (d.img is overwritten) before libvpx reuses the memory.
	d.img = image.YCbCr{
		Y:              unsafe.Slice((*byte)(C.bedside_img_plane(out, C.VPX_PLANE_Y)), (h-1)*ys+w),
		Cb:             unsafe.Slice((*byte)(C.bedside_img_plane(out, C.VPX_PLANE_U)), (ch-1)*cs+cw),
		Cr:             unsafe.Slice((*byte)(C.bedside_img_plane(out, C.VPX_PLANE_V)), (ch-1)*cs+cw),
		YStride:        ys,
		CStride:        cs,
		SubsampleRatio: image.YCbCrSubsampleRatio420,
		Rect:           image.Rect(0, 0, w, h),
	}
	return &d.img, nil
}

// Close frees the decoder. It is safe to call more than once.
func (d *VP8Decoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.ctx != nil {
		C.bedside_vp8_free(d.ctx)
		d.ctx = nil
	}
	d.img = image.YCbCr{}
	return nil
}

// vp8KeyFrameSize parses the picture size from a VP8 keyframe header (RFC 6386 §9.1).
func vp8KeyFrameSize(frame []byte) (w, h int, err error) {
	if len(frame) < 10 {
		return 0, 0, fmt.Errorf("%w: VP8 keyframe header truncated", ErrDecode)
	}
	if frame[3] != 0x9d || frame[4] != 0x01 || frame[5] != 0x2a {
		return 0, 0, fmt.Errorf("%w: VP8 keyframe start code missing", ErrDecode)
	}
	w = int(frame[6]) | int(frame[7]&0x3f)<<8
	h = int(frame[8]) | int(frame[9]&0x3f)<<8
	if w == 0 || h == 0 {
		return 0, 0, fmt.Errorf("%w: VP8 keyframe with empty picture", ErrDecode)
	}
	return w, h, nil
}
