// One call's WebRTC session on the family page: the RTCPeerConnection, its offer/answer and
// trickled candidates. The page's controller owns the signaling; this only sends through send.

// preferVP8 puts VP8 first in a video transceiver's codec list, where the browser allows it:
// the tablet's engine decodes VP8.
function preferVP8(transceiver) {
  if (!transceiver.setCodecPreferences || !window.RTCRtpReceiver || !RTCRtpReceiver.getCapabilities) return;
  const caps = RTCRtpReceiver.getCapabilities('video');
  if (!caps) return;
  const isVP8 = (c) => c.mimeType.toLowerCase() === 'video/vp8';
  try {
    transceiver.setCodecPreferences([...caps.codecs.filter(isVP8), ...caps.codecs.filter((c) => !isVP8(c))]);
  } catch (e) {
    // Older browsers refuse some capability lists; their default order still offers VP8.
  }
}

// keepResolution asks the browser to send the camera's full picture from the start and to
// lower the frame rate, not the size, while the connection's bit rate is still being found:
// Firefox otherwise sends the tablet a small picture (480x360, or 320x240 on a slow link) for
// its first seconds, which the tablet's screen shows blurred.
async function keepResolution(sender) {
  if (!sender || !sender.track || sender.track.kind !== 'video' || !sender.getParameters) return;
  try {
    const p = sender.getParameters();
    if (!p.encodings || !p.encodings.length) p.encodings = [{}];
    p.degradationPreference = 'maintain-resolution';
    p.encodings[0].scaleResolutionDownBy = 1;
    await sender.setParameters(p);
  } catch (e) {
    // A browser that refuses these keeps its own choice; the call goes on.
  }
}

// CallSession is one peer connection. stream is the local camera/microphone (may lack a track);
// send(msg) sends a signaling message about this call; onRemote(stream) is called as remote
// tracks arrive; onState(connectionState) on every change. peer, when set, is the other
// participant's id, put on every offer, answer and candidate (a group call has one session per
// other participant).
export class CallSession {
  constructor({ id, peer, iceServers, stream, send, onRemote, onState }) {
    this.id = id;
    this.peer = peer || '';
    this.stream = stream;
    this.send = peer ? (m) => send({ ...m, peer }) : send;
    this.pending = []; // candidates that came before the remote description
    this.closed = false;
    this.remote = new MediaStream();
    this.pc = new RTCPeerConnection({ iceServers: iceServers || [], bundlePolicy: 'max-bundle' });
    this.pc.onicecandidate = (ev) => {
      const c = ev.candidate;
      if (!c || !c.candidate || this.closed) return;
      this.send({
        type: 'candidate',
        call: this.id,
        candidate: { candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex },
      });
    };
    this.pc.ontrack = (ev) => {
      if (!this.remote.getTrackById(ev.track.id)) this.remote.addTrack(ev.track);
      onRemote(this.remote);
    };
    this.pc.onconnectionstatechange = () => {
      if (!this.closed) onState(this.pc.connectionState);
    };
  }

  track(kind) {
    return this.stream ? this.stream.getTracks().find((t) => t.kind === kind) : undefined;
  }

  // offer starts the call as its caller: one audio and one video transceiver, then the offer.
  async offer() {
    for (const kind of ['audio', 'video']) {
      const track = this.track(kind);
      const t = track
        ? this.pc.addTransceiver(track, { direction: 'sendrecv', streams: [this.stream] })
        : this.pc.addTransceiver(kind, { direction: 'recvonly' });
      if (kind === 'video') preferVP8(t);
    }
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    this.send({ type: 'offer', call: this.id, sdp: this.pc.localDescription.sdp });
    for (const t of this.pc.getTransceivers()) await keepResolution(t.sender);
  }

  // answerOffer answers the other end's offer with the local tracks.
  async answerOffer(sdp) {
    await this.pc.setRemoteDescription({ type: 'offer', sdp });
    await this.flushCandidates();
    const used = new Set();
    for (const t of this.pc.getTransceivers()) {
      const kind = t.receiver.track && t.receiver.track.kind;
      const track = this.track(kind);
      if (track && !used.has(kind)) {
        used.add(kind);
        await t.sender.replaceTrack(track);
        if (t.sender.setStreams) t.sender.setStreams(this.stream);
        t.direction = 'sendrecv';
      } else {
        t.direction = 'recvonly';
      }
      if (kind === 'video') preferVP8(t);
    }
    const answer = await this.pc.createAnswer();
    await this.pc.setLocalDescription(answer);
    this.send({ type: 'answer', call: this.id, sdp: this.pc.localDescription.sdp });
    for (const t of this.pc.getTransceivers()) await keepResolution(t.sender);
  }

  // restartIce offers the other end a restart of ICE on the established call (new credentials,
  // candidates gathered anew): the way back after a network change or a long cut. The answer
  // comes to acceptAnswer as usual.
  // An offer still waiting for its answer is offered again: the answer may have been lost with
  // the network, and the tablet answers the newest offer.
  async restartIce() {
    const st = this.pc.signalingState;
    if (this.closed || (st !== 'stable' && st !== 'have-local-offer')) return;
    const offer = await this.pc.createOffer({ iceRestart: true });
    await this.pc.setLocalDescription(offer);
    this.send({ type: 'offer', call: this.id, sdp: this.pc.localDescription.sdp });
  }

  // pictureRefused reports whether the other end's answer refused our picture: it decodes a
  // few pictures only (the tablet's decode cap) and ours was past them.
  pictureRefused() {
    const t = this.pc.getTransceivers().find((x) => x.receiver.track && x.receiver.track.kind === 'video');
    return !!t && (t.currentDirection === 'recvonly' || t.currentDirection === 'inactive');
  }

  // offerAgain renegotiates the established call (only the side that offered it does, so that
  // two offers never cross): someone left, and the other end may have a place for our picture.
  async offerAgain() {
    if (this.closed || this.pc.signalingState !== 'stable' || this.pc.connectionState !== 'connected') return;
    const offer = await this.pc.createOffer();
    await this.pc.setLocalDescription(offer);
    this.send({ type: 'offer', call: this.id, sdp: this.pc.localDescription.sdp });
  }

  // acceptAnswer applies the answer to our offer; an answer to an offer that was answered
  // already (a restart offered again, both answers arriving) is dropped.
  async acceptAnswer(sdp) {
    if (this.closed || this.pc.signalingState !== 'have-local-offer') return;
    await this.pc.setRemoteDescription({ type: 'answer', sdp });
    await this.flushCandidates();
  }

  async addCandidate(c) {
    if (!c) return;
    if (!this.pc.remoteDescription) {
      this.pending.push(c);
      return;
    }
    try {
      await this.pc.addIceCandidate(c);
    } catch (e) {
      // A candidate the browser cannot use is not fatal; the others may still connect.
    }
  }

  async flushCandidates() {
    const list = this.pending;
    this.pending = [];
    for (const c of list) await this.addCandidate(c);
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    this.pc.close();
  }
}
