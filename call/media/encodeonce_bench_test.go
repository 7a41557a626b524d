package media_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bedside/call/media"
	"bedside/call/media/mediatest"
	"bedside/internal/testkit"

	"github.com/pion/interceptor"
	"github.com/pion/rtcp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// BenchmarkEncodeOnce sends one test-pattern Local (640x480, 30 fps, its default bit rate: no
// congestion control, so no step changes with the load) to 1, 2 and 4 real pion receivers on
// loopback, joining one after another as a group call's members do, and measures its encoder
// over the same 150 frames once all have joined: the keyframe requests of all receivers, the
// keyframes made, the encoder thread's CPU a frame, and the instructions libvpx spent a frame,
// counted by replaying the encoder's records under callgrind (mediatest.WindowInstructions):
// a figure the machine's load cannot change. Encoding once, it must not grow with the
// receivers. N=1 is the reference of the same run.
//
// In the lossy rows every receiver also asks for a keyframe once a second, each at its own
// moment, as a receiver does after a frame it lost for good: without serving requests
// together, every receiver's losses would cost everyone a keyframe.
//
//	go test ./call/media -run '^$' -bench BenchmarkEncodeOnce -benchtime 1x
func BenchmarkEncodeOnce(b *testing.B) {
	replay := mediatest.BuildReplay(b, "../..")
	var rows []string
	for _, lossy := range []bool{false, true} {
		for _, n := range []int{1, 2, 4} {
			name := fmt.Sprintf("receivers-%d", n)
			if lossy {
				name += "-lossy"
			}
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					rows = append(rows, encodeOnce(b, replay, n, lossy))
				}
			})
		}
	}
	fmt.Println("receivers  lossy  frames  key-req  keyframes  bytes/frame  enc-cpu-ms/frame  Minstr/frame  load1")
	for _, r := range rows {
		fmt.Println(r)
	}
}

const encodeOnceFrames = 150

func encodeOnce(b *testing.B, replay string, n int, lossy bool) string {
	local, err := media.NewTest(media.TestOptions{})
	if err != nil {
		b.Fatal(err)
	}
	defer local.Close()
	var mu sync.Mutex
	var recs []media.EncodeRecord
	local.SetEncodeObserver(func(r media.EncodeRecord) {
		mu.Lock()
		recs = append(recs, r)
		mu.Unlock()
	})
	nrecs := func() int { mu.Lock(); defer mu.Unlock(); return len(recs) }
	if err := local.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	api := loopbackAPI(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var rx []*benchReceiver
	for i := range n {
		r := newBenchReceiver(ctx, b, api, local, lossy, time.Duration(i)*time.Second/time.Duration(n))
		rx = append(rx, r)
		testkit.Eventually(b, fmt.Sprintf("receiver %d decodes", i), func() bool { return r.frames.Load() >= 10 })
	}
	st0, from := local.Stats(), nrecs()
	testkit.Eventually(b, "the window's frames", func() bool { return nrecs() >= from+encodeOnceFrames })
	st1, to := local.Stats(), from+encodeOnceFrames
	local.SetEncodeObserver(nil)
	cancel()
	for _, r := range rx {
		r.close()
	}
	mu.Lock()
	window := append([]media.EncodeRecord(nil), recs[:to]...)
	mu.Unlock()
	var cpu time.Duration
	keys, bytes := 0, 0
	for _, r := range window[from:to] {
		cpu += r.CPU
		bytes += r.Bytes
		if r.KeyFrame {
			keys++
		}
	}
	instr := mediatest.WindowInstructions(b, replay, window, from, to)
	frames := float64(encodeOnceFrames)
	b.ReportMetric(float64(keys), "keyframes")
	b.ReportMetric(float64(cpu.Microseconds())/1000/frames, "enc-cpu-ms/frame")
	b.ReportMetric(instr/1e6/frames, "Minstr/frame")
	return fmt.Sprintf("%9d  %5v  %6d  %7d  %9d  %11.0f  %16.2f  %12.2f  %5s", n, lossy, encodeOnceFrames,
		st1.KeyRequests-st0.KeyRequests, keys, float64(bytes)/frames, float64(cpu.Microseconds())/1000/frames,
		instr/1e6/frames, loadAvg())
}

// benchReceiver is one member's pion peer pair: a sender with the Local's tracks, which turns
// the receiver's PLIs into keyframe requests (as call.Session does), and a receiver that asks
// for a keyframe until it has one, then counts the frames it gets.
type benchReceiver struct {
	send, recv *webrtc.PeerConnection
	frames     atomic.Int64
	wg         sync.WaitGroup
}

func newBenchReceiver(ctx context.Context, b *testing.B, api *webrtc.API, l *media.Local, lossy bool, phase time.Duration) *benchReceiver {
	r := &benchReceiver{}
	var err error
	if r.send, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		b.Fatal(err)
	}
	if r.recv, err = api.NewPeerConnection(webrtc.Configuration{}); err != nil {
		b.Fatal(err)
	}
	for _, tr := range []webrtc.TrackLocal{l.VideoTrack(), l.AudioTrack()} {
		sender, err := r.send.AddTrack(tr)
		if err != nil {
			b.Fatal(err)
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
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
	r.recv.OnTrack(func(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
		if track.Kind() != webrtc.RTPCodecTypeVideo {
			for {
				if _, _, err := track.ReadRTP(); err != nil {
					return
				}
			}
		}
		pli := func() {
			_ = r.recv.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: uint32(track.SSRC())}})
		}
		if lossy {
			go func() {
				select {
				case <-ctx.Done():
					return
				case <-time.After(phase):
				}
				t := time.NewTicker(time.Second)
				defer t.Stop()
				for {
					select {
					case <-ctx.Done():
						return
					case <-t.C:
						pli()
					}
				}
			}()
		}
		sb := samplebuilder.New(256, &codecs.VP8Packet{}, track.Codec().ClockRate)
		started, lastPLI := false, time.Time{}
		for {
			pkt, _, err := track.ReadRTP()
			if err != nil {
				return
			}
			sb.Push(pkt)
			for s := sb.Pop(); s != nil; s = sb.Pop() {
				if !started && !media.IsVP8KeyFrame(s.Data) {
					if time.Since(lastPLI) > 400*time.Millisecond {
						lastPLI = time.Now()
						pli()
					}
					continue
				}
				started = true
				r.frames.Add(1)
			}
		}
	})
	offer, err := r.send.CreateOffer(nil)
	if err != nil {
		b.Fatal(err)
	}
	gathered := webrtc.GatheringCompletePromise(r.send)
	if err := r.send.SetLocalDescription(offer); err != nil {
		b.Fatal(err)
	}
	<-gathered
	if err := r.recv.SetRemoteDescription(*r.send.LocalDescription()); err != nil {
		b.Fatal(err)
	}
	answer, err := r.recv.CreateAnswer(nil)
	if err != nil {
		b.Fatal(err)
	}
	gathered = webrtc.GatheringCompletePromise(r.recv)
	if err := r.recv.SetLocalDescription(answer); err != nil {
		b.Fatal(err)
	}
	<-gathered
	if err := r.send.SetRemoteDescription(*r.recv.LocalDescription()); err != nil {
		b.Fatal(err)
	}
	return r
}

func (r *benchReceiver) close() {
	_ = r.send.Close()
	_ = r.recv.Close()
	r.wg.Wait()
}

func loopbackAPI(b *testing.B) *webrtc.API {
	se := webrtc.SettingEngine{}
	se.SetIncludeLoopbackCandidate(true)
	se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	me := &webrtc.MediaEngine{}
	if err := me.RegisterDefaultCodecs(); err != nil {
		b.Fatal(err)
	}
	ir := &interceptor.Registry{}
	if err := webrtc.RegisterDefaultInterceptors(me, ir); err != nil {
		b.Fatal(err)
	}
	return webrtc.NewAPI(webrtc.WithSettingEngine(se), webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(ir))
}

// loadAvg is the machine's one-minute load average (the machine may be shared).
func loadAvg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	return strings.Fields(string(data))[0]
}
