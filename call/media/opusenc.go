package media

/*
#cgo pkg-config: opus
#include <opus.h>

// bedside_opusenc_new creates a 48 kHz mono VoIP encoder and sets it up; on failure it returns
// NULL with the error in *err and the name of the call that failed in *what.
static OpusEncoder *bedside_opusenc_new(int bitrate, int complexity, int loss_pct, int *err, const char **what) {
	OpusEncoder *e = opus_encoder_create(48000, 1, OPUS_APPLICATION_VOIP, err);
	if (e == NULL || *err != OPUS_OK) {
		*what = "opus_encoder_create";
		if (e != NULL) opus_encoder_destroy(e);
		if (*err == OPUS_OK) *err = OPUS_ALLOC_FAIL;
		return NULL;
	}
	*what = NULL;
	if ((*err = opus_encoder_ctl(e, OPUS_SET_BITRATE(bitrate))) != OPUS_OK) *what = "OPUS_SET_BITRATE";
	else if ((*err = opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(complexity))) != OPUS_OK) *what = "OPUS_SET_COMPLEXITY";
	else if ((*err = opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(1))) != OPUS_OK) *what = "OPUS_SET_INBAND_FEC";
	else if ((*err = opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(loss_pct))) != OPUS_OK) *what = "OPUS_SET_PACKET_LOSS_PERC";
	else if ((*err = opus_encoder_ctl(e, OPUS_SET_SIGNAL(OPUS_SIGNAL_VOICE))) != OPUS_OK) *what = "OPUS_SET_SIGNAL";
	else if ((*err = opus_encoder_ctl(e, OPUS_SET_EXPERT_FRAME_DURATION(OPUS_FRAMESIZE_20_MS))) != OPUS_OK) *what = "OPUS_SET_EXPERT_FRAME_DURATION";
	if (*what != NULL) {
		opus_encoder_destroy(e);
		return NULL;
	}
	return e;
}

static int bedside_opusenc_set_bitrate(OpusEncoder *e, int bitrate) {
	return opus_encoder_ctl(e, OPUS_SET_BITRATE(bitrate));
}

static int bedside_opusenc_get(OpusEncoder *e, int *fec, int *loss, int *complexity, int *signal) {
	opus_int32 v;
	int rc;
	if ((rc = opus_encoder_ctl(e, OPUS_GET_INBAND_FEC(&v))) != OPUS_OK) return rc;
	*fec = v;
	if ((rc = opus_encoder_ctl(e, OPUS_GET_PACKET_LOSS_PERC(&v))) != OPUS_OK) return rc;
	*loss = v;
	if ((rc = opus_encoder_ctl(e, OPUS_GET_COMPLEXITY(&v))) != OPUS_OK) return rc;
	*complexity = v;
	if ((rc = opus_encoder_ctl(e, OPUS_GET_SIGNAL(&v))) != OPUS_OK) return rc;
	*signal = v;
	return OPUS_OK;
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// Settings of the Opus encoder.
const (
	// OpusFrameSamples is the number of samples of one 20 ms frame of 48 kHz mono: what
	// OpusEncoder.Encode takes.
	OpusFrameSamples = audioRate * 20 / 1000
	// audioBitRate is the Opus target: plenty for voice.
	audioBitRate = 32_000
	// opusLossPercent is the packet loss the encoder prepares for: with in-band FEC on, each
	// packet carries a low-rate copy of the previous one, which the receiver decodes
	// (DecodeFEC) when that one was lost. Hospital Wi-Fi loses packets; 10% buys robustness
	// for a few kbit/s.
	opusLossPercent = 10
	// opusComplexity trades encoder CPU for quality (0..10; libopus defaults to 10). 5 is what
	// libwebrtc uses on phones: on a weak tablet it costs a fraction of 10, for speech that
	// sounds the same.
	opusComplexity = 5
	// maxOpusEncoded is the room Encode gives libopus for one packet (a 20 ms frame is at most
	// 1275 bytes plus its header).
	maxOpusEncoded = 1500
	// Bounds of OpusEncoder.SetBitRate, bits per second (libopus' own range).
	minOpusBitRate = 6_000
	maxOpusBitRate = 510_000
)

// OpusEncoder encodes 20 ms frames of 48 kHz mono int16 PCM into Opus packets with libopus:
// VoIP application, voice signal, 32 kbit/s, complexity 5, in-band FEC for 10% loss.
//
// It is safe for concurrent use, but encodes one frame at a time.
type OpusEncoder struct {
	mu  sync.Mutex
	enc *C.OpusEncoder // nil once closed
}

// NewOpusEncoder returns a libopus encoder for 48 kHz mono voice.
func NewOpusEncoder() (*OpusEncoder, error) {
	var cerr C.int
	var what *C.char
	enc := C.bedside_opusenc_new(audioBitRate, opusComplexity, opusLossPercent, &cerr, &what)
	if enc == nil {
		return nil, fmt.Errorf("%w: Opus %s: %s", ErrEncode, C.GoString(what), C.GoString(C.opus_strerror(cerr)))
	}
	return &OpusEncoder{enc: enc}, nil
}

// SetBitRate changes the target bit rate (bits per second, 6000..510000).
func (e *OpusEncoder) SetBitRate(bps int) error {
	if bps < minOpusBitRate || bps > maxOpusBitRate {
		return fmt.Errorf("%w: Opus bit rate %d (%d..%d)", ErrBadOptions, bps, minOpusBitRate, maxOpusBitRate)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return ErrClosed
	}
	if rc := C.bedside_opusenc_set_bitrate(e.enc, C.int(bps)); rc != C.OPUS_OK {
		return fmt.Errorf("%w: Opus OPUS_SET_BITRATE: %s", ErrEncode, C.GoString(C.opus_strerror(rc)))
	}
	return nil
}

// Encode encodes one 20 ms frame (exactly OpusFrameSamples samples of 48 kHz mono) and
// appends the packet to dst, which it returns extended. Any other length is refused with an
// error wrapping ErrBadOptions before libopus reads it; a libopus failure wraps ErrEncode.
func (e *OpusEncoder) Encode(dst []byte, pcm []int16) ([]byte, error) {
	if len(pcm) != OpusFrameSamples {
		return dst, fmt.Errorf("%w: Opus frame of %d samples (want %d: 20 ms at 48 kHz mono)",
			ErrBadOptions, len(pcm), OpusFrameSamples)
	}
	if cap(dst)-len(dst) < maxOpusEncoded {
		dst = append(dst, make([]byte, maxOpusEncoded)...)[:len(dst)]
	}
	out := dst[len(dst) : len(dst)+maxOpusEncoded]
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return dst, ErrClosed
	}
	n := C.opus_encode(e.enc, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)),
		(*C.uchar)(unsafe.Pointer(&out[0])), C.opus_int32(len(out)))
	if n < 0 {
		return dst, fmt.Errorf("%w: Opus: %s", ErrEncode, C.GoString(C.opus_strerror(C.int(n))))
	}
	return dst[:len(dst)+int(n)], nil
}

// opusSettings are the encoder's settings as libopus reports them (for tests).
type opusSettings struct{ fec, loss, complexity, signal int }

func (e *OpusEncoder) settings() (opusSettings, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc == nil {
		return opusSettings{}, ErrClosed
	}
	var fec, loss, cx, sig C.int
	if rc := C.bedside_opusenc_get(e.enc, &fec, &loss, &cx, &sig); rc != C.OPUS_OK {
		return opusSettings{}, fmt.Errorf("%w: opus_encoder_ctl: %s", ErrEncode, C.GoString(C.opus_strerror(rc)))
	}
	return opusSettings{int(fec), int(loss), int(cx), int(sig)}, nil
}

// Close frees the encoder. It is safe to call more than once; Encode and SetBitRate then
// return ErrClosed.
func (e *OpusEncoder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.enc != nil {
		C.opus_encoder_destroy(e.enc)
		e.enc = nil
	}
	return nil
}
