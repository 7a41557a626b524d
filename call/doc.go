// Package call is Bedside's call engine: one call's WebRTC session on pion, the signaling client
// that talks to the ward server, and Phone, the small high-level API the kiosk app drives.
//
// The layers, bottom up:
//
//   - NewAPI builds the pion API every session shares: VP8 (with RTX for re-sends and bandwidth
//     probes) and Opus with their RTCP feedback (NACK, PLI, FIR, REMB, transport-cc), the
//     default interceptors, congestion control (pion's GCC on transport-wide feedback, which
//     sets the VP8 target of the media.Local), and ICE settings.
//   - Session is one PeerConnection: it sends a media.Local's tracks, decodes what the other end
//     sends into a media.VideoSink and a media.AudioSink, and trades SDP and candidates through
//     callbacks, so that two Sessions can be wired together in one process.
//   - Client is the signaling WebSocket: it authenticates as a device (a Signer) or a family
//     link (a token), reconnects by itself with capped, jittered backoff, and hands every
//     message from the server to its user in order.
//   - Phone ties them together: Dial, Answer, Decline, Hangup, and a channel of Events.
//   - Group calls (group*.go): a call is a full mesh, one Session per other participant keyed by
//     participant id; Join and Add; Snapshot.Call.Participants. The one media.Local feeds every
//     Session (encode once) at a rate chosen for all their links (group_rate.go), and at most
//     Config.MaxVideoIn pictures are decoded.
//
// Nothing in this package draws anything; frames and samples are handed to sinks, which must
// not block.
package call
