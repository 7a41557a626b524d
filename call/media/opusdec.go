package media

/*
#cgo pkg-config: opus
#include <opus.h>

static OpusDecoder *bedside_opus_new(int rate, int channels, int *err) {
	return opus_decoder_create(rate, channels, err);
}
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// OpusDecoder decodes Opus packets with libopus into interleaved int16 PCM.
// It is safe for concurrent use, but decodes one packet at a time.
type OpusDecoder struct {
	mu         sync.Mutex
	dec        *C.OpusDecoder
	sampleRate int
	channels   int
}

// MaxOpusPacket is the largest Opus packet Decode accepts (RFC 6716 allows 48 frames of 1275
// bytes; real packets are a few hundred bytes).
const MaxOpusPacket = 48 * 1275

// MaxOpusFrame is the largest number of samples per channel one Opus packet can decode to
// (120 ms at 48 kHz): a pcm buffer of MaxOpusFrame*channels never is too small.
const MaxOpusFrame = 5760

// NewOpusDecoder returns a decoder producing sampleRate Hz (8000, 12000, 16000, 24000 or 48000)
// PCM with channels (1 or 2) interleaved channels, whatever the packets were encoded with.
func NewOpusDecoder(sampleRate, channels int) (*OpusDecoder, error) {
	switch sampleRate {
	case 8000, 12000, 16000, 24000, 48000:
	default:
		return nil, fmt.Errorf("%w: Opus sample rate %d", ErrBadOptions, sampleRate)
	}
	if channels != 1 && channels != 2 {
		return nil, fmt.Errorf("%w: Opus channel count %d", ErrBadOptions, channels)
	}
	var cerr C.int
	dec := C.bedside_opus_new(C.int(sampleRate), C.int(channels), &cerr)
	if dec == nil || cerr != C.OPUS_OK {
		return nil, fmt.Errorf("%w: opus_decoder_create: %s", ErrDecode, C.GoString(C.opus_strerror(cerr)))
	}
	return &OpusDecoder{dec: dec, sampleRate: sampleRate, channels: channels}, nil
}

// SampleRate is the rate of the PCM the decoder produces.
func (d *OpusDecoder) SampleRate() int { return d.sampleRate }

// Channels is the number of interleaved channels of the PCM the decoder produces.
func (d *OpusDecoder) Channels() int { return d.channels }

// Decode decodes one Opus packet into pcm (interleaved, Channels() channels) and returns the
// number of samples per channel written. pcm must hold the whole packet: len(pcm) >=
// MaxOpusFrame*Channels() always does. An empty packet (nil) asks for packet loss concealment of
// len(pcm)/Channels() samples per channel (use 20 ms worth for one lost packet). Garbage input
// returns an error wrapping ErrDecode and leaves the decoder usable.
func (d *OpusDecoder) Decode(packet []byte, pcm []int16) (samplesPerChannel int, err error) {
	return d.decode(packet, pcm, false)
}

// DecodeFEC recovers a lost packet from the forward error correction data carried by the packet
// that follows it (Opus in-band FEC, "useinbandfec=1" in the SDP). len(pcm)/Channels() must be
// the duration of the lost packet (960 for 20 ms at 48 kHz); when next carries no FEC data,
// libopus conceals the loss instead. Decode next itself afterwards.
func (d *OpusDecoder) DecodeFEC(next []byte, pcm []int16) (samplesPerChannel int, err error) {
	if len(next) == 0 {
		return 0, fmt.Errorf("%w: Opus FEC needs the next packet", ErrBadOptions)
	}
	return d.decode(next, pcm, true)
}

func (d *OpusDecoder) decode(packet []byte, pcm []int16, fec bool) (int, error) {
	if len(packet) > MaxOpusPacket {
		return 0, fmt.Errorf("%w: Opus packet of %d bytes is too large", ErrDecode, len(packet))
	}
	frameSize := len(pcm) / d.channels
	if frameSize == 0 {
		return 0, fmt.Errorf("%w: Opus: empty pcm buffer", ErrBadOptions)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec == nil {
		return 0, ErrClosed
	}
	var data *C.uchar
	if len(packet) > 0 {
		data = (*C.uchar)(unsafe.Pointer(&packet[0]))
	}
	var decodeFEC C.int
	if fec {
		decodeFEC = 1
	}
	n := C.opus_decode(d.dec, data, C.opus_int32(len(packet)),
		(*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(frameSize), decodeFEC)
	if n < 0 {
		return 0, fmt.Errorf("%w: Opus: %s", ErrDecode, C.GoString(C.opus_strerror(n)))
	}
	return int(n), nil
}

// Close frees the decoder. It is safe to call more than once.
func (d *OpusDecoder) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.dec != nil {
		C.opus_decoder_destroy(d.dec)
		d.dec = nil
	}
	return nil
}
