package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// quadrants is a picture of four coloured quarters and a white square in the middle.
func quadrants(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			c := color.RGBA{200, 30, 30, 255}
			switch {
			case x >= w/3 && x < 2*w/3 && y >= h/3 && y < 2*h/3:
				c = color.RGBA{255, 255, 255, 255}
			case x >= w/2 && y < h/2:
				c = color.RGBA{30, 200, 30, 255}
			case x < w/2 && y >= h/2:
				c = color.RGBA{30, 30, 200, 255}
			case x >= w/2 && y >= h/2:
				c = color.RGBA{20, 20, 20, 255}
			}
			img.SetRGBA(x, y, c)
		}
	}
	return img
}

func writeFile(t *testing.T, name string, data []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	require.NoError(t, os.WriteFile(path, data, 0o600))
	return path
}

func pngFile(t *testing.T, img image.Image) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, img))
	return writeFile(t, "picture.png", buf.Bytes())
}

// encodeDecode sends pictures through a fresh VP8 encoder and decoder and returns copies of
// the decoded pictures.
func encodeDecode(t *testing.T, pics []*image.YCbCr) []*image.YCbCr {
	t.Helper()
	w, h := pics[0].Rect.Dx(), pics[0].Rect.Dy()
	enc, err := NewVP8Encoder(VP8EncoderOptions{Width: w, Height: h})
	require.NoError(t, err)
	defer enc.Close()
	dec, err := NewVP8Decoder()
	require.NoError(t, err)
	defer dec.Close()
	var out []*image.YCbCr
	var data []byte
	for _, p := range pics {
		data, _, err = enc.Encode(data[:0], p, time.Second/30, false)
		require.NoError(t, err)
		img, err := dec.Decode(data)
		require.NoError(t, err)
		out = append(out, CopyYCbCr(nil, img))
	}
	return out
}

// meanDiff is the mean absolute difference of two equally sized planes.
func meanDiff(a, b []byte) float64 {
	sum := 0
	for i := range a {
		d := int(a[i]) - int(b[i])
		sum += max(d, -d)
	}
	return float64(sum) / float64(len(a))
}

func assertLooksLike(t *testing.T, want, got *image.YCbCr) {
	t.Helper()
	require.Equal(t, want.Rect.Size(), got.Rect.Size())
	assert.Less(t, meanDiff(want.Y, got.Y), 6.0, "luma")
	assert.Less(t, meanDiff(want.Cb, got.Cb), 6.0, "blue chroma")
	assert.Less(t, meanDiff(want.Cr, got.Cr), 6.0, "red chroma")
}

// readFrames reads n pictures from l's source (not started), copied.
func readFrames(t *testing.T, l *Local, n int) []*image.YCbCr {
	t.Helper()
	var out []*image.YCbCr
	for range n {
		img, release, err := l.vsrc.read()
		require.NoError(t, err)
		out = append(out, CopyYCbCr(nil, img.(*image.YCbCr)))
		release()
	}
	return out
}

func TestNewFilePNGRoundTrip(t *testing.T) {
	src := quadrants(320, 240)
	l, err := NewFile(pngFile(t, src), FileOptions{FPS: 30})
	require.NoError(t, err)
	defer l.Close()
	v, a := l.Sources()
	assert.Equal(t, SourceFile, v)
	assert.Equal(t, SourceTone, a)

	pics := readFrames(t, l, 3)
	want, err := stillPicture(src)
	require.NoError(t, err)
	assert.Equal(t, want.Y, pics[0].Y, "the still is sent as is")
	assert.Equal(t, pics[0].Y, pics[2].Y)
	// The middle of the picture is white, its bottom right corner dark.
	assert.Greater(t, pics[0].Y[120*320+160], uint8(230))
	assert.Less(t, pics[0].Y[230*320+310], uint8(40))
	for _, got := range encodeDecode(t, pics) {
		assertLooksLike(t, want, got)
	}
}

func TestNewFileJPEGAndOddSize(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, jpeg.Encode(&buf, quadrants(101, 77), &jpeg.Options{Quality: 95}))
	l, err := NewFile(writeFile(t, "p.jpg", buf.Bytes()), FileOptions{Silence: true})
	require.NoError(t, err)
	defer l.Close()
	_, a := l.Sources()
	assert.Equal(t, SourceSilence, a)
	pic := readFrames(t, l, 1)[0]
	assert.Equal(t, image.Pt(100, 76), pic.Rect.Size(), "cropped to an even size")
	assertLooksLike(t, pic, encodeDecode(t, []*image.YCbCr{pic})[0])
}

func TestNewFileLargeStillIsScaledDown(t *testing.T) {
	l, err := NewFile(pngFile(t, quadrants(2600, 1500)), FileOptions{FPS: 5})
	require.NoError(t, err)
	defer l.Close()
	pic := readFrames(t, l, 1)[0]
	assert.Equal(t, image.Pt(866, 500), pic.Rect.Size())
	assert.Equal(t, 5, l.fps)
}

func y4mFile(t *testing.T, frames, w, h, fps int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.y4m")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, WriteY4M(f, frames, w, h, fps))
	require.NoError(t, f.Close())
	return path
}

func TestNewFileY4MRoundTripAndLoop(t *testing.T) {
	const frames = 5
	path := y4mFile(t, frames, 176, 144, 25)
	fi, err := os.Stat(path)
	require.NoError(t, err)
	header := "YUV4MPEG2 W176 H144 F25:1 Ip A1:1 C420jpeg\n"
	assert.Equal(t, int64(len(header)+frames*(6+176*144*3/2)), fi.Size())

	l, err := NewFile(path, FileOptions{FPS: 7})
	require.NoError(t, err)
	defer l.Close()
	assert.Equal(t, 25, l.fps, "a clip plays at its own rate")
	assert.Equal(t, 40*time.Millisecond, l.vsrc.(*y4mClip).period)

	pics := readFrames(t, l, frames+2)
	pat := newTestPattern(176, 144)
	var want []*image.YCbCr
	for range frames {
		want = append(want, CopyYCbCr(nil, pat.next()))
	}
	for i, got := range pics {
		assert.Equal(t, want[i%frames].Y, got.Y, "frame %d is frame %d of the clip", i, i%frames)
		assert.Equal(t, want[i%frames].Cr, got.Cr)
	}
	for i, got := range encodeDecode(t, pics) {
		assertLooksLike(t, want[i%frames], got)
	}
}

func TestNewFileStartSends(t *testing.T) {
	l, err := NewFile(y4mFile(t, 3, 320, 240, 30), FileOptions{})
	require.NoError(t, err)
	bindBoth(l)
	require.NoError(t, l.Start(context.Background()))
	deadline := time.Now().Add(20 * time.Second)
	for l.Stats().VideoFrames < 10 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(t, l.Close())
	st := l.Stats()
	assert.GreaterOrEqual(t, st.VideoFrames, uint64(10))
	assert.Equal(t, 320, st.Width)
	assert.Positive(t, st.AudioPackets)
}

func TestNewFileDamagedTailLoops(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteY4M(&buf, 2, 64, 48, 30))
	buf.WriteString("FRAME\n")
	buf.Write(make([]byte, 100)) // a truncated third frame
	l, err := NewFile(writeFile(t, "c.y4m", buf.Bytes()), FileOptions{})
	require.NoError(t, err)
	defer l.Close()
	pics := readFrames(t, l, 4)
	assert.Equal(t, pics[0].Y, pics[2].Y, "after the damaged frame the clip starts again")
}

func TestNewFileRejectsBadFiles(t *testing.T) {
	frame := "FRAME\n" + string(make([]byte, 4*4*3/2))
	cases := []struct {
		name, data, want string
	}{
		{"empty", "", "not a PNG, JPEG or Y4M"},
		{"text", "hello, world\n", "not a PNG, JPEG or Y4M"},
		{"truncated png", string(pngBytes(t)[:60]), "not a PNG, JPEG or Y4M"},
		{"tiny png", string(pngOf(t, 1, 1)), "too small"},
		{"png bomb", string(pngHeader(100000, 100000)), "picture of 100000x100000"},
		{"no size", "YUV4MPEG2 F30:1\n" + frame, "without a picture size"},
		{"no rate", "YUV4MPEG2 W4 H4\n" + frame, "without a frame rate"},
		{"zero rate", "YUV4MPEG2 W4 H4 F0:1\n" + frame, "without a frame rate"},
		{"bad width", "YUV4MPEG2 Wabc H4 F30:1\n" + frame, "header field"},
		{"bad rate", "YUV4MPEG2 W4 H4 F30\n" + frame, "header field"},
		{"odd size", "YUV4MPEG2 W5 H4 F30:1\n" + frame, "picture size 5x4"},
		{"huge", "YUV4MPEG2 W8192 H4 F30:1\n" + frame, "picture size 8192x4"},
		{"4:4:4", "YUV4MPEG2 W4 H4 F30:1 C444\n" + frame, "colour space C444"},
		{"10 bits", "YUV4MPEG2 W4 H4 F30:1 C420p10\n" + frame, "colour space C420p10"},
		{"interlaced", "YUV4MPEG2 W4 H4 F30:1 It\n" + frame, "interlaced"},
		{"no frames", "YUV4MPEG2 W4 H4 F30:1\n", "first frame"},
		{"no FRAME", "YUV4MPEG2 W4 H4 F30:1\nFRAMX\n" + string(make([]byte, 24)), "does not start with FRAME"},
		{"short frame", "YUV4MPEG2 W4 H4 F30:1\nFRAME\n" + string(make([]byte, 10)), "unexpected EOF"},
		{"no header end", "YUV4MPEG2 W4 H4 F30:1", "unexpected EOF"},
		{"long header", "YUV4MPEG2 " + string(bytes.Repeat([]byte("X"), 2000)), "too long"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewFile(writeFile(t, "f", []byte(c.data)), FileOptions{})
			require.ErrorIs(t, err, ErrBadFile)
			assert.Contains(t, err.Error(), c.want)
		})
	}

	_, err := NewFile(filepath.Join(t.TempDir(), "missing.png"), FileOptions{})
	require.ErrorIs(t, err, os.ErrNotExist)
	_, err = NewFile(pngFile(t, quadrants(8, 8)), FileOptions{FPS: 61})
	require.ErrorIs(t, err, ErrBadOptions)
	_, err = NewFile(pngFile(t, quadrants(8, 8)), FileOptions{ToneHz: -1})
	require.ErrorIs(t, err, ErrBadOptions)
}

func TestWriteY4MBadOptions(t *testing.T) {
	for _, c := range [][4]int{{0, 64, 48, 30}, {1, 63, 48, 30}, {1, 64, 48, 0}, {1, 0, 0, 30}} {
		require.ErrorIs(t, WriteY4M(&bytes.Buffer{}, c[0], c[1], c[2], c[3]), ErrBadOptions, "%v", c)
	}
}

func pngOf(t *testing.T, w, h int) []byte {
	var buf bytes.Buffer
	require.NoError(t, png.Encode(&buf, quadrants(w, h)))
	return buf.Bytes()
}

func pngBytes(t *testing.T) []byte { return pngOf(t, 64, 48) }

// pngHeader is the start of a PNG announcing a w x h RGBA picture, without its pixels.
func pngHeader(w, h uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, w)
	ihdr = binary.BigEndian.AppendUint32(ihdr, h)
	ihdr = append(ihdr, 8, 6, 0, 0, 0)
	out := []byte("\x89PNG\r\n\x1a\n")
	out = binary.BigEndian.AppendUint32(out, uint32(len(ihdr)))
	chunk := append([]byte("IHDR"), ihdr...)
	out = append(out, chunk...)
	return binary.BigEndian.AppendUint32(out, crc32.ChecksumIEEE(chunk))
}

// FuzzNewFile feeds NewFile arbitrary files: it must fail cleanly or give a Local whose source
// reads pictures of the size it announced.
func FuzzNewFile(f *testing.F) {
	var y4m bytes.Buffer
	if err := WriteY4M(&y4m, 2, 16, 8, 30); err != nil {
		f.Fatal(err)
	}
	f.Add(y4m.Bytes())
	f.Add([]byte("YUV4MPEG2 W4 H2 F60:1 C420\nFRAME\n123456789012FRAME xyz\n123456789012"))
	var p, j bytes.Buffer
	if err := png.Encode(&p, quadrants(10, 6)); err != nil {
		f.Fatal(err)
	}
	if err := jpeg.Encode(&j, quadrants(10, 6), nil); err != nil {
		f.Fatal(err)
	}
	f.Add(p.Bytes())
	f.Add(j.Bytes())
	f.Add(pngHeader(5000, 5000))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "f")
		require.NoError(t, os.WriteFile(path, data, 0o600))
		l, err := NewFile(path, FileOptions{FPS: 60})
		if err != nil {
			require.True(t, errors.Is(err, ErrBadFile) || errors.Is(err, ErrBadOptions), "%v", err)
			return
		}
		defer l.Close()
		img, release, err := l.vsrc.read()
		require.NoError(t, err)
		assert.Equal(t, image.Pt(l.width, l.height), img.Bounds().Size())
		release()
	})
}

// A clip of the test pattern, written to a file and sent by a Local as its camera.
func ExampleNewFile() {
	dir, err := os.MkdirTemp("", "clip")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "clip.y4m")
	f, err := os.Create(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := WriteY4M(f, 30, 320, 240, 15); err != nil { // one second of 320x240 at 15 fps
		fmt.Println(err)
		return
	}
	f.Close()

	l, err := NewFile(path, FileOptions{Silence: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer l.Close()
	video, audio := l.Sources()
	fmt.Println(video, "and", audio)
	// Add l.VideoTrack() and l.AudioTrack() to a peer connection, then l.Start(ctx).

	// Output: file and silence
}
