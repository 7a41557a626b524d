package app

import (
	"image"
	"image/color"
	"testing"
	"time"

	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/test"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestVideoViewCopiesAndDropsFrames(t *testing.T) {
	test.NewTempApp(t)
	v := NewVideoView(SystemClock{}, canvas.ImageFillContain)
	w := test.NewTempWindow(t, v)
	_ = w
	src := image.NewYCbCr(image.Rect(0, 0, 16, 8), image.YCbCrSubsampleRatio420)
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = 128, 128
	}
	for i := 0; i < 3; i++ {
		src.Y[0] = byte(100 + 10*i)
		v.Frame(src)
	}
	// On the test driver fyne.Do runs at once, so every frame is drawn; what the view shows
	// is an RGBA copy, unaffected when the sender reuses its buffer.
	shown, ok := v.img.Image.(*image.RGBA)
	require.True(t, ok)
	assert.Equal(t, byte(120), shown.Pix[0])
	src.Y[0] = 99
	assert.Equal(t, byte(120), shown.Pix[0])
	rec, drawn := v.Stats()
	assert.Equal(t, uint64(3), rec)
	assert.Equal(t, uint64(3), drawn)
	_, any := v.SinceLastFrame()
	assert.True(t, any)
	v.Clear()
	assert.Nil(t, v.img.Image)
}

func TestCopyFrameKinds(t *testing.T) {
	rgba := image.NewRGBA(image.Rect(0, 0, 4, 4))
	rgba.Set(1, 1, color.White)
	c := copyFrame(nil, rgba)
	assert.Equal(t, rgba.Pix, c.(*image.RGBA).Pix)
	c2 := copyFrame(c, rgba)
	assert.Same(t, c.(*image.RGBA), c2.(*image.RGBA), "a matching buffer is reused")
	gray := image.NewGray(image.Rect(0, 0, 4, 4))
	gray.Set(2, 2, color.White)
	g := copyFrame(nil, gray)
	r, _, _, _ := g.At(2, 2).RGBA()
	assert.Equal(t, uint32(0xffff), r)
}

func BenchmarkVideoViewFrame(b *testing.B) {
	test.NewTempApp(b)
	v := NewVideoView(SystemClock{}, canvas.ImageFillContain)
	test.NewTempWindow(b, v)
	src := image.NewYCbCr(image.Rect(0, 0, 640, 480), image.YCbCrSubsampleRatio420)
	b.ReportAllocs()
	for b.Loop() {
		v.Frame(src)
	}
}

func TestFramesAtRestAreDropped(t *testing.T) {
	a := test.NewTempApp(t)
	k, err := New(Config{App: a, Paired: true})
	require.NoError(t, err)
	frame := image.NewRGBA(image.Rect(0, 0, 8, 8))
	k.RemoteVideo().Frame(frame)
	k.SelfView().Frame(frame)
	rec, _ := k.remoteView.Stats()
	self, _ := k.selfView.Stats()
	assert.Zero(t, rec+self, "no copying or drawing on the home screen")

	k.handleCall(CallEvent{State: InCall, Peer: Contact{Name: "Anna"}})
	k.RemoteVideo().Frame(frame)
	k.SelfView().Frame(frame)
	rec, _ = k.remoteView.Stats()
	self, _ = k.selfView.Stats()
	assert.Equal(t, uint64(2), rec+self)

	k.handleCall(CallEvent{State: Ended, Peer: Contact{Name: "Anna"}, Reason: "hangup"})
	k.RemoteVideo().Frame(frame)
	rec2, _ := k.remoteView.Stats()
	assert.Equal(t, rec, rec2, "dropped again after the call")
}

// A rate-limited view takes one frame in each interval, and a rider leaves its frames to its
// lead's redraws while the lead's video flows, drawing them itself once the lead stalls.
func TestVideoViewRateAndRide(t *testing.T) {
	test.NewTempApp(t)
	clock := &stepClock{now: time.Unix(1000, 0)}
	lead := NewVideoView(clock, canvas.ImageFillContain)
	self := NewVideoView(clock, canvas.ImageFillContain)
	self.limitRate(10)
	self.rideWith(lead)
	test.NewTempWindow(t, container.NewStack(lead, self))
	frame := image.NewRGBA(image.Rect(0, 0, 8, 8))
	advance := func(d time.Duration) {
		clock.mu.Lock()
		clock.now = clock.now.Add(d)
		clock.mu.Unlock()
	}

	for range 9 { // 30 fps for 0.3 s: one frame in three is taken
		self.Frame(frame)
		advance(time.Second / 30)
	}
	rec, drawn := self.Stats()
	assert.Equal(t, uint64(9), rec)
	assert.Equal(t, uint64(3), drawn, "the lead has drawn nothing: the self-view draws its own")

	lead.Frame(frame)
	self.Frame(frame)
	_, drawn = self.Stats()
	assert.Equal(t, uint64(3), drawn, "left to the lead's next redraw")
	advance(time.Second / 30)
	lead.Frame(frame)
	_, drawn = self.Stats()
	assert.Equal(t, uint64(4), drawn, "drawn with the lead's frame")

	advance(time.Second) // the lead stalls
	self.Frame(frame)
	_, drawn = self.Stats()
	assert.Equal(t, uint64(5), drawn)
	assert.False(t, self.bg.Visible(), "no black background under a frame")
	self.Clear()
	assert.True(t, self.bg.Visible())
}

// TestCopyFramePaddedYCbCr hands copyFrame a picture laid out like libvpx's frame buffers
// (rows longer than the picture, planes cut to what the picture needs), which the call engine
// passes on without copying: the RGBA copy is the picture, pixel for pixel.
func TestCopyFramePaddedYCbCr(t *testing.T) {
	const w, h, ys, cs = 10, 6, 48, 32
	src := &image.YCbCr{
		Y: make([]byte, (h-1)*ys+w), Cb: make([]byte, (h/2-1)*cs+w/2), Cr: make([]byte, (h/2-1)*cs+w/2),
		YStride: ys, CStride: cs, SubsampleRatio: image.YCbCrSubsampleRatio420, Rect: image.Rect(0, 0, w, h),
	}
	for i := range src.Y {
		src.Y[i] = byte(16 + i%200)
	}
	for i := range src.Cb {
		src.Cb[i], src.Cr[i] = byte(100+i%50), byte(150-i%50)
	}
	got, ok := copyFrame(nil, src).(*image.RGBA)
	require.True(t, ok)
	require.Equal(t, image.Rect(0, 0, w, h), got.Rect)
	for y := range h {
		for x := range w {
			want := color.RGBAModel.Convert(src.At(x, y)).(color.RGBA)
			require.Equal(t, want, got.RGBAAt(x, y), "at %d,%d", x, y)
		}
	}
}
