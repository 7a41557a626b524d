package media

import (
	"errors"
	"image"
	"testing"
	"time"
)

// FuzzVP8Decode feeds arbitrary frames to a decoder that has seen a valid stream start: it must
// return a picture or an error, never crash, and stay usable.
func FuzzVP8Decode(f *testing.F) {
	s := newVP8Stream(f, 160, 120)
	key := s.nextCopy(f)
	inter := s.nextCopy(f)
	f.Add(key)
	f.Add(inter)
	f.Add(key[:len(key)/2])
	f.Add([]byte{0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xa0, 0x00, 0x78, 0x00})
	f.Add([]byte{})

	dec, err := NewVP8Decoder()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = dec.Close() })
	f.Fuzz(func(t *testing.T, frame []byte) {
		img, err := dec.Decode(frame)
		if err != nil {
			if !errors.Is(err, ErrDecode) && !errors.Is(err, ErrNoFrame) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if img.Rect.Dx() <= 0 || img.Rect.Dy() <= 0 || img.Rect.Dx() > MaxVP8Width || img.Rect.Dy() > MaxVP8Height {
			t.Fatalf("bad picture size %v", img.Rect)
		}
		if _, err := dec.Decode(key); err != nil {
			t.Fatalf("decoder unusable after fuzz input: %v", err)
		}
	})
}

// FuzzOpusDecode feeds arbitrary packets to an Opus decoder: it must decode or refuse, never
// crash, never write more than the buffer holds.
func FuzzOpusDecode(f *testing.F) {
	s := newOpusStream(f, 440)
	for range 3 {
		f.Add(s.next(f))
	}
	f.Add([]byte{0x03})
	f.Add([]byte{0xff, 0xff, 0xff})
	f.Add([]byte{})

	dec, err := NewOpusDecoder(48000, 2)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = dec.Close() })
	pcm := make([]int16, MaxOpusFrame*2)
	f.Fuzz(func(t *testing.T, packet []byte) {
		n, err := dec.Decode(packet, pcm[:960*2])
		if err != nil {
			if !errors.Is(err, ErrDecode) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		if n < 0 || n > 960 {
			t.Fatalf("decoded %d samples into a 960-sample buffer", n)
		}
	})
}

// FuzzVP8EncodeInput hands the encoder pictures with arbitrary rectangles, strides, plane
// lengths and subsampling: it must encode them or refuse them with ErrBadOptions, never read
// past a plane (the race detector and the Go runtime would not see libvpx do it, so the
// checks before libvpx are what this exercises), and stay usable.
func FuzzVP8EncodeInput(f *testing.F) {
	f.Add(uint16(0), uint16(0), uint16(64), uint16(48), 64, 32, 64*48, 32*24, 32*24, uint8(image.YCbCrSubsampleRatio420))
	f.Add(uint16(2), uint16(2), uint16(34), uint16(26), 64, 32, 64*48, 32*24, 32*24, uint8(image.YCbCrSubsampleRatio420))
	f.Add(uint16(0), uint16(0), uint16(63), uint16(47), 64, 32, 64*48-1, 32*24, 32*24, uint8(image.YCbCrSubsampleRatio420))
	f.Add(uint16(0), uint16(0), uint16(64), uint16(48), 1<<40, 32, 64*48, 32*24, 32*24, uint8(image.YCbCrSubsampleRatio422))
	enc, err := NewVP8Encoder(VP8EncoderOptions{Width: 64, Height: 48})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = enc.Close() })
	good := newTestPattern(64, 48).next()
	var frame []byte
	f.Fuzz(func(t *testing.T, x0, y0, w, h uint16, ystride, cstride, ylen, clen, crlen int, ratio uint8) {
		const maxPlane = 1 << 20 // keep the fuzzer's allocations small
		if ylen < 0 || clen < 0 || crlen < 0 || ylen > maxPlane || clen > maxPlane || crlen > maxPlane {
			return
		}
		x, y := int(x0%512), int(y0%512)
		img := &image.YCbCr{
			Y: make([]byte, ylen), Cb: make([]byte, clen), Cr: make([]byte, crlen),
			YStride: ystride, CStride: cstride,
			SubsampleRatio: image.YCbCrSubsampleRatio(ratio % 6),
			Rect:           image.Rect(x, y, x+int(w%600), y+int(h%600)),
		}
		frame, _, err = enc.Encode(frame[:0], img, time.Second/30, false)
		if err != nil && !errors.Is(err, ErrBadOptions) {
			t.Fatalf("unexpected error kind: %v", err)
		}
		if _, _, err := enc.Encode(frame[:0], good, time.Second/30, false); err != nil {
			t.Fatalf("encoder unusable after fuzz input: %v", err)
		}
	})
}

// FuzzOpusEncodeInput hands the encoder frames of arbitrary length: only 20 ms is taken.
func FuzzOpusEncodeInput(f *testing.F) {
	f.Add(OpusFrameSamples)
	f.Add(0)
	f.Add(OpusFrameSamples + 1)
	enc, err := NewOpusEncoder()
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = enc.Close() })
	f.Fuzz(func(t *testing.T, n int) {
		if n < 0 || n > 1<<16 {
			return
		}
		out, err := enc.Encode(nil, make([]int16, n))
		switch {
		case n == OpusFrameSamples && (err != nil || len(out) == 0):
			t.Fatalf("a 20 ms frame: %v", err)
		case n != OpusFrameSamples && !errors.Is(err, ErrBadOptions):
			t.Fatalf("%d samples: %v", n, err)
		}
	})
}
