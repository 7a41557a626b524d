package call

import (
	"sync/atomic"
	"time"

	"github.com/pion/webrtc/v4"
)

// PeerState is the state of a Session's connection to the other end.
type PeerState int

// The peer states, after the W3C RTCPeerConnectionState.
const (
	PeerNew PeerState = iota
	PeerConnecting
	PeerConnected
	PeerDisconnected // lost for now; ICE may recover it
	PeerFailed
	PeerClosed
)

func (s PeerState) String() string {
	switch s {
	case PeerNew:
		return "new"
	case PeerConnecting:
		return "connecting"
	case PeerConnected:
		return "connected"
	case PeerDisconnected:
		return "disconnected"
	case PeerFailed:
		return "failed"
	case PeerClosed:
		return "closed"
	}
	return "unknown"
}

func peerState(s webrtc.PeerConnectionState) PeerState {
	switch s {
	case webrtc.PeerConnectionStateNew, webrtc.PeerConnectionStateUnknown:
		return PeerNew
	case webrtc.PeerConnectionStateConnecting:
		return PeerConnecting
	case webrtc.PeerConnectionStateConnected:
		return PeerConnected
	case webrtc.PeerConnectionStateDisconnected:
		return PeerDisconnected
	case webrtc.PeerConnectionStateFailed:
		return PeerFailed
	case webrtc.PeerConnectionStateClosed:
		return PeerClosed
	}
	return PeerNew
}

// Stats is a snapshot of one call's media figures. Rates are over the last second.
type Stats struct {
	State PeerState
	// RTT is the round-trip time of the selected ICE candidate pair; zero until measured.
	RTT time.Duration
	// FramesDecoded counts remote video frames decoded; FPS is the rate over the last second.
	FramesDecoded uint64
	FPS           float64
	Width, Height int // size of the last decoded frame
	// InboundBitrate and OutboundBitrate are bits per second on the wire, all media included.
	InboundBitrate  float64
	OutboundBitrate float64
	// AudioSamples counts decoded remote audio samples, per channel (48 000 a second);
	// AudioConcealed those of them that stand in for lost packets (rebuilt from in-band FEC, or
	// concealed).
	AudioSamples   uint64
	AudioConcealed uint64
	// FirstFrameAt is when the first remote frame was decoded; FirstFrameDelay is the time from
	// applying the remote description (offer or answer) to it. Both zero until then.
	FirstFrameAt    time.Time
	FirstFrameDelay time.Duration
	// PLIsSent counts keyframe requests we sent; KeyFramesAsked those the other end sent us.
	PLIsSent       uint64
	KeyFramesAsked uint64
	DecodeErrors   uint64
	// LossGaps counts the times remote video packets were lost for good between two frames
	// (each one makes the receiver wait for a keyframe).
	LossGaps uint64
	// NACKsSent counts the asks for lost video packets (one per packet per ask).
	NACKsSent uint64
	// PaddingPackets counts padding-only packets on the remote video stream (bandwidth probes,
	// dropped); RepairedPackets counts video packets that came through RTX: re-sends of lost
	// packets, and Chromium's bandwidth probes, which re-send packets already received (those
	// are dropped as duplicates).
	PaddingPackets, RepairedPackets uint64
	// ICERestarts counts the ICE restarts this end offered.
	ICERestarts uint64
	// VideoTarget is the VP8 target that congestion control last set, bits per second; zero
	// until the first estimate.
	VideoTarget int
	// AudioLevel is how loud the other end's last sound was, 0 (silence) to 1: who speaks.
	AudioLevel float64
}

// counters are the figures the media goroutines update without a lock.
type counters struct {
	frames, videoBytes, audioBytes, audioSamples atomic.Uint64
	audioConcealed, iceRestarts                  atomic.Uint64
	plisSent, keyFramesAsked, decodeErrors       atomic.Uint64
	framesLost, padding, repaired, nacksSent     atomic.Uint64
	width, height, videoTarget, linkRate         atomic.Int64
	audioLevel                                   atomic.Int64 // peak of the last packet, 0..32767
}

// Stats returns a snapshot of the session's figures.
func (s *Session) Stats() Stats {
	s.mu.Lock()
	st := s.stats
	s.mu.Unlock()
	st.FramesDecoded = s.counters.frames.Load()
	st.AudioSamples = s.counters.audioSamples.Load()
	st.AudioConcealed = s.counters.audioConcealed.Load()
	st.ICERestarts = s.counters.iceRestarts.Load()
	st.PLIsSent = s.counters.plisSent.Load()
	st.KeyFramesAsked = s.counters.keyFramesAsked.Load()
	st.DecodeErrors = s.counters.decodeErrors.Load()
	st.LossGaps = s.counters.framesLost.Load()
	st.NACKsSent = s.counters.nacksSent.Load()
	st.PaddingPackets = s.counters.padding.Load()
	st.RepairedPackets = s.counters.repaired.Load()
	st.VideoTarget = int(s.counters.videoTarget.Load())
	st.Width = int(s.counters.width.Load())
	st.Height = int(s.counters.height.Load())
	st.AudioLevel = float64(s.counters.audioLevel.Load()) / 32767
	return st
}

// statsLoop works out the per-second rates and the RTT once a second.
func (s *Session) statsLoop() {
	defer s.wg.Done()
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	last := time.Now()
	var lastFrames, lastIn, lastOut uint64
	for {
		select {
		case <-s.done:
			return
		case now := <-tick.C:
			s.mu.Lock()
			state := s.stats.State
			s.mu.Unlock()
			if state == PeerClosed || state == PeerFailed {
				continue // nothing to measure, and pion complains when asked
			}
			frames := s.counters.frames.Load()
			in, out, rtt := s.transportFigures()
			secs := now.Sub(last).Seconds()
			s.mu.Lock()
			s.stats.FPS = float64(frames-lastFrames) / secs
			s.stats.InboundBitrate = float64(in-lastIn) * 8 / secs
			s.stats.OutboundBitrate = float64(out-lastOut) * 8 / secs
			if rtt > 0 {
				s.stats.RTT = rtt
			}
			s.mu.Unlock()
			last, lastFrames, lastIn, lastOut = now, frames, in, out
		}
	}
}

// transportFigures reads the bytes sent and received and the selected pair's RTT from pion.
func (s *Session) transportFigures() (in, out uint64, rtt time.Duration) {
	for _, st := range s.pc.GetStats() {
		switch v := st.(type) {
		case webrtc.TransportStats:
			in += v.BytesReceived
			out += v.BytesSent
		case webrtc.ICECandidatePairStats:
			if v.Nominated && v.CurrentRoundTripTime > 0 {
				rtt = time.Duration(v.CurrentRoundTripTime * float64(time.Second))
			}
		}
	}
	return in, out, rtt
}
