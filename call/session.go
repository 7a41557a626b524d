package call

import (
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"bedside/call/media"
	"bedside/call/signal"

	"github.com/pion/rtcp"
	"github.com/pion/webrtc/v4"
)

// SessionConfig is what a Session needs. API is required; everything else may be left out.
type SessionConfig struct {
	API *API
	// Local is the outgoing media, shared with other sessions; the Session never closes it.
	// Nil makes a receive-only session.
	Local *media.Local
	// RemoteVideo and RemoteAudio get what the other end sends, decoded. Nil drops it (it is
	// still decoded and counted).
	RemoteVideo media.VideoSink
	RemoteAudio media.AudioSink
	// ICEServers are the STUN and TURN servers to use, as the ward server hands them out.
	ICEServers []signal.ICEServer
	// OnCandidate gets each local ICE candidate, to send to the other end.
	OnCandidate func(signal.Candidate)
	// OnState gets the connection's state each time it changes, in order (a state that lasted
	// only an instant may be skipped), PeerClosed after Close included. Calls never overlap.
	OnState func(PeerState)
	// OnFirstFrame is called once, when the first remote video frame has been decoded.
	OnFirstFrame func()
	Logger       *slog.Logger
	// NoVideoIn starts the session with the decode cap: the other end's picture is not decoded
	// and it is asked not to send it, until LiftVideoCap (a group call decodes the pictures of
	// a few participants only; see group.go and group_session.go).
	NoVideoIn bool
	// OnLinkRate, when set, gets the congestion controller's estimates in place of the Local:
	// a Phone with several sessions on one encoder chooses the rate itself (see group_rate.go).
	OnLinkRate func(bps int)
}

// Session is one call's PeerConnection: it sends the Local's tracks, answers PLI and FIR with a
// keyframe request, and decodes the remote tracks into the sinks. Offer, answer and candidates
// travel through its methods and OnCandidate, so any transport (the signaling Client, or a direct
// in-process link in tests) can carry them. A Session is used for one call; Close it after.
type Session struct {
	cfg     SessionConfig
	log     *slog.Logger
	pc      *webrtc.PeerConnection
	started time.Time
	done    chan struct{}
	wg      sync.WaitGroup

	counters counters

	// stateMu serialises state reports (it is held while OnState runs).
	stateMu sync.Mutex

	mu         sync.Mutex
	closed     bool
	remoteSet  bool
	pending    []webrtc.ICECandidateInit
	negotiated time.Time // when the remote description was applied
	stats      Stats

	videoSender *webrtc.RTPSender // sends the Local's video; nil without one
	videoOff    bool              // SetVideoSending(false): the video track is detached

	// noVideoIn: the other end's picture is not decoded and our descriptions ask them not to
	// send it (the decode cap); LiftVideoCap lifts it. See group_session.go.
	noVideoIn atomic.Bool
}

// NewSession creates the PeerConnection and adds the Local's tracks.
func NewSession(cfg SessionConfig) (*Session, error) {
	if cfg.API == nil {
		return nil, fmt.Errorf("%w: SessionConfig.API is required", ErrConfig)
	}
	pc, bwe, gate, err := cfg.API.newPeerConnection(webrtc.Configuration{ICEServers: iceServers(cfg.ICEServers)})
	if err != nil {
		return nil, fmt.Errorf("call: new peer connection: %w", err)
	}
	s := &Session{
		cfg:     cfg,
		log:     logger(cfg.Logger),
		pc:      pc,
		started: time.Now(),
		done:    make(chan struct{}),
	}
	s.stats.State = PeerNew
	s.noVideoIn.Store(cfg.NoVideoIn)
	if err := s.addTracks(); err != nil {
		_ = pc.Close()
		return nil, err
	}
	pc.OnICECandidate(s.onICECandidate)
	pc.OnConnectionStateChange(s.onConnectionState)
	pc.OnTrack(s.onTrack)
	if bwe != nil && (cfg.Local != nil || cfg.OnLinkRate != nil) {
		poke := make(chan struct{}, 1)
		bwe.OnTargetBitrateChange(func(int) {
			select {
			case poke <- struct{}{}:
			default: // the loop has one to read already
			}
		})
		s.wg.Add(1)
		go s.rateLoop(bwe, gate, poke)
	}
	s.wg.Add(1)
	go s.statsLoop()
	return s, nil
}

func (s *Session) addTracks() error {
	local := s.cfg.Local
	if local == nil {
		for _, kind := range []webrtc.RTPCodecType{webrtc.RTPCodecTypeVideo, webrtc.RTPCodecTypeAudio} {
			if _, err := s.pc.AddTransceiverFromKind(kind, webrtc.RTPTransceiverInit{
				Direction: webrtc.RTPTransceiverDirectionRecvonly,
			}); err != nil {
				return fmt.Errorf("call: add %s transceiver: %w", kind, err)
			}
		}
		return nil
	}
	for _, track := range []*media.Track{local.VideoTrack(), local.AudioTrack()} {
		if track == nil {
			continue
		}
		sender, err := s.addTrack(track)
		if err != nil {
			return fmt.Errorf("call: add %s track: %w", track.Kind(), err)
		}
		if track.Kind() == webrtc.RTPCodecTypeVideo {
			s.videoSender = sender
		}
		s.wg.Add(1)
		go s.readSenderRTCP(sender)
	}
	return nil
}

// readSenderRTCP drains the RTCP the other end sends about our media (the interceptors need it
// read) and turns PLI and FIR into a keyframe request.
func (s *Session) readSenderRTCP(sender *webrtc.RTPSender) {
	defer s.wg.Done()
	for {
		pkts, _, err := sender.ReadRTCP()
		if err != nil {
			return
		}
		for _, p := range pkts {
			switch p.(type) {
			case *rtcp.PictureLossIndication, *rtcp.FullIntraRequest:
				s.counters.keyFramesAsked.Add(1)
				s.cfg.Local.RequestKeyFrame()
			}
		}
	}
}

// CreateOffer makes the offer (the caller's side), sets it as the local description and
// returns its SDP. Candidates trickle through OnCandidate afterwards.
func (s *Session) CreateOffer() (string, error) {
	offer, err := s.pc.CreateOffer(nil)
	if err != nil {
		return "", fmt.Errorf("call: create offer: %w", err)
	}
	if err := s.pc.SetLocalDescription(offer); err != nil {
		return "", fmt.Errorf("call: set local offer: %w", err)
	}
	return s.outgoing(offer.SDP), nil
}

// RestartICE makes an offer that restarts ICE (new credentials, candidates gathered anew) on
// the established session, sets it as the local description and returns its SDP; the other
// end's answer goes to HandleAnswer as usual. The media keys (DTLS) stay: the call goes on,
// over whatever path the new checks find.
//
// While an earlier restart offer waits for its answer (lost with the network, say), the same
// offer is returned again: a new one cannot replace it before it is answered.
func (s *Session) RestartICE() (string, error) {
	if s.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer {
		if pending := s.pc.PendingLocalDescription(); pending != nil {
			return s.outgoing(pending.SDP), nil
		}
	}
	offer, err := s.pc.CreateOffer(&webrtc.OfferOptions{ICERestart: true})
	if err != nil {
		return "", fmt.Errorf("call: create restart offer: %w", err)
	}
	if err := s.pc.SetLocalDescription(offer); err != nil {
		return "", fmt.Errorf("call: set local restart offer: %w", err)
	}
	s.counters.iceRestarts.Add(1)
	return s.outgoing(offer.SDP), nil
}

// Offering reports whether an offer of ours waits for its answer.
func (s *Session) Offering() bool {
	return s.pc.SignalingState() == webrtc.SignalingStateHaveLocalOffer
}

// HandleOffer applies the other end's offer and returns our answer's SDP (the callee's side).
func (s *Session) HandleOffer(sdp string) (string, error) {
	if err := s.setRemote(webrtc.SessionDescription{Type: webrtc.SDPTypeOffer, SDP: sdp}); err != nil {
		return "", err
	}
	answer, err := s.pc.CreateAnswer(nil)
	if err != nil {
		return "", fmt.Errorf("call: create answer: %w", err)
	}
	if err := s.pc.SetLocalDescription(answer); err != nil {
		return "", fmt.Errorf("call: set local answer: %w", err)
	}
	return s.outgoing(answer.SDP), nil
}

// HandleAnswer applies the other end's answer to our offer.
func (s *Session) HandleAnswer(sdp string) error {
	return s.setRemote(webrtc.SessionDescription{Type: webrtc.SDPTypeAnswer, SDP: sdp})
}

func (s *Session) setRemote(desc webrtc.SessionDescription) error {
	if err := s.pc.SetRemoteDescription(desc); err != nil {
		return fmt.Errorf("%w: %s: %v", ErrRemoteSDP, desc.Type, err)
	}
	s.mu.Lock()
	s.remoteSet = true
	s.negotiated = time.Now()
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	for _, c := range pending {
		if err := s.pc.AddICECandidate(c); err != nil {
			s.log.Warn("queued remote candidate rejected", "err", err)
		}
	}
	return nil
}

// maxPendingCandidates bounds the candidates kept until the remote description comes: a real
// end has a handful (one per interface and transport), a flood is refused.
const maxPendingCandidates = 64

// AddCandidate adds a candidate from the other end. Candidates that arrive before the remote
// description are queued and added once it is set. An empty candidate (end of candidates) is
// ignored.
func (s *Session) AddCandidate(c signal.Candidate) error {
	if c.Candidate == "" {
		return nil
	}
	init := webrtc.ICECandidateInit{Candidate: c.Candidate, SDPMid: c.SDPMid, SDPMLineIndex: c.SDPMLineIndex}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	if !s.remoteSet {
		if len(s.pending) >= maxPendingCandidates {
			s.mu.Unlock()
			return fmt.Errorf("%w: more than %d candidates before the description", ErrRemoteSDP, maxPendingCandidates)
		}
		s.pending = append(s.pending, init)
		s.mu.Unlock()
		return nil
	}
	s.mu.Unlock()
	if err := s.pc.AddICECandidate(init); err != nil {
		return fmt.Errorf("%w: candidate: %v", ErrRemoteSDP, err)
	}
	return nil
}

func (s *Session) onICECandidate(c *webrtc.ICECandidate) {
	if c == nil || s.cfg.OnCandidate == nil {
		return
	}
	init := c.ToJSON()
	s.cfg.OnCandidate(signal.Candidate{Candidate: init.Candidate, SDPMid: init.SDPMid, SDPMLineIndex: init.SDPMLineIndex})
}

// onConnectionState runs on a goroutine pion starts for each change, so two changes in quick
// succession can arrive out of order. It therefore reports the connection's state as it is now,
// one report at a time, and only when it differs from the last one.
func (s *Session) onConnectionState(webrtc.PeerConnectionState) {
	s.stateMu.Lock()
	defer s.stateMu.Unlock()
	state := peerState(s.pc.ConnectionState())
	s.mu.Lock()
	changed := s.stats.State != state
	s.stats.State = state
	s.mu.Unlock()
	if !changed {
		return
	}
	s.log.Debug("peer connection state", "state", state.String())
	if state == PeerConnected && s.cfg.Local != nil {
		// The encoder is mid-stream: start the new peer on a keyframe.
		s.cfg.Local.RequestKeyFrame()
	}
	if s.cfg.OnState != nil {
		s.cfg.OnState(state)
	}
}

func (s *Session) onTrack(track *webrtc.TrackRemote, _ *webrtc.RTPReceiver) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	defer s.wg.Done()
	switch track.Kind() {
	case webrtc.RTPCodecTypeVideo:
		s.receiveVideo(track)
	case webrtc.RTPCodecTypeAudio:
		s.receiveAudio(track)
	}
}

// Close ends the session: it closes the PeerConnection, waits for every goroutine it started
// and frees the decoders. The Local is left running for other sessions. Close is idempotent.
func (s *Session) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	s.mu.Unlock()
	err := s.pc.Close()
	s.wg.Wait()
	if err != nil && !errors.Is(err, webrtc.ErrConnectionClosed) {
		return fmt.Errorf("call: close peer connection: %w", err)
	}
	return nil
}

func iceServers(in []signal.ICEServer) []webrtc.ICEServer {
	out := make([]webrtc.ICEServer, 0, len(in))
	for _, s := range in {
		srv := webrtc.ICEServer{URLs: append([]string(nil), s.URLs...), Username: s.Username}
		if s.Credential != "" {
			srv.Credential = s.Credential
			srv.CredentialType = webrtc.ICECredentialTypePassword
		}
		out = append(out, srv)
	}
	return out
}
