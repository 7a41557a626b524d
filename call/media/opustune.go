package media

/*
#cgo pkg-config: opus
#include <opus.h>

static int bedside_opus_tune(OpusEncoder *e, int loss_pct, int complexity) {
	int rc;
	if ((rc = opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(complexity))) != OPUS_OK) return rc;
	if ((rc = opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(1))) != OPUS_OK) return rc;
	if ((rc = opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(loss_pct))) != OPUS_OK) return rc;
	if ((rc = opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE))) != OPUS_OK) return rc;
	return OPUS_OK;
}

static int bedside_opus_fec(OpusEncoder *e, int *on) {
	opus_int32 v = 0;
	int rc = opus_encoder_ctl(e, OPUS_GET_INBAND_FEC(&v));
	*on = v;
	return rc;
}
*/
import "C"

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/pion/mediadevices/pkg/codec"
)

// opusLossPercent is the packet loss the Opus encoder prepares for: with in-band FEC on, each
// packet carries a low-rate copy of the previous one, which the receiver decodes (DecodeFEC)
// when that one was lost. Hospital Wi-Fi loses packets; 10% buys robustness for a few kbit/s.
const opusLossPercent = 10

// opusComplexity trades Opus encoder CPU for quality (0..10; libopus defaults to 10). 5 is what
// libwebrtc uses on phones: on a weak tablet it costs a fraction of 10, for speech that sounds
// the same.
const opusComplexity = 5

var errNoOpusEngine = errors.New("Opus encoder state not found")

// tuneOpus turns on in-band FEC in mediadevices' Opus encoder, which does not expose it: it
// reaches the libopus encoder through the builder's unexported "engine" field (mediadevices is
// pinned in go.mod; TestOpusTuned fails if an upgrade moves the field). It is called right
// after the build, before the encoder is shared.
func tuneOpus(enc codec.ReadCloser) error {
	v := reflect.ValueOf(enc)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return errNoOpusEngine
	}
	f := v.Elem().FieldByName("engine")
	if !f.IsValid() || f.Kind() != reflect.Pointer {
		return errNoOpusEngine
	}
	p := f.UnsafePointer()
	if p == nil {
		return ErrClosed
	}
	if rc := C.bedside_opus_tune((*C.OpusEncoder)(p), opusLossPercent, opusComplexity); rc != C.OPUS_OK {
		return fmt.Errorf("%w: opus_encoder_ctl: %s", ErrEncode, C.GoString(C.opus_strerror(rc)))
	}
	return nil
}

// opusFECEnabled reports whether in-band FEC is on in mediadevices' Opus encoder (for tests).
func opusFECEnabled(enc codec.ReadCloser) (bool, error) {
	v := reflect.ValueOf(enc)
	if v.Kind() != reflect.Pointer || v.Elem().Kind() != reflect.Struct {
		return false, errNoOpusEngine
	}
	f := v.Elem().FieldByName("engine")
	if !f.IsValid() || f.Kind() != reflect.Pointer || f.UnsafePointer() == nil {
		return false, errNoOpusEngine
	}
	var on C.int
	if rc := C.bedside_opus_fec((*C.OpusEncoder)(f.UnsafePointer()), &on); rc != C.OPUS_OK {
		return false, fmt.Errorf("%w: opus_encoder_ctl: %s", ErrEncode, C.GoString(C.opus_strerror(rc)))
	}
	return on == 1, nil
}
