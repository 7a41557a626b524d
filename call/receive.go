package call

import (
	"errors"
	"time"

	"bedside/call/media"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

const (
	// maxLatePackets and maxLateDelay bound how long a frame with a hole waits for the NACKed
	// packet before it is given up: long enough for a second ask on a 200 ms round trip (a
	// re-send lost on the way), see nackList.
	maxLatePackets = 512
	maxLateDelay   = 600 * time.Millisecond
	// pliInterval is the least time between two keyframe requests for one track.
	pliInterval = 400 * time.Millisecond
	// maxOpusSamples is the largest Opus frame (120 ms at 48 kHz), per channel.
	maxOpusSamples = 5760
	opusRate       = 48000
	opusChannels   = 2
)

// receiveVideo reassembles VP8 frames, decodes them and hands them to the video sink. It asks
// for lost packets again (NACK, see nackList), and for a keyframe (PLI) whenever it has none to
// start from: at the start, after a lost frame, and after a decoding error.
func (s *Session) receiveVideo(track *webrtc.TrackRemote) {
	dec, err := media.NewVP8Decoder()
	if err != nil {
		s.log.Error("VP8 decoder", "err", err)
		drain(track)
		return
	}
	defer dec.Close()
	frames := newFrameAssembler(track.Codec().ClockRate)
	ssrc := uint32(track.SSRC())
	var lastPLI time.Time
	askKeyFrame := func() {
		if time.Since(lastPLI) < pliInterval {
			return
		}
		lastPLI = time.Now()
		s.counters.plisSent.Add(1)
		if err := s.pc.WriteRTCP([]rtcp.Packet{&rtcp.PictureLossIndication{MediaSSRC: ssrc}}); err != nil {
			s.log.Debug("send PLI", "err", err)
		}
	}
	var nacks nackList
	var burst lossBurst
	askAgain := func(seqs []uint16) {
		s.counters.nacksSent.Add(uint64(len(seqs)))
		nack := &rtcp.TransportLayerNack{MediaSSRC: ssrc, Nacks: rtcp.NackPairsFromSequenceNumbers(seqs)}
		if err := s.pc.WriteRTCP([]rtcp.Packet{nack}); err != nil {
			s.log.Debug("send NACK", "err", err)
		}
	}
	needKey, capped := true, false
	askKeyFrame()
	defer func() {
		st := s.Stats()
		s.log.Info("remote video ended", "frames", st.FramesDecoded, "plis_sent", st.PLIsSent,
			"loss_gaps", st.LossGaps, "nacks", st.NACKsSent, "padding", st.PaddingPackets, "repaired", st.RepairedPackets,
			"rtx", track.HasRTX())
	}()
	for {
		pkt, attrs, err := track.ReadRTP()
		if err != nil {
			return
		}
		s.counters.videoBytes.Add(uint64(pkt.MarshalSize()))
		if len(pkt.Payload) == 0 {
			s.counters.padding.Add(1)
		}
		repaired := attrs != nil && attrs.Get(webrtc.AttributeRtxSsrc) != nil
		if repaired {
			s.counters.repaired.Add(1)
		}
		if s.noVideoIn.Load() {
			// The decode cap: a picture sent all the same (a pion end sends whatever our
			// answer said) is not decoded; once lifted, decoding starts afresh from a keyframe.
			capped, needKey = true, true
			continue
		}
		if capped {
			capped, frames, nacks, burst = false, newFrameAssembler(track.Codec().ClockRate), nackList{repair: nacks.repair}, lossBurst{}
			askKeyFrame()
		}
		now := time.Now()
		if newest, missing := nacks.got(pkt.SequenceNumber, repaired, now); newest && burst.got(now, missing) {
			s.log.Debug("video loss burst: asking for a keyframe")
			askKeyFrame()
		}
		if seqs := nacks.due(now, maxLateDelay); len(seqs) > 0 {
			askAgain(seqs)
		}
		frames.push(pkt)
		for frame, lost, ok := frames.pop(); ok; frame, lost, ok = frames.pop() {
			if lost {
				s.counters.framesLost.Add(1)
				needKey = true
			}
			if needKey && !media.IsVP8KeyFrame(frame) {
				askKeyFrame()
				continue
			}
			img, err := dec.Decode(frame)
			if err != nil {
				if !errors.Is(err, media.ErrNoFrame) {
					s.counters.decodeErrors.Add(1)
					needKey = true
					askKeyFrame()
				}
				continue
			}
			needKey = false
			s.frameDecoded(img.Rect.Dx(), img.Rect.Dy())
			if s.cfg.RemoteVideo != nil {
				s.cfg.RemoteVideo.Frame(img)
			}
		}
	}
}

// frameDecoded counts a frame and reports the first one.
func (s *Session) frameDecoded(w, h int) {
	n := s.counters.frames.Add(1)
	s.counters.width.Store(int64(w))
	s.counters.height.Store(int64(h))
	if n != 1 {
		return
	}
	s.mu.Lock()
	s.stats.FirstFrameAt = time.Now()
	if !s.negotiated.IsZero() {
		s.stats.FirstFrameDelay = s.stats.FirstFrameAt.Sub(s.negotiated)
	}
	s.mu.Unlock()
	if s.cfg.OnFirstFrame != nil {
		s.cfg.OnFirstFrame()
	}
}

// receiveAudio decodes each Opus packet and hands the PCM to the audio sink. A packet that
// never came is rebuilt from the forward error correction the next one carries (Opus in-band
// FEC), and the packets before it, when several were lost in a row, are concealed by libopus;
// see audioGaps.
func (s *Session) receiveAudio(track *webrtc.TrackRemote) {
	dec, err := media.NewOpusDecoder(opusRate, opusChannels)
	if err != nil {
		s.log.Error("Opus decoder", "err", err)
		drain(track)
		return
	}
	defer dec.Close()
	pcm := make([]int16, maxOpusSamples*opusChannels)
	var gaps audioGaps
	deliver := func(n int) {
		s.counters.audioSamples.Add(uint64(n))
		s.counters.audioLevel.Store(int64(peak(pcm[:n*opusChannels])))
		if s.cfg.RemoteAudio != nil && n > 0 {
			s.cfg.RemoteAudio.Samples(pcm[:n*opusChannels], opusRate, opusChannels)
		}
	}
	for {
		pkt, _, err := track.ReadRTP()
		if err != nil {
			return
		}
		s.counters.audioBytes.Add(uint64(pkt.MarshalSize()))
		if len(pkt.Payload) == 0 {
			continue // padding-only packet
		}
		lost, each, ok := gaps.next(pkt.SequenceNumber, pkt.Timestamp)
		if !ok {
			continue // late or repeated: its time has passed
		}
		for i := range lost {
			var n int
			if i == lost-1 {
				n, err = dec.DecodeFEC(pkt.Payload, pcm[:each*opusChannels])
			} else {
				n, err = dec.Decode(nil, pcm[:each*opusChannels])
			}
			if err != nil {
				s.counters.decodeErrors.Add(1)
				break
			}
			s.counters.audioConcealed.Add(uint64(n))
			deliver(n)
		}
		n, err := dec.Decode(pkt.Payload, pcm)
		if err != nil {
			s.counters.decodeErrors.Add(1)
			continue
		}
		deliver(n)
	}
}

// Bounds of audio loss recovery.
const (
	// maxConcealed is the most packets recovered in one gap: beyond it (a network cut) the
	// sound simply resumes.
	maxConcealed = 5
	// minOpusFrame is the shortest Opus frame (2.5 ms at 48 kHz).
	minOpusFrame = 120
)

// audioGaps follows an Opus stream's sequence numbers and timestamps and tells how many
// packets went missing before each one.
type audioGaps struct {
	started bool
	seq     uint16
	ts      uint32
}

// next takes the next packet's sequence number and timestamp. It returns how many packets
// were lost just before it, to rebuild (at most maxConcealed), and their length in samples
// per channel; ok is false for a packet older than one already handled.
func (g *audioGaps) next(seq uint16, ts uint32) (lost, samples int, ok bool) {
	if !g.started {
		g.started, g.seq, g.ts = true, seq, ts
		return 0, 0, true
	}
	d := int16(seq - g.seq)
	if d <= 0 {
		return 0, 0, false
	}
	span := ts - g.ts
	g.seq, g.ts = seq, ts
	if d == 1 {
		return 0, 0, true
	}
	missing := int(d) - 1
	samples = int(span) / int(d)
	if missing > maxConcealed || samples < minOpusFrame || samples > maxOpusSamples {
		return 0, 0, true
	}
	return missing, samples, true
}

// drain reads a track it cannot decode until it ends, so that pion's buffers do not fill.
func drain(track *webrtc.TrackRemote) {
	for {
		if _, _, err := track.ReadRTP(); err != nil {
			return
		}
	}
}

// peak returns the largest magnitude in pcm (every eighth sample: enough to tell speech from
// silence, for next to nothing).
func peak(pcm []int16) int {
	m := 0
	for i := 0; i < len(pcm); i += 8 {
		v := int(pcm[i])
		if v < 0 {
			v = -v
		}
		m = max(m, v)
	}
	return min(m, 32767)
}
