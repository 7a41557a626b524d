// The family page's video on a thin link. The browser itself lowers the bit rate, then the
// frame rate (the sender keeps its resolution, see session.js), as its congestion control
// finds less room; below about 100 kbit/s that leaves a picture that hardly moves and sound
// that breaks up. Then, like the tablet's engine (call/media/adapt.go), the page stops sending
// video, so that speech goes through, says so, and comes back when the link does: while the
// video is paused it tries a small picture now and then (congestion control only finds room
// that traffic uses), and keeps it when the link carries it.

// AUDIO_ONLY_BPS: an estimate of the whole link below this pauses the video.
export const AUDIO_ONLY_BPS = 100000;
// BACK_BPS: a probe keeps the video once the estimate reaches this (hysteresis: above the
// pause threshold, so that the picture does not flap).
export const BACK_BPS = 150000;
const LOW_SAMPLES = 3; // samples in a row below AUDIO_ONLY_BPS before pausing: not a blip
const PROBE_EVERY_MS = 10000; // while paused, how often to try the video again
const PROBE_FOR_MS = 4000; // how long a probe lasts
const SAMPLE_MS = 1000;
const LOSS_SAMPLES = 3; // Firefox: what got through is counted over this many samples
// BALANCED_AFTER_MS: from then on the browser may lower the picture's size as well as its
// frame rate on a thin link ('balanced'). The call starts with 'maintain-resolution' (see
// session.js: Firefox would otherwise send a small picture while it finds the bit rate), but
// kept on a thin link that holds a 640x480 picture at one frame a second and its key frames
// flood the link: on the testbed at 250 kbit/s up, Chromium fell to 0-1 fps and its estimate
// under 100 kbit/s; 'balanced' sent 320x240 at 11 fps.
const BALANCED_AFTER_MS = 10000;

// The small picture a probe sends, and the cap on it.
const PROBE_ENCODING = { maxBitrate: 80000, scaleResolutionDownBy: 4, maxFramerate: 10 };

// LinkPlan decides, from the link estimates it is given, whether the video is sent ('video'),
// paused ('paused') or tried again ('probing'). It is plain state with the times handed in, so
// that a test steps it by hand.
export class LinkPlan {
  constructor() {
    this.mode = 'video';
    this.low = 0; // samples in a row below AUDIO_ONLY_BPS
    this.since = 0; // when the mode began
  }

  // step takes an estimate of the whole link in bit/s (null: none yet) at now (ms) and returns
  // the mode to send in.
  step(bps, now) {
    switch (this.mode) {
      case 'video':
        if (bps === null) break;
        this.low = bps < AUDIO_ONLY_BPS ? this.low + 1 : 0;
        if (this.low >= LOW_SAMPLES) this.enter('paused', now);
        break;
      case 'paused':
        if (now - this.since >= PROBE_EVERY_MS) this.enter('probing', now);
        break;
      case 'probing':
        if (bps !== null && bps >= BACK_BPS) this.enter('video', now);
        else if (now - this.since >= PROBE_FOR_MS) this.enter('paused', now);
        break;
    }
    return this.mode;
  }

  enter(mode, now) {
    this.mode = mode;
    this.since = now;
    this.low = 0;
  }
}

// linkEstimate reads the browser's estimate of what the link can carry out, in bit/s:
// Chromium's availableOutgoingBitrate on the selected candidate pair. Firefox has none; there
// the far end's receiver reports tell what got through: the packets they count received, at
// the size we sent them, over the last LOSS_SAMPLES samples (a report comes about once a
// second). When that is clearly less than we sent, it is what the link carries; when about
// all got through, the link has room enough (BACK_BPS at least). On the testbed's 80 kbit/s
// link Firefox went on sending 150-200 kbit/s of video, over half of it re-sends, and the far
// end received two video packets in a hundred; the reports' own loss fraction, over audio and
// video, read 15-30 % (the sound got through), and the page kept the video for a minute.
// Without packet counts, the far end's loss fraction tells instead. last keeps the previous
// samples' counters.
export async function linkEstimate(pc, last) {
  const stats = await pc.getStats();
  let selected = '';
  stats.forEach((r) => {
    if (r.type === 'transport' && r.selectedCandidatePairId) selected = r.selectedCandidatePairId;
  });
  let available = null;
  let sent = 0;
  let at = 0;
  let fraction = null;
  const outbound = new Map();
  stats.forEach((r) => {
    if (r.type === 'candidate-pair' && (r.id === selected || (!selected && r.nominated && r.state === 'succeeded'))) {
      if (typeof r.availableOutgoingBitrate === 'number') available = r.availableOutgoingBitrate;
    }
    if (r.type === 'outbound-rtp') {
      sent += (r.bytesSent || 0) + (r.headerBytesSent || 0);
      at = Math.max(at, r.timestamp || 0);
      outbound.set(r.id, r);
    }
  });
  let received = 0; // bytes the far end got, at the sizes we sent
  let reportAt = 0;
  let counted = true;
  stats.forEach((r) => {
    if (r.type !== 'remote-inbound-rtp') return;
    if (typeof r.fractionLost === 'number') fraction = Math.max(fraction || 0, r.fractionLost);
    const o = outbound.get(r.localId);
    if (typeof r.packetsReceived !== 'number' || !o || !o.packetsSent) {
      counted = false;
      return;
    }
    received += (r.packetsReceived * ((o.bytesSent || 0) + (o.headerBytesSent || 0))) / o.packetsSent;
    reportAt = Math.max(reportAt, r.timestamp || 0);
  });
  const prev = { ...last };
  const hist = (last.hist || []).concat([{ sent, at, received, reportAt }]).slice(-(LOSS_SAMPLES + 1));
  Object.assign(last, { sent, at, hist });
  if (available !== null) return available;
  if (!prev.at || at <= prev.at) return null;
  const rate = ((sent - prev.sent) * 8 * 1000) / (at - prev.at);
  const from = hist[0];
  if (counted && reportAt > from.reportAt && at > from.at && from.reportAt) {
    const got = ((received - from.received) * 8 * 1000) / (reportAt - from.reportAt);
    const gave = ((sent - from.sent) * 8 * 1000) / (at - from.at);
    return got < 0.9 * gave ? got : Math.max(rate, BACK_BPS);
  }
  if (fraction === null) return null;
  return fraction > 0.1 ? rate * (1 - fraction) : Math.max(rate, BACK_BPS);
}

// videoSender is pc's sender of the camera, if any.
function videoSender(pc) {
  return pc.getSenders().find((s) => s.track && s.track.kind === 'video');
}

// applyMode sets the video sender's encoding for mode: off when paused, the probe's small
// picture when probing, the browser's own choice (full size) when sending video.
async function applyMode(pc, mode, balanced) {
  const sender = videoSender(pc);
  if (!sender || !sender.getParameters) return;
  const p = sender.getParameters();
  if (!p.encodings || !p.encodings.length) return;
  if (balanced) p.degradationPreference = 'balanced';
  const e = p.encodings[0];
  e.active = mode !== 'paused';
  for (const k of Object.keys(PROBE_ENCODING)) delete e[k];
  if (mode === 'probing') Object.assign(e, PROBE_ENCODING);
  else e.scaleResolutionDownBy = 1;
  await sender.setParameters(p);
}

// LinkAdapter runs a LinkPlan on a call's peer connection: it samples the link every second,
// applies the plan's mode to the video sender and calls onChange(soundOnly) when the page
// starts or stops sending sound only (a probe still counts as sound only: the picture it sends
// is not one to show off). estimate may replace linkEstimate (tests feed a link's figures).
export class LinkAdapter {
  constructor(pc, onChange, estimate = linkEstimate) {
    this.pc = pc;
    this.onChange = onChange;
    this.estimate = estimate;
    this.plan = new LinkPlan();
    this.last = {};
    this.soundOnly = false;
    this.started = Date.now();
    this.balanced = false; // the sender was set to 'balanced'
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.busy = false;
  }

  async sample() {
    // Without a camera to send there is nothing to pause, and nothing to say.
    if (this.busy || !this.timer || !videoSender(this.pc)) return;
    this.busy = true;
    try {
      const before = this.plan.mode;
      const bps = await this.estimate(this.pc, this.last);
      const now = Date.now();
      const mode = this.plan.step(bps, now);
      const balance = !this.balanced && now - this.started >= BALANCED_AFTER_MS;
      if ((mode !== before || balance) && this.timer) {
        if (mode !== before) console.info(`bedside: video ${before} → ${mode} at ${Math.round((bps || 0) / 1000)} kbit/s`);
        await applyMode(this.pc, mode, balance || this.balanced);
        this.balanced = this.balanced || balance;
      }
      const soundOnly = mode !== 'video';
      if (soundOnly !== this.soundOnly && this.timer) {
        this.soundOnly = soundOnly;
        this.onChange(soundOnly);
      }
    } catch (e) {
      // A closed connection or a refused setting: the next sample tries again.
    } finally {
      this.busy = false;
    }
  }

  stop() {
    clearInterval(this.timer);
    this.timer = null;
  }
}
