package call

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// vp8Stream packetizes made-up VP8 frames the way a sender does: several packets a frame,
// the marker on the last one, 3000 ticks (30 fps) between frames.
type vp8Stream struct {
	pay    rtp.Packetizer
	frames [][]byte
}

func newVP8Stream(startSeq uint16) *vp8Stream {
	return &vp8Stream{pay: rtp.NewPacketizerWithOptions(1200, &codecs.VP8Payloader{EnablePictureID: true},
		rtp.NewFixedSequencer(startSeq), 90000, rtp.WithSSRC(1234), rtp.WithPayloadType(96))}
}

// frame returns the packets of the next frame, of n bytes.
func (s *vp8Stream) frame(n int) []*rtp.Packet {
	data := make([]byte, n)
	data[0] = byte(len(s.frames))
	for i := 1; i < n; i++ {
		data[i] = byte(i * (len(s.frames) + 1))
	}
	s.frames = append(s.frames, data)
	return s.pay.Packetize(data, 3000)
}

// padding returns a padding-only packet following last, as Chromium sends to probe the
// bandwidth: the next sequence number, the same timestamp, no payload.
func padding(last *rtp.Packet) *rtp.Packet {
	return &rtp.Packet{Header: rtp.Header{Version: 2, Padding: true, PayloadType: 96, SSRC: last.SSRC,
		SequenceNumber: last.SequenceNumber + 1, Timestamp: last.Timestamp}, PaddingSize: 224}
}

// wire marshals and parses p, as it arrives from the network (the padding bytes included).
func wire(t *testing.T, p *rtp.Packet) *rtp.Packet {
	t.Helper()
	b, err := p.Marshal()
	require.NoError(t, err)
	var out rtp.Packet
	require.NoError(t, out.Unmarshal(b))
	return &out
}

// renumber gives the packets consecutive sequence numbers from seq on, in their order.
func renumber(seq uint16, pkts []*rtp.Packet) {
	for i, p := range pkts {
		p.SequenceNumber = seq + uint16(i)
	}
}

type assembled struct {
	frames [][]byte
	losses int
}

func assemble(t *testing.T, pkts []*rtp.Packet) assembled {
	t.Helper()
	a := newFrameAssembler(90000)
	var out assembled
	for _, p := range pkts {
		a.push(wire(t, p))
		for f, lost, ok := a.pop(); ok; f, lost, ok = a.pop() {
			out.frames = append(out.frames, f)
			if lost {
				out.losses++
			}
		}
	}
	return out
}

// TestPaddingIsNotLoss feeds a stream in which bursts of padding-only packets follow frames
// (what Chromium sends on the VP8 stream to probe the bandwidth when RTX is not negotiated),
// across a sequence number wrap, some packets swapped: every frame comes out, none marked lost.
func TestPaddingIsNotLoss(t *testing.T) {
	for _, start := range []uint16{0, 65000} {
		t.Run(fmt.Sprint("from ", start), func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(start)))
			s := newVP8Stream(start)
			var pkts []*rtp.Packet
			for i := range 200 {
				pkts = append(pkts, s.frame(500+r.IntN(4000))...)
				if i%3 == 1 {
					for range 1 + r.IntN(8) {
						pkts = append(pkts, padding(pkts[len(pkts)-1]))
					}
				}
			}
			renumber(start, pkts) // padding takes sequence numbers, as on the wire
			for i := 5; i+1 < len(pkts); i += 37 {
				if len(pkts[i].Payload) > 0 && len(pkts[i+1].Payload) > 0 {
					pkts[i], pkts[i+1] = pkts[i+1], pkts[i] // a little reordering
				}
			}
			// RTX-style probes: packets received before, sent again.
			for i := 300; i < len(pkts); i += 50 {
				again := *pkts[i-1-r.IntN(250)]
				pkts = append(pkts[:i+1], pkts[i:]...)
				pkts[i] = &again
			}
			got := assemble(t, pkts)
			assert.Zero(t, got.losses, "padding counted as loss")
			// The last frame waits for a packet after it; every other one comes out, in order.
			require.Equal(t, len(s.frames)-1, len(got.frames))
			for i, f := range got.frames {
				require.True(t, bytes.Equal(s.frames[i], f), "frame %d", i)
			}
		})
	}
}

// TestRealLossIsStillLoss checks that a lost media packet, among padding, still marks the
// frames after it as following a loss.
func TestRealLossIsStillLoss(t *testing.T) {
	s := newVP8Stream(100)
	var pkts []*rtp.Packet
	for range 60 {
		pkts = append(pkts, s.frame(3000)...)
		pkts = append(pkts, padding(pkts[len(pkts)-1]))
	}
	renumber(100, pkts)
	lostAt := len(pkts) / 2
	for pkts[lostAt].Marker || len(pkts[lostAt].Payload) == 0 {
		lostAt++
	}
	pkts = append(pkts[:lostAt], pkts[lostAt+1:]...)
	got := assemble(t, pkts)
	assert.Positive(t, got.losses)
	assert.Less(t, len(got.frames), len(s.frames)-1, "the damaged frame is dropped")
}

func TestSeqCompactor(t *testing.T) {
	var c seqCompactor
	type step struct {
		seq    uint16
		remove bool
		want   uint16
		kept   bool
	}
	for i, st := range []step{
		{65534, false, 65534, true},
		{65535, true, 0, false}, // removed
		{1, false, 0, true},     // 0 comes late
		{0, false, 65535, true}, // the late one fits in before
		{2, true, 0, false},
		{2, true, 0, false}, // a duplicate removed packet
		{3, false, 1, true},
		{3, false, 0, false},     // the same packet again (an RTX re-send): dropped
		{65535, false, 0, false}, // a removed packet is not renumbered if seen again as media
		{5, false, 3, true},
		{4, true, 0, false}, // too late to remove: 5 was numbered already...
		{6, false, 4, true}, // ...so it leaves a hole (1, _, 3), as a loss would
	} {
		got, kept := c.push(st.seq, st.remove)
		assert.Equal(t, st.kept, kept, "step %d", i)
		if kept {
			assert.Equal(t, st.want, got, "step %d", i)
		}
	}
	// Far-too-late packets are dropped; removed packets out of the window are folded.
	for s := uint16(4); s < 4+3*compactWindow; s++ {
		_, _ = c.push(s, s%10 == 0)
	}
	_, kept := c.push(5, false)
	assert.False(t, kept, "a packet older than the window is dropped")
	assert.LessOrEqual(t, len(c.removed), compactWindow/10+1, "old removed packets are folded")
}

// TestSeqCompactorKeepsOrder checks, over random streams with padding, late packets and
// duplicates, that the packets kept are numbered consecutively in their original order: each
// media packet gets one new number, two never share one, and none is dropped.
func TestSeqCompactorKeepsOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for run := range 20 {
		var c seqCompactor
		start := uint16(r.IntN(1 << 16))
		const n = 5000
		padding := make([]bool, n)
		order := make([]int, 0, n+n/10)
		for i := range n {
			padding[i] = r.IntN(4) == 0
			order = append(order, i)
		}
		for i := 1; i+1 < len(order); i += 1 + r.IntN(30) { // media packets swapped
			if !padding[order[i]] && !padding[order[i+1]] {
				order[i], order[i+1] = order[i+1], order[i]
			}
		}
		for i := 100; i < len(order); i += 1 + r.IntN(40) { // re-sends of earlier packets
			order = append(order[:i+1], order[i:]...)
			order[i] = order[i-1-r.IntN(90)]
		}
		got := make(map[int]uint16)
		for _, i := range order {
			seq, kept := c.push(start+uint16(i), padding[i])
			if !kept {
				continue
			}
			require.False(t, padding[i], "run %d: padding packet %d kept", run, i)
			_, dup := got[i]
			require.False(t, dup, "run %d: packet %d kept twice", run, i)
			got[i] = seq
		}
		want := uint16(0)
		first := true
		for i := range n {
			if padding[i] {
				continue
			}
			seq, ok := got[i]
			require.True(t, ok, "run %d: media packet %d dropped", run, i)
			if !first {
				require.Equal(t, want, seq, "run %d: packet %d", run, i)
			}
			first, want = false, seq+1
		}
	}
}

// TestLateRepairAfterGivingUp: a frame whose hole is not filled within maxLateDelay is given up
// (the frame after it goes too: it cannot be decoded without it anyway); a re-send that comes
// after that costs nothing more, not even the frame then waiting for its own re-send.
func TestLateRepairAfterGivingUp(t *testing.T) {
	s := newVP8Stream(100)
	var frames [][]*rtp.Packet
	for range 60 {
		frames = append(frames, s.frame(3000))
	}
	require.Greater(t, len(frames[5]), 2)
	lost1, lost2 := frames[5][1], frames[30][1]
	var pkts []*rtp.Packet
	for i, f := range frames {
		for _, p := range f {
			if p != lost1 && p != lost2 {
				pkts = append(pkts, p)
			}
		}
		switch i {
		case 30: // 830 ms later: its frame was given up (maxLateDelay)
			pkts = append(pkts, lost1)
		case 30 + 2: // 66 ms later: in time
			pkts = append(pkts, lost2)
		}
	}
	got := assemble(t, pkts)
	assert.Equal(t, 1, got.losses, "only the frame given up is lost")
	assert.Equal(t, len(frames)-3, len(got.frames), "every other frame came out (the one after the lost one is dropped with it; the last waits for a packet after it)")
}
