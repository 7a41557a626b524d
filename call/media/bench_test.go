package media

import (
	"context"
	"image"
	"image/draw"
	"syscall"
	"testing"
	"time"
)

// reportPerFrame reports the mean time per iteration in milliseconds.
func reportPerFrame(b *testing.B, elapsed time.Duration) {
	b.ReportMetric(float64(elapsed.Microseconds())/1000/float64(b.N), "ms/frame")
}

// BenchmarkVP8Encode640x480 encodes the moving test pattern paced at 30 fps, as on a tablet
// (caches go cold between frames, as they do there). Only the encoder calls are timed.
func BenchmarkVP8Encode640x480(b *testing.B) {
	s := newVP8Stream(b, 640, 480)
	const period = time.Second / 30
	var spent time.Duration
	var bytes int
	b.ResetTimer()
	cpu := startThreadCPU()
	for range b.N {
		t0 := time.Now()
		bytes += len(s.next(b))
		d := time.Since(t0)
		spent += d
		b.StopTimer()
		time.Sleep(period - d)
		b.StartTimer()
	}
	cpu.stop(b)
	reportPerFrame(b, spent)
	b.ReportMetric(float64(bytes)*8/1000/(float64(b.N)/30), "kbit/s")
}

// BenchmarkVP8Encode640x480Unpaced encodes as fast as possible (each frame still said to last
// 1/30 s, and the speed is fixed): the floor of the encode cost, with warm caches.
func BenchmarkVP8Encode640x480Unpaced(b *testing.B) {
	s := newVP8Stream(b, 640, 480)
	b.ResetTimer()
	cpu := startThreadCPU()
	t0 := time.Now()
	for range b.N {
		s.next(b)
	}
	cpu.stop(b)
	reportPerFrame(b, time.Since(t0))
}

// BenchmarkVP8Decode640x480 decodes a 3-second stream of the test pattern (one keyframe, then
// inter frames), looping over it.
func BenchmarkVP8Decode640x480(b *testing.B) {
	s := newVP8Stream(b, 640, 480)
	frames := make([][]byte, 90)
	for i := range frames {
		frames[i] = s.nextCopy(b)
	}
	dec, err := NewVP8Decoder()
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	b.ResetTimer()
	cpu := startThreadCPU()
	t0 := time.Now()
	for i := range b.N {
		if _, err := dec.Decode(frames[i%len(frames)]); err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop(b)
	reportPerFrame(b, time.Since(t0))
}

// BenchmarkVP8DecodeToScreen measures what a decoded frame costs on its way to the screen:
// decode, then the kiosk's one copy (conversion to RGBA, as app.copyFrame does). The reference
// "two-copies" adds the copy the decoder made before it handed out libvpx's own planes.
func BenchmarkVP8DecodeToScreen(b *testing.B) {
	s := newVP8Stream(b, 640, 480)
	frames := make([][]byte, 90)
	for i := range frames {
		frames[i] = s.nextCopy(b)
	}
	for _, extraCopy := range []bool{false, true} {
		name := "one-copy"
		if extraCopy {
			name = "two-copies"
		}
		b.Run(name, func(b *testing.B) {
			dec, err := NewVP8Decoder()
			if err != nil {
				b.Fatal(err)
			}
			defer dec.Close()
			var cp *image.YCbCr
			rgba := image.NewRGBA(image.Rect(0, 0, 640, 480))
			b.ReportAllocs()
			b.ResetTimer()
			cpu := startThreadCPU()
			t0 := time.Now()
			for i := range b.N {
				img, err := dec.Decode(frames[i%len(frames)])
				if err != nil {
					b.Fatal(err)
				}
				if extraCopy {
					cp = CopyYCbCr(cp, img)
					img = cp
				}
				draw.Draw(rgba, rgba.Rect, img, img.Rect.Min, draw.Src)
			}
			cpu.stop(b)
			reportPerFrame(b, time.Since(t0))
		})
	}
}

// BenchmarkOpusEncode encodes 20 ms frames of the test tone (one frame per iteration).
func BenchmarkOpusEncode(b *testing.B) {
	s := newOpusStream(b, 440)
	b.ResetTimer()
	cpu := startThreadCPU()
	t0 := time.Now()
	for range b.N {
		s.next(b)
	}
	cpu.stop(b)
	reportPerFrame(b, time.Since(t0))
}

// BenchmarkOpusDecode decodes 20 ms packets of the test tone to 48 kHz stereo.
func BenchmarkOpusDecode(b *testing.B) {
	s := newOpusStream(b, 440)
	packets := make([][]byte, 50)
	for i := range packets {
		packets[i] = s.next(b)
	}
	dec, err := NewOpusDecoder(48000, 2)
	if err != nil {
		b.Fatal(err)
	}
	defer dec.Close()
	pcm := make([]int16, MaxOpusFrame*2)
	b.ResetTimer()
	cpu := startThreadCPU()
	t0 := time.Now()
	for i := range b.N {
		if _, err := dec.Decode(packets[i%len(packets)], pcm); err != nil {
			b.Fatal(err)
		}
	}
	cpu.stop(b)
	reportPerFrame(b, time.Since(t0))
}

// BenchmarkTestPattern draws one 640x480 frame of the synthetic picture.
func BenchmarkTestPattern(b *testing.B) {
	p := newTestPattern(640, 480)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startThreadCPU()
	t0 := time.Now()
	for range b.N {
		p.next()
	}
	cpu.stop(b)
	reportPerFrame(b, time.Since(t0))
}

// BenchmarkLocal640x480 runs a whole test Local (pattern, VP8, tone, Opus, tracks bound as if
// to a peer, without one) at 30 fps for b.N video frames and reports the process CPU time per video frame and
// the share of one core it takes: what the outgoing media costs a tablet.
func BenchmarkLocal640x480(b *testing.B) {
	l, err := NewTest(TestOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	l.videoBound(1) // as a peer connection sending the tracks does
	l.audioBound(1)
	b.ResetTimer()
	if err := l.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	for l.Stats().VideoFrames < uint64(b.N) {
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano()+ru1.Stime.Nano()-ru0.Utime.Nano()-ru0.Stime.Nano()) / time.Duration(b.N)
	b.ReportMetric(float64(cpu.Microseconds())/1000, "cpu-ms/frame")
	b.ReportMetric(100*float64(cpu)/float64(time.Second/30), "%core")
	s := l.Stats()
	b.ReportMetric(float64(s.MeanEncodeTime().Microseconds())/1000, "encode-ms/frame")
}

// BenchmarkLocalIdle runs a started test Local with no peer and no preview for b.N frame
// periods (33 ms) and reports the share of one core it takes: what an idle, paired tablet
// pays for its outgoing media (nothing is captured or encoded).
func BenchmarkLocalIdle(b *testing.B) {
	l, err := NewTest(TestOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	if err := l.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	t0 := time.Now()
	b.ResetTimer()
	time.Sleep(time.Duration(b.N) * time.Second / 30)
	b.StopTimer()
	elapsed := time.Since(t0)
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano())
	b.ReportMetric(100*float64(cpu)/float64(elapsed), "%core")
	if s := l.Stats(); s.VideoFrames != 0 || s.AudioPackets != 0 || s.VideoCaptured != 0 {
		b.Fatalf("an idle Local worked: %+v", s)
	}
}
