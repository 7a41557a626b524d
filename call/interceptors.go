package call

import (
	"fmt"
	"time"

	"bedside/call/media"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/interceptor/pkg/gcc"
	"github.com/pion/interceptor/pkg/nack"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"
)

// newInterceptors builds the RTP/RTCP interceptors every session uses, in this order from the
// network up (a packet the app sends passes them top down):
//
//   - congestion control (Google's, on transport-wide feedback): it sets the VP8 target of
//     each session and sees every packet that leaves, re-sends included. It sends at once (no
//     pacer): the encoder's own rate control keeps the rate smooth;
//   - transport-wide sequence numbers, for the feedback congestion control reads: below the
//     NACK responder, so that re-sent packets are numbered too;
//   - pion's defaults: the NACK responder (which re-sends lost video packets on the RTX stream,
//     within the congestion controller's target), RTCP reports, stats, and the transport-wide
//     feedback the other end's congestion control reads. pion's NACK generator is left idle
//     (it watches no stream): the receiving loop asks for lost packets itself (nackList).
//
// onBWE gets the bandwidth estimator made for each new peer connection, onGate its resend gate.
func newInterceptors(me *webrtc.MediaEngine, logs pionLogger, onBWE func(*gcc.SendSideBWE),
	onGate func(*resendGate)) (*interceptor.Registry, error) {
	reg := &interceptor.Registry{}
	congestion, err := cc.NewInterceptor(func() (cc.BandwidthEstimator, error) {
		return gcc.NewSendSideBWE(gcc.SendSideBWEInitialBitrate(media.InitialVideoBitRate+audioAllowance),
			gcc.SendSideBWEMinBitrate(media.MinVideoBitRate), gcc.SendSideBWEMaxBitrate(MaxVideoBitRate+audioAllowance),
			gcc.SendSideBWEPacer(gcc.NewNoOpPacer()), gcc.WithLoggerFactory(logs))
	})
	if err != nil {
		return nil, fmt.Errorf("call: congestion control: %w", err)
	}
	congestion.OnNewPeerConnection(func(_ string, e cc.BandwidthEstimator) {
		bwe, _ := e.(*gcc.SendSideBWE)
		onBWE(bwe)
	})
	reg.Add(rtxAwareFactory{inner: congestion, onGate: onGate})
	if err := webrtc.ConfigureTWCCHeaderExtensionSender(me, reg); err != nil {
		return nil, fmt.Errorf("call: register transport-wide numbering: %w", err)
	}
	// The interceptors log through our logger too: left to themselves they print to stderr
	// (the TWCC sender's "io: read/write on closed pipe" when a call ends).
	if err := webrtc.RegisterDefaultInterceptorsWithOptions(me, reg,
		webrtc.WithInterceptorLoggerFactory(logs),
		webrtc.WithNackGeneratorOptions(nack.GeneratorStreamsFilter(noStream))); err != nil {
		return nil, fmt.Errorf("call: register interceptors: %w", err)
	}
	return reg, nil
}

// noStream is the NACK generator's filter: it watches no stream.
func noStream(*interceptor.StreamInfo) bool { return false }

// rtxAwareFactory makes congestion-control interceptors that also know each video stream's
// RTX stream. pion's estimator registers only a stream's own SSRC with its pacer, which then
// refuses the NACK responder's re-sends on the RTX SSRC ("unknown ssrc"): no lost packet was
// ever re-sent. The re-sends pass a resend gate (one per peer connection, handed to onGate).
type rtxAwareFactory struct {
	inner  interceptor.Factory
	onGate func(*resendGate)
}

func (f rtxAwareFactory) NewInterceptor(id string) (interceptor.Interceptor, error) {
	i, err := f.inner.NewInterceptor(id)
	if err != nil {
		return nil, err
	}
	gate := &resendGate{}
	if f.onGate != nil {
		f.onGate(gate)
	}
	return rtxAware{i, gate}, nil
}

type rtxAware struct {
	interceptor.Interceptor
	gate *resendGate
}

// BindLocalStream binds the stream, and its RTX stream to the same writer; re-sends go
// through the gate.
func (r rtxAware) BindLocalStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	w := r.Interceptor.BindLocalStream(info, writer)
	if info.SSRCRetransmission == 0 || info.SSRCRetransmission == info.SSRC {
		return w
	}
	rtx := *info
	rtx.SSRC, rtx.SSRCRetransmission = info.SSRCRetransmission, 0
	rtx.PayloadType = info.PayloadTypeRetransmission
	r.Interceptor.BindLocalStream(&rtx, writer)
	media, resends := info.SSRC, info.SSRCRetransmission
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		switch h.SSRC {
		case media:
			r.gate.media(h.Timestamp)
		case resends:
			if !r.gate.allow(time.Now(), h.Timestamp, h.MarshalSize()+len(payload)) {
				return h.MarshalSize() + len(payload), nil // shed: as if sent
			}
		}
		return w.Write(h, payload, a)
	})
}
