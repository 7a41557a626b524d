package media_test

import (
	"context"
	"fmt"
	"image"

	"bedside/call/media"
)

// A Local's tracks are added to every peer connection of a call; once started, the Local
// encodes while a peer connection sends its tracks.
func ExampleNewTest() {
	local, err := media.NewTest(media.TestOptions{Width: 320, Height: 240})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer local.Close()

	// pc.AddTrack(local.VideoTrack()); pc.AddTrack(local.AudioTrack()) for each peer, then:
	local.SetPreview(media.VideoSinkFunc(func(img image.Image) {
		// Hand img to the UI without blocking (copy it first if it is kept).
	}))
	if err := local.Start(context.Background()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(local.VideoTrack().Codec().MimeType, local.AudioTrack().Codec().MimeType)
	// Output: video/VP8 audio/opus
}

// Without a camera, OpenDevices says so and the synthetic source takes over.
func ExampleOpenDevices() {
	local, err := media.OpenDevices(media.DeviceOptions{Width: 640, Height: 480, FPS: 30})
	if err != nil {
		local, err = media.NewTest(media.TestOptions{})
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	defer local.Close()
	fmt.Println(local.VideoTrack().ID(), local.VideoTrack().StreamID())
	// Output: video bedside
}

// An OpusDecoder turns each received packet into PCM for an AudioSink such as a Player.
// A nil packet conceals a lost one.
func ExampleOpusDecoder() {
	dec, err := media.NewOpusDecoder(48000, 2)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer dec.Close()
	pcm := make([]int16, media.MaxOpusFrame*2)
	n, err := dec.Decode(nil, pcm[:960*2]) // 20 ms of concealment
	fmt.Println(n, err)
	// Output: 960 <nil>
}
