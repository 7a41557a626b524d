package call

import (
	"fmt"

	"bedside/call/media"

	"github.com/pion/webrtc/v4"
)

// A Session's part in a group call: its video may be send-only (the decode cap), and the video
// it sends may be detached for a while (a peer whose link cannot carry the shared encoder's
// picture gets our sound only).

// addTrack adds one of the Local's tracks: send and receive, or send only for the video of a
// session with NoVideoIn, so that the other end sends us no picture to decode.
func (s *Session) addTrack(track *media.Track) (*webrtc.RTPSender, error) {
	if !s.cfg.NoVideoIn || track.Kind() != webrtc.RTPCodecTypeVideo {
		return s.pc.AddTrack(track)
	}
	tr, err := s.pc.AddTransceiverFromTrack(track, webrtc.RTPTransceiverInit{
		Direction: webrtc.RTPTransceiverDirectionSendonly,
	})
	if err != nil {
		return nil, err
	}
	return tr.Sender(), nil
}

// SetVideoSending attaches (true) or detaches (false) the Local's video from this session's
// sender. Detached, the encoder's samples are not written to this peer at all (its Track
// binding is gone) while the sound goes on; attached again, the binding asks the encoder for a
// keyframe so that the peer's picture starts clean. It is safe to call repeatedly.
func (s *Session) SetVideoSending(on bool) error {
	if s.videoSender == nil || s.cfg.Local == nil {
		return nil
	}
	s.mu.Lock()
	if s.closed || s.videoOff == !on {
		s.mu.Unlock()
		return nil
	}
	s.videoOff = !on
	s.mu.Unlock()
	var track webrtc.TrackLocal
	if on {
		track = s.cfg.Local.VideoTrack()
	}
	if err := s.videoSender.ReplaceTrack(track); err != nil {
		return fmt.Errorf("call: video sending %v: %w", on, err)
	}
	return nil
}

// VideoSending reports whether the Local's video is attached to this session.
func (s *Session) VideoSending() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.videoSender != nil && !s.videoOff
}
