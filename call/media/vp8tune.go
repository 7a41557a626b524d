package media

/*
#cgo pkg-config: vpx
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

static int bedside_vp8_tune(vpx_codec_ctx_t *c, int cpu_used, int static_thresh, int max_intra_pct) {
	int rc;
	if ((rc = vpx_codec_control(c, VP8E_SET_CPUUSED, cpu_used)) != VPX_CODEC_OK) return rc;
	if ((rc = vpx_codec_control(c, VP8E_SET_STATIC_THRESHOLD, static_thresh)) != VPX_CODEC_OK) return rc;
	if ((rc = vpx_codec_control(c, VP8E_SET_MAX_INTRA_BITRATE_PCT, max_intra_pct)) != VPX_CODEC_OK) return rc;
	return VPX_CODEC_OK;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/pion/mediadevices/pkg/codec"
)

// vp8CPUUsed is libvpx's VP8E_SET_CPUUSED for the encoder. In realtime mode a value n >= 0 lets
// libvpx choose its speed so that encoding takes at most (16-n)/16 of the frame period; the
// default 0 lets it use the whole period, i.e. a whole core on a weak tablet. 10 keeps it to
// about a third of the period (11 ms at 30 fps), adapting to the device and to its load.
const vp8CPUUsed = 10

// vp8Tuner applies the encoder controls that mediadevices' VP8 builder does not expose
// (cpu-used, static threshold, keyframe size cap). It reaches the libvpx context through the
// builder's unexported "codec" field: mediadevices is pinned in go.mod, and TestVP8Tuned fails
// if an upgrade moves the field. mediadevices re-creates the context when the picture size
// changes (possibly at the address of the old one), so apply is called after every frame and
// re-tunes when the context or the configured size changed.
type vp8Tuner struct {
	field        reflect.Value  // the encoder's *C.vpx_codec_ctx_t field
	cfg          reflect.Value  // the encoder's *C.vpx_codec_enc_cfg_t field
	last         unsafe.Pointer // context tuned last
	lastW, lastH C.uint         // configured size when tuned last
	applied      int            // times the controls were applied
	cpuUsed      int
	maxIntraPct  int
	staticThresh int
}

var errNoVP8Context = errors.New("VP8 encoder context not found")

func newVP8Tuner(enc codec.ReadCloser, fps int) (*vp8Tuner, error) {
	v := reflect.ValueOf(enc)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return nil, errNoVP8Context
	}
	f := v.Elem().FieldByName("codec")
	cfg := v.Elem().FieldByName("cfg")
	if !f.IsValid() || f.Kind() != reflect.Pointer || !cfg.IsValid() || cfg.Kind() != reflect.Pointer {
		return nil, errNoVP8Context
	}
	return &vp8Tuner{
		field:   f,
		cfg:     cfg,
		cpuUsed: vp8CPUUsed,
		// Cap a keyframe at what 0.3 s of video may cost (100% is one average frame), like
		// libwebrtc does, so that a keyframe does not burst the network.
		maxIntraPct:  max(300, 30*fps),
		staticThresh: 1, // skip blocks that did not change (camera noise below threshold)
	}, nil
}

// apply tunes the encoder's current libvpx context if it was not tuned yet.
func (t *vp8Tuner) apply() error {
	p := t.field.UnsafePointer()
	cp := t.cfg.UnsafePointer()
	if p == nil || cp == nil {
		return nil
	}
	cfg := (*C.vpx_codec_enc_cfg_t)(cp)
	if p == t.last && cfg.g_w == t.lastW && cfg.g_h == t.lastH {
		return nil
	}
	ctx := (*C.vpx_codec_ctx_t)(p)
	if rc := C.bedside_vp8_tune(ctx, C.int(t.cpuUsed), C.int(t.staticThresh), C.int(t.maxIntraPct)); rc != C.VPX_CODEC_OK {
		return fmt.Errorf("%w: vpx_codec_control: %s", ErrEncode, C.GoString(C.vpx_codec_err_to_string(C.vpx_codec_err_t(rc))))
	}
	t.last, t.lastW, t.lastH = p, cfg.g_w, cfg.g_h
	t.applied++
	return nil
}

// tunedVP8 is mediadevices' VP8 encoder with the vp8Tuner controls applied to its context.
type tunedVP8 struct {
	codec.ReadCloser
	tuner *vp8Tuner
}

func (e *tunedVP8) Read() ([]byte, func(), error) {
	if err := e.tuner.apply(); err != nil {
		return nil, func() {}, err
	}
	data, release, err := e.ReadCloser.Read()
	if err == nil {
		err = e.tuner.apply() // the context is new if the picture size changed
	}
	return data, release, err
}
