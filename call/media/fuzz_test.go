package media

import (
	"errors"
	"testing"
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
