package call

import (
	"crypto/x509"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"bedside/call/media"

	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// Payload types and codec parameters Bedside negotiates. They match what browsers offer, so a
// browser's offer maps onto ours without renumbering.
const (
	VP8PayloadType  = 96
	RTXPayloadType  = 97 // retransmissions and bandwidth probes of VP8 (RFC 4588)
	OpusPayloadType = 111
	opusFmtp        = "minptime=10;useinbandfec=1"
)

// Bounds of the VP8 target that congestion control sets, bits per second: the encoder's
// limits, defined once in package media.
const (
	MinVideoBitRate = media.MinVideoBitRate
	MaxVideoBitRate = media.MaxVideoBitRate
	// audioAllowance is the share of the estimate left to Opus and the packet headers.
	audioAllowance = 50_000
)

// APIOptions tunes the pion API that sessions are built on. The zero value is right for
// production: UDP over IPv4 on every interface, loopback included; the other end's mDNS host
// candidates resolved, ours not hidden (see mdnsMode).
type APIOptions struct {
	// LoopbackOnly gathers ICE candidates on loopback addresses only. Tests set it so that
	// calls stay on 127.0.0.1.
	LoopbackOnly bool
	// NoMDNS leaves the other end's mDNS ".local" candidates unresolved, so that the engine
	// never joins the mDNS multicast group: tests outside a network namespace of their own set
	// it, so that nothing (not even an IGMP report) leaves for the machine's network.
	NoMDNS bool
	// DisconnectedTimeout, FailedTimeout and KeepAlive set pion's ICE timers; zero keeps
	// pion's defaults (5 s, 25 s, 2 s).
	DisconnectedTimeout time.Duration
	FailedTimeout       time.Duration
	KeepAlive           time.Duration
	// PortMin and PortMax, when both set, restrict the UDP ports ICE listens on.
	PortMin, PortMax uint16
	// Logger gets pion's own warnings and errors (as Debug and Info); nil drops them.
	Logger *slog.Logger
	// RelayOnly makes every session use relayed (TURN) candidates only, as the
	// iceTransportPolicy "relay" of browsers: for tests and networks where nothing else works.
	RelayOnly bool
	// TURNRoots are the roots a turns: (TURN over TLS) server's certificate is checked
	// against; nil means the system's. A relay whose certificate comes from the hospital's
	// own CA, or a test CA, needs them.
	TURNRoots *x509.CertPool
	// Net replaces the operating system's network, for tests on pion's virtual network
	// (transport/vnet), where packets can be lost, delayed or cut in process. Nil uses the
	// real one.
	Net transport.Net
}

// pion ICE's own defaults, kept for the timers APIOptions leaves out.
const (
	defaultDisconnectedTimeout = 5 * time.Second
	defaultFailedTimeout       = 25 * time.Second
	defaultKeepAlive           = 2 * time.Second
)

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// API is the shared WebRTC machinery for every Session of one process: codecs, interceptors
// and ICE settings. It is safe for concurrent use; build it once.
type API struct {
	api  *webrtc.API
	opts APIOptions

	// pcMu is held while a PeerConnection is built, so that the bandwidth estimator the
	// congestion controller makes for it (in newBWE, during NewPeerConnection) is claimed by
	// that PeerConnection alone.
	pcMu    sync.Mutex
	newBWE  *gcc.SendSideBWE
	newGate *resendGate
	// turn dials the relays reached over TCP and TLS (nil on a virtual network).
	turn *turnDialer
}

// NewAPI builds the API. VP8 (PT 96, 90 kHz) carries RTCP feedback nack, nack pli, ccm fir,
// goog-remb and transport-cc so that lost packets are re-sent and lost keyframes re-requested,
// with RTX (PT 97, apt=96) for the re-sent packets and the bandwidth probes;
// Opus (PT 111, 48 kHz stereo, in-band FEC) carries transport-cc. The default interceptors
// (NACK, RTCP reports, stats, TWCC) are registered.
func NewAPI(opts APIOptions) (*API, error) {
	if (opts.PortMin == 0) != (opts.PortMax == 0) || opts.PortMin > opts.PortMax {
		return nil, fmt.Errorf("%w: PortMin and PortMax go together, min ≤ max", ErrConfig)
	}
	me, err := newMediaEngine()
	if err != nil {
		return nil, err
	}
	logs := pionLogger{log: logger(opts.Logger)}
	a := &API{opts: opts}
	reg, err := newInterceptors(me, logs, func(e *gcc.SendSideBWE) {
		a.newBWE = e // pcMu is held: see newPeerConnection
	}, func(g *resendGate) {
		a.newGate = g // as newBWE
	})
	if err != nil {
		return nil, err
	}
	se := webrtc.SettingEngine{LoggerFactory: logs}
	se.SetIncludeLoopbackCandidate(true)
	se.SetNetworkTypes([]webrtc.NetworkType{webrtc.NetworkTypeUDP4})
	se.SetICEMulticastDNSMode(mdnsMode(opts))
	if opts.Net != nil {
		se.SetNet(opts.Net)
	} else {
		a.turn = newTURNDialer(opts.TURNRoots)
		se.SetICEProxyDialer(a.turn)
	}
	if opts.RelayOnly {
		// With relayed candidates only, pion's wait for a better pair than a relayed one
		// (RelayAcceptanceMinWait, 2 s by default) can only delay the call: no other kind
		// of pair will ever come.
		se.SetRelayAcceptanceMinWait(0)
	}
	if opts.LoopbackOnly {
		se.SetIPFilter(func(ip net.IP) bool { return ip.IsLoopback() })
	}
	if opts.DisconnectedTimeout > 0 || opts.FailedTimeout > 0 || opts.KeepAlive > 0 {
		// pion sets the three together, and takes a zero as "never": one left out keeps
		// pion's default here. (Setting only the failed timeout used to turn the other two
		// off: an ICE agent that never sent keepalives nor noticed a dead path, so a call
		// whose tablet changed address stayed "connected" with no media and never restarted.)
		se.SetICETimeouts(orDefault(opts.DisconnectedTimeout, defaultDisconnectedTimeout),
			orDefault(opts.FailedTimeout, defaultFailedTimeout), orDefault(opts.KeepAlive, defaultKeepAlive))
	}
	if opts.PortMin != 0 {
		if err := se.SetEphemeralUDPPortRange(opts.PortMin, opts.PortMax); err != nil {
			return nil, fmt.Errorf("%w: port range: %v", ErrConfig, err)
		}
	}
	a.api = webrtc.NewAPI(webrtc.WithMediaEngine(me), webrtc.WithInterceptorRegistry(reg),
		webrtc.WithSettingEngine(se))
	return a, nil
}

// newPeerConnection builds a PeerConnection and returns it with its bandwidth estimator and
// resend gate.
func (a *API) newPeerConnection(cfg webrtc.Configuration) (*webrtc.PeerConnection, *gcc.SendSideBWE, *resendGate, error) {
	a.pcMu.Lock()
	defer a.pcMu.Unlock()
	a.newBWE, a.newGate = nil, nil
	if a.opts.RelayOnly {
		cfg.ICETransportPolicy = webrtc.ICETransportPolicyRelay
	}
	if a.turn != nil {
		for _, s := range cfg.ICEServers {
			a.turn.learn(s.URLs)
		}
	}
	pc, err := a.api.NewPeerConnection(cfg)
	bwe, gate := a.newBWE, a.newGate
	a.newBWE, a.newGate = nil, nil
	if gate == nil {
		gate = &resendGate{}
	}
	return pc, bwe, gate, err
}

// WebRTC returns the underlying pion API, for tools that build their own PeerConnections.
func (a *API) WebRTC() *webrtc.API { return a.api }

func newMediaEngine() (*webrtc.MediaEngine, error) {
	me := &webrtc.MediaEngine{}
	vp8 := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType:  webrtc.MimeTypeVP8,
			ClockRate: 90000,
			RTCPFeedback: []webrtc.RTCPFeedback{
				{Type: webrtc.TypeRTCPFBNACK},
				{Type: webrtc.TypeRTCPFBNACK, Parameter: "pli"},
				{Type: webrtc.TypeRTCPFBCCM, Parameter: "fir"},
				{Type: webrtc.TypeRTCPFBGoogREMB},
				{Type: webrtc.TypeRTCPFBTransportCC},
			},
		},
		PayloadType: VP8PayloadType,
	}
	if err := me.RegisterCodec(vp8, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("call: register VP8: %w", err)
	}
	// RTX gives retransmissions and bandwidth probes a stream of their own. Without it Chromium
	// probes with padding-only packets on the VP8 stream itself; pion repairs RTX packets into
	// the VP8 track and drops the probes.
	rtx := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType:    webrtc.MimeTypeRTX,
			ClockRate:   90000,
			SDPFmtpLine: fmt.Sprintf("apt=%d", VP8PayloadType),
		},
		PayloadType: RTXPayloadType,
	}
	if err := me.RegisterCodec(rtx, webrtc.RTPCodecTypeVideo); err != nil {
		return nil, fmt.Errorf("call: register RTX: %w", err)
	}
	opus := webrtc.RTPCodecParameters{
		RTPCodecCapability: webrtc.RTPCodecCapability{
			MimeType:     webrtc.MimeTypeOpus,
			ClockRate:    48000,
			Channels:     2,
			SDPFmtpLine:  opusFmtp,
			RTCPFeedback: []webrtc.RTCPFeedback{{Type: webrtc.TypeRTCPFBTransportCC}},
		},
		PayloadType: OpusPayloadType,
	}
	if err := me.RegisterCodec(opus, webrtc.RTPCodecTypeAudio); err != nil {
		return nil, fmt.Errorf("call: register Opus: %w", err)
	}
	return me, nil
}

// logger returns l, or a logger that drops everything when l is nil.
func logger(l *slog.Logger) *slog.Logger {
	if l != nil {
		return l
	}
	return slog.New(slog.DiscardHandler)
}
