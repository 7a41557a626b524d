package call

import (
	"sort"

	"github.com/pion/rtp"
	"github.com/pion/rtp/codecs"
	"github.com/pion/webrtc/v4/pkg/media/samplebuilder"
)

// frameAssembler turns the RTP packets of a VP8 track into whole frames. It drops the
// padding-only packets that a sender uses to probe the bandwidth on the media stream (Chromium
// does so when RTX is not negotiated) and renumbers the packets after them, so that a padding
// packet is never taken for a lost one: only a real hole makes a frame count as lost. It also
// drops the packets it already has: with RTX, Chromium probes by re-sending packets the
// receiver got long ago, which would otherwise disturb the sample builder.
type frameAssembler struct {
	sb   *samplebuilder.SampleBuilder
	seqs seqCompactor
}

func newFrameAssembler(clockRate uint32) *frameAssembler {
	return &frameAssembler{sb: samplebuilder.New(maxLatePackets, &codecs.VP8Packet{}, clockRate,
		samplebuilder.WithMaxTimeDelay(maxLateDelay))}
}

// push adds a packet. The assembler keeps pkt and changes its sequence number.
func (a *frameAssembler) push(pkt *rtp.Packet) {
	seq, ok := a.seqs.push(pkt.SequenceNumber, len(pkt.Payload) == 0)
	if !ok {
		return
	}
	pkt.SequenceNumber = seq
	a.sb.Push(pkt)
}

// pop returns the next complete frame, if any, and whether packets were lost since the frame
// before it (a frame in between may be missing: the decoder needs a keyframe).
func (a *frameAssembler) pop() (frame []byte, lost, ok bool) {
	s := a.sb.Pop()
	if s == nil {
		return nil, false, false
	}
	return s.Data, s.PrevDroppedPackets > 0, true
}

// compactWindow is how far back, in packets, a late packet is still renumbered; older ones are
// dropped. It is well beyond the sample builder's own limit (maxLatePackets).
const compactWindow = 4 * maxLatePackets

// seqCompactor removes packets from an RTP sequence and renumbers the rest without holes, so
// that the packets kept stay consecutive. Packets may come late, out of order, and twice.
type seqCompactor struct {
	seen    [compactWindow]uint64 // extended sequence numbers seen, by ext % compactWindow
	started bool
	highest uint64   // extended sequence number of the newest packet seen
	kept    uint64   // extended sequence number of the newest packet kept
	folded  uint64   // removed packets older than the window
	removed []uint64 // extended sequence numbers of removed packets within the window, ascending
}

// push takes the sequence number of the next packet read and whether the packet is to be
// removed. It returns the packet's new sequence number, or false when the packet goes:
// removed, or too old to renumber. A packet to remove that comes after a later packet was
// kept (reordered) can no longer close its gap: it leaves a hole in the new numbering, as a
// lost packet would.
func (c *seqCompactor) push(seq uint16, remove bool) (uint16, bool) {
	if !c.started {
		c.started = true
		c.highest = 1<<32 + uint64(seq) // room below for late packets
		c.kept = c.highest - 1
	}
	ext := uint64(int64(c.highest) + int64(int16(seq-uint16(c.highest))))
	if ext+compactWindow <= c.highest || c.seen[ext%compactWindow] == ext {
		return 0, false // too old, or seen already
	}
	c.seen[ext%compactWindow] = ext
	if ext > c.highest {
		c.highest = ext
		n := 0
		for n < len(c.removed) && c.removed[n]+compactWindow < c.highest {
			n++
		}
		c.folded += uint64(n)
		c.removed = c.removed[n:]
	}
	i := sort.Search(len(c.removed), func(i int) bool { return c.removed[i] >= ext })
	if remove {
		if ext > c.kept && (i == len(c.removed) || c.removed[i] != ext) {
			c.removed = append(c.removed, 0)
			copy(c.removed[i+1:], c.removed[i:])
			c.removed[i] = ext
		}
		return 0, false
	}
	if i < len(c.removed) && c.removed[i] == ext {
		return 0, false // a packet removed before, again
	}
	c.kept = max(c.kept, ext)
	return uint16(ext - c.folded - uint64(i)), true
}
