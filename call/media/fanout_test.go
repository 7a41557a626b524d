package media

import (
	"bedside/internal/testkit"
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// receiver counts what one real pion peer decodes from a Local.
type receiver struct {
	frames, keyFrames atomic.Int64
	width, height     atomic.Int64
	loudPackets       atomic.Int64
	plis              atomic.Int64
}

func newLoopbackAPI(t *testing.T) *webrtc.API {
	t.Helper()
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	me := &webrtc.MediaEngine{}
	require.NoError(t, me.RegisterDefaultCodecs())
	ir := &interceptor.Registry{}
	require.NoError(t, webrtc.RegisterDefaultInterceptors(me, ir))
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir))
}

// connect makes a sending peer with l's tracks and a receiving peer, and negotiates them. It
// returns the receiver and the sending peer.
func connect(t *testing.T, api *webrtc.API, l *Local) (*receiver, *webrtc.PeerConnection) {
	t.Helper()
	send, err := api.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	recv, err := api.NewPeerConnection(webrtc.Configuration{})
	require.NoError(t, err)
	t.Cleanup(func() {
		_ = send.Close()
		_ = recv.Close()
	})
	for _, tr := range []webrtc.TrackLocal{l.VideoTrack(), l.AudioTrack()} {
		sender, err := send.AddTrack(tr)
		require.NoError(t, err)
		go func() { // RTCP from the receiver: keyframe requests
			for {
				pkts, _, err := sender.ReadRTCP()
				if err != nil {
					return
				}
				for _, p := range pkts {
					switch p.(type) {
					case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
						l.RequestKeyFrame()
					}
				}
			}
		}()
	}
	r := &receiver{}
	recv.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if track.Kind() == webrtc.RTPCodecTypeVideo {
			r.video(t, recv, track)
		} else {
			r.audio(t, track)
		}
	})
	offer, err := send.CreateOffer(nil)
	require.NoError(t, err)
	gathered := webrtc.GatheringCompletePromise(send)
	require.NoError(t, send.SetLocalDescription(offer))
	<-gathered
	require.NoError(t, recv.SetRemoteDescription(*send.LocalDescription()))
	answer, err := recv.CreateAnswer(nil)
	require.NoError(t, err)
	gathered = webrtc.GatheringCompletePromise(recv)
	require.NoError(t, recv.SetLocalDescription(answer))
	<-gathered
	require.NoError(t, send.SetRemoteDescription(*recv.LocalDescription()))
	return r, send
}

func (r *receiver) video(t *testing.T, pc *webrtc.PeerConnection, track *webrtc.TrackRemote) {
	dec, err := NewVP8Decoder()
	if err != nil {
		t.Error(err)
		return
	}
	defer dec.Close()
	sb := samplebuilder.New(256, &codecs.VP8Packet{}, track.Codec().ClockRate)
	var lastPLI time.Time
	pli := func() {
		if time.Since(lastPLI) > 200*time.Millisecond {
			lastPLI = time.Now()
			r.plis.Add(1)
			_ = pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(track.SSRC())}})
		}
	}
	started := false
	pli()
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		sb.Push(pkt)
		for s := sb.Pop(); s != nil; s = sb.Pop() {
			key := IsVP8KeyFrame(s.Data)
			if !started && !key {
				pli()
				continue
			}
			started = true
			img, err := dec.Decode(s.Data)
			if errors.Is(err, ErrNoFrame) {
				continue
			}
			if err != nil {
				t.Errorf("decode: %v", err)
				return
			}
			if key {
				r.keyFrames.Add(1)
			}
			r.frames.Add(1)
			r.width.Store(int64(img.Rect.Dx()))
			r.height.Store(int64(img.Rect.Dy()))
		}
	}
}

func (r *receiver) audio(t *testing.T, track *webrtc.TrackRemote) {
	dec, err := NewOpusDecoder(48000, 2)
	if err != nil {
		t.Error(err)
		return
	}
	defer dec.Close()
	pcm := make([]int16, MaxOpusFrame*2)
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		n, err := dec.Decode(pkt.Payload, pcm)
		if err != nil {
			t.Errorf("decode: %v", err)
			return
		}
		if rms(pcm[:2*n]) > 1000 {
			r.loudPackets.Add(1)
		}
	}
}

// TestLocalFeedsSeveralPeers sends one Local to two real pion peers, the second joining while
// the first is already receiving: both decode the picture and the tone, and the late one gets
// a keyframe through its PLI.
func TestLocalFeedsSeveralPeers(t *testing.T) {
	if testing.Short() {
		t.Skip("real WebRTC peers: skipped in -short")
	}
	l, err := NewTest(TestOptions{Width: 320, Height: 240, FPS: 30})
	require.NoError(t, err)
	defer l.Close()
	api := newLoopbackAPI(t)

	first, firstPC := connect(t, api, l)
	require.NoError(t, l.Start(context.Background()))
	testkit.Eventually(t, "the first peer decodes", func() bool {
		return first.frames.Load() >= 10 && first.loudPackets.Load() >= 10
	})
	second, secondPC := connect(t, api, l)
	testkit.Eventually(t, "the second peer decodes too", func() bool {
		return second.frames.Load() >= 10 && second.loudPackets.Load() >= 10
	})
	for _, r := range []*receiver{first, second} {
		assert.Equal(t, int64(320), r.width.Load())
		assert.Equal(t, int64(240), r.height.Load())
		assert.GreaterOrEqual(t, r.keyFrames.Load(), int64(1))
	}
	assert.Equal(t, uint64(0), l.Stats().VideoDropped)

	// Each peer connection binds the tracks while it sends them, and unbinds them when closed:
	// with the last one gone, the Local stops encoding.
	s := l.Stats()
	assert.Equal(t, 2, s.VideoPeers)
	assert.Equal(t, 2, s.AudioPeers)
	require.NoError(t, firstPC.Close())
	testkit.Eventually(t, "one peer left", func() bool { s := l.Stats(); return s.VideoPeers == 1 && s.AudioPeers == 1 })
	require.NoError(t, secondPC.Close())
	testkit.Eventually(t, "no peer left", func() bool { s := l.Stats(); return s.VideoPeers == 0 && s.AudioPeers == 0 })
}
