package call

import (
	"fmt"
	"strings"

	"bedside/call/media"

	"github.com/pion/webrtc/v4"
)

// A Session's part in a group call: it may not decode the other end's picture (the decode cap,
// lifted when a place frees), and the video it sends may be detached for a while (a peer whose
// link cannot carry the shared encoder's picture gets our sound only).
//
// The cap is carried by what we tell the other end, not by the transceiver: pion cannot change
// a transceiver's direction once made (and turns a send-only one into send-and-receive when
// answering an offer that sends), so the video is always sent and received by the transceiver,
// and while capped the descriptions we send say send-only for it (outgoing) and the receive
// loop decodes none of the packets that come anyway. Lifting the cap takes a new offer: this
// end's, when it offered the pair, or the other end's (see group_cap.go).

// addTrack adds one of the Local's tracks, sent and received.
func (s *Session) addTrack(track *media.Track) (*webrtc.RTPSender, error) {
	return s.pc.AddTrack(track)
}

// NoVideoIn reports whether the decode cap holds on this session: the other end's picture is
// not decoded, and it is asked not to send it.
func (s *Session) NoVideoIn() bool {
	return s.noVideoIn.Load()
}

// LiftVideoCap ends the decode cap: the next description this session makes asks for the other
// end's picture again, and the receive loop decodes it from the next keyframe (which it asks
// for). It is not undone: a session capped again would have to be renegotiated as well.
func (s *Session) LiftVideoCap() {
	s.noVideoIn.Store(false)
}

// outgoing is the description sdp as sent to the other end: while capped, it asks for no
// picture (our video's section says we send only, or nothing when we had nothing to send).
func (s *Session) outgoing(sdp string) string {
	if !s.NoVideoIn() {
		return sdp
	}
	return mapVideoDirection(sdp, func(dir string) string {
		switch dir {
		case "sendrecv":
			return "sendonly"
		case "recvonly":
			return "inactive"
		}
		return dir
	})
}

// VideoDeclined reports whether the other end's current description refuses our picture (it
// capped us): its video section says it only sends, or nothing.
func (s *Session) VideoDeclined() bool {
	desc := s.pc.CurrentRemoteDescription()
	if desc == nil || s.videoSender == nil {
		return false
	}
	declined := false
	mapVideoDirection(desc.SDP, func(dir string) string {
		declined = dir == "sendonly" || dir == "inactive"
		return dir
	})
	return declined
}

// mapVideoDirection rewrites the direction attribute of sdp's video sections with f. (pion and
// browsers write one in every media section, as JSEP asks.)
func mapVideoDirection(sdp string, f func(dir string) string) string {
	lines := strings.Split(sdp, "\r\n")
	video := false
	for i, ln := range lines {
		if strings.HasPrefix(ln, "m=") {
			video = strings.HasPrefix(ln, "m=video ")
		}
		switch ln {
		case "a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive":
			if video {
				lines[i] = "a=" + f(ln[2:])
			}
		}
	}
	return strings.Join(lines, "\r\n")
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
