package call

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"bedside/internal/testkit"

	"github.com/pion/transport/v5/vnet"
	"github.com/stretchr/testify/require"
)

// lossyNet is pion's virtual network with two hosts, a and b, and a router that drops a share
// of the packets from a to b once told to. Nothing leaves the process.
type lossyNet struct {
	router  *vnet.Router
	a, b    *vnet.Net
	mu      sync.Mutex
	rng     *rand.Rand
	loss    float64 // share of a→b packets dropped, 0..1
	cut     bool    // drop everything, both ways
	dropped atomic.Int64
	passed  atomic.Int64
	// By the RTP payload type in the clear header: VP8 packets dropped, RTX packets passed.
	videoDropped, rtxPassed atomic.Int64
	// Opus packets sent (dropped or not) and dropped.
	audioSent, audioDropped atomic.Int64
}

// payloadType is the RTP payload type of a UDP payload, or -1 when it is not RTP (STUN,
// DTLS, RTCP).
func payloadType(b []byte) int {
	if len(b) < 12 || b[0]>>6 != 2 {
		return -1
	}
	pt := int(b[1] & 0x7f)
	if pt >= 72 && pt <= 76 { // RTCP's 200..204 with the marker bit
		return -1
	}
	return pt
}

const (
	lossyA = "192.0.2.10" // documentation addresses, on the virtual network only
	lossyB = "192.0.2.20"
)

func newLossyNet(t *testing.T) *lossyNet {
	t.Helper()
	router, err := vnet.NewRouter(&vnet.RouterConfig{CIDR: "192.0.2.0/24", LoggerFactory: pionLogger{log: logger(nil)}})
	require.NoError(t, err)
	ln := &lossyNet{router: router, rng: rand.New(rand.NewPCG(1, 2))}
	ln.a, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{lossyA}})
	require.NoError(t, err)
	ln.b, err = vnet.NewNet(&vnet.NetConfig{StaticIPs: []string{lossyB}})
	require.NoError(t, err)
	require.NoError(t, router.AddNet(ln.a))
	require.NoError(t, router.AddNet(ln.b))
	router.AddChunkFilter(func(c vnet.Chunk) bool {
		ln.mu.Lock()
		cut := ln.cut
		ln.mu.Unlock()
		if cut {
			return false
		}
		src, ok := c.SourceAddr().(*net.UDPAddr)
		if !ok || !src.IP.Equal(net.ParseIP(lossyA)) {
			return true
		}
		ln.mu.Lock()
		drop := ln.rng.Float64() < ln.loss
		ln.mu.Unlock()
		pt := payloadType(c.UserData())
		if pt == OpusPayloadType {
			ln.audioSent.Add(1)
			if drop {
				ln.audioDropped.Add(1)
			}
		}
		if drop {
			ln.dropped.Add(1)
			if pt == VP8PayloadType {
				ln.videoDropped.Add(1)
			}
			return false
		}
		ln.passed.Add(1)
		if pt == RTXPayloadType {
			ln.rtxPassed.Add(1)
		}
		return true
	})
	require.NoError(t, router.Start())
	t.Cleanup(func() { _ = router.Stop() })
	return ln
}

// setCut cuts the network (true), or brings it back.
func (ln *lossyNet) setCut(cut bool) {
	ln.mu.Lock()
	ln.cut = cut
	ln.mu.Unlock()
}

// newLossyPair is a call between two sessions, a and b, on a new lossyNet; everything closes
// when the test ends.
func newLossyPair(t *testing.T) (ln *lossyNet, a, b *peer) {
	t.Helper()
	ln = newLossyNet(t)
	apiA, err := NewAPI(APIOptions{Net: ln.a})
	require.NoError(t, err)
	apiB, err := NewAPI(APIOptions{Net: ln.b})
	require.NoError(t, err)
	la, lb := newTestLocal(t), newTestLocal(t)
	t.Cleanup(func() {
		_ = la.Close()
		_ = lb.Close()
	})
	a, b = newPairOf(t, apiA, apiB, la, lb)
	t.Cleanup(func() {
		_ = a.sess.Close()
		_ = b.sess.Close()
	})
	return ln, a, b
}

func (ln *lossyNet) setLoss(share float64) {
	ln.mu.Lock()
	ln.loss = share
	ln.mu.Unlock()
}

// Lost video packets are re-sent (RTX) and repair the frames they belong to: with 10 % loss
// from the sender most frames still decode, not only keyframes; a packet that came back is not
// asked for again (pion's NACK generator asked twice for every lost packet: ~35 re-sends for
// 20 lost).
func TestSessionResendsLostVideo(t *testing.T) {
	testkit.NoLeaks(t)
	ln, _, b := newLossyPair(t)
	testkit.Eventually(t, "frames a → b", func() bool { return b.video.n.Load() >= 30 })

	ln.setLoss(0.10)
	start := b.sess.Stats()
	testkit.Eventually(t, "20 video packets lost", func() bool { return ln.videoDropped.Load() >= 20 })
	ln.setLoss(0)
	time.Sleep(time.Second) // the last re-sends land; what follows counts, it does not time
	end := b.sess.Stats()
	lost, resent := ln.videoDropped.Load(), ln.rtxPassed.Load()
	repaired, gaps := end.RepairedPackets-start.RepairedPackets, end.LossGaps-start.LossGaps
	t.Logf("a→b: %d packets, %d dropped (%d video), %d re-sent; b: %d frames, %d repaired, %d loss gaps, %d PLIs",
		ln.passed.Load()+ln.dropped.Load(), ln.dropped.Load(), lost, resent,
		end.FramesDecoded-start.FramesDecoded, repaired, gaps, end.PLIsSent-start.PLIsSent)
	require.GreaterOrEqual(t, repaired, uint64(lost)*3/4, "lost video packets were re-sent and used")
	require.LessOrEqual(t, resent, lost*3/2, "re-sends stay near the loss: a repaired packet is not asked for again")
	require.LessOrEqual(t, gaps, uint64(lost)/4, "most losses were repaired before their frame was due")
}

// Lost audio packets are rebuilt (in-band FEC) or concealed: the listener gets as much sound
// as was sent, without holes.
func TestSessionConcealsLostAudio(t *testing.T) {
	testkit.NoLeaks(t)
	ln, _, b := newLossyPair(t)
	testkit.Eventually(t, "sound a → b", func() bool { return b.audio.samples.Load() >= 48000 })

	ln.setLoss(0.10)
	start, sentBefore := b.sess.Stats(), ln.audioSent.Load()
	testkit.Eventually(t, "20 audio packets lost", func() bool { return ln.audioDropped.Load() >= 20 })
	ln.setLoss(0)
	sent := ln.audioSent.Load() - sentBefore
	testkit.Eventually(t, "the sound sent to arrive", func() bool {
		return b.sess.Stats().AudioSamples-start.AudioSamples >= uint64(sent-2)*960
	})
	end := b.sess.Stats()
	t.Logf("a→b: %d audio packets, %d lost; b: %d samples (%d concealed), %d expected",
		sent, ln.audioDropped.Load(), end.AudioSamples-start.AudioSamples,
		end.AudioConcealed-start.AudioConcealed, sent*960)
	require.GreaterOrEqual(t, end.AudioConcealed-start.AudioConcealed, uint64(18*960), "the lost packets were rebuilt")
}

func TestAudioGaps(t *testing.T) {
	for _, tc := range []struct {
		name          string
		seqs          []uint16
		tss           []uint32
		lost, samples int
		ok            bool
	}{
		{"in order", []uint16{1, 2}, []uint32{0, 960}, 0, 0, true},
		{"one lost", []uint16{1, 3}, []uint32{0, 1920}, 1, 960, true},
		{"three lost", []uint16{1, 5}, []uint32{0, 3840}, 3, 960, true},
		{"across the wrap", []uint16{65535, 1}, []uint32{4294966336, 960}, 1, 960, true},
		{"a cut: no concealment", []uint16{1, 100}, []uint32{0, 99 * 960}, 0, 0, true},
		{"late", []uint16{5, 4}, []uint32{960, 0}, 0, 0, false},
		{"twice", []uint16{5, 5}, []uint32{960, 960}, 0, 0, false},
		{"nonsense timestamps", []uint16{1, 3}, []uint32{0, 10}, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var g audioGaps
			_, _, ok := g.next(tc.seqs[0], tc.tss[0])
			require.True(t, ok)
			lost, samples, ok := g.next(tc.seqs[1], tc.tss[1])
			require.Equal(t, tc.ok, ok)
			require.Equal(t, tc.lost, lost)
			require.Equal(t, tc.samples, samples)
		})
	}
}
