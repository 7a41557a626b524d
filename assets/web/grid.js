// The grid of a call on the family page: one tile per other participant (their picture, their
// name under it, "Guest · Interpreter" for a guest), a "Calling Anna…" tile for each person
// being rung in, and the one speaking larger. The tablet's tile holds the page's #remote video,
// so that a call of two looks and behaves as it always did: one picture, full screen.

import { DEVICE, partyName, roleLabel } from './group.js';
import { setText } from './view.js';

const SPEAKER_POLL_MS = 500;
const SPEAKING_LEVEL = 0.02; // getStats' audioLevel (0..1) above which a participant is speaking

// Grid keeps the tiles of #grid in step with a call's participants.
export class Grid {
  constructor(el, remote) {
    this.el = el;
    this.tiles = new Map(); // participant id → {fig, video, name, role}
    this.device = this.tile(DEVICE, remote);
    this.speaker = DEVICE;
    this.timer = 0;
  }

  // tile makes (or returns) the tile of participant id; video is the tablet's #remote.
  tile(id, video) {
    let tile = this.tiles.get(id);
    if (tile) return tile;
    const fig = document.createElement('figure');
    fig.className = 'tile';
    fig.dataset.peer = id;
    if (!video) {
      video = document.createElement('video');
      video.autoplay = true;
      video.playsInline = true;
    }
    const initial = document.createElement('div');
    initial.className = 'tile-initial';
    initial.setAttribute('aria-hidden', 'true');
    const cap = document.createElement('figcaption');
    cap.className = 'tile-caption';
    const name = document.createElement('span');
    name.className = 'tile-name';
    const role = document.createElement('span');
    role.className = 'tile-role';
    cap.append(name, role);
    fig.append(video, initial, cap);
    tile = { fig, video, initial, name, role };
    this.tiles.set(id, tile);
    return tile;
  }

  // attach shows stream in participant id's tile.
  attach(id, stream) {
    const { video } = this.tile(id);
    if (video.srcObject !== stream) video.srcObject = stream;
    video.play().catch(() => {});
  }

  // render shows call c (null: no call) with the words of t; patient is the patient's name.
  render(c, t, patient) {
    const want = new Map();
    if (c) {
      for (const [id, pair] of c.peers) want.set(id, { party: pair.party, ringing: false });
      for (const [id, party] of c.ringing) if (!want.has(id)) want.set(id, { party, ringing: true });
    }
    if (!want.size) want.set(DEVICE, { party: { id: DEVICE, name: patient }, ringing: false });
    for (const [id, tile] of this.tiles) {
      if (want.has(id)) continue;
      if (id === DEVICE) {
        tile.fig.hidden = true;
        continue;
      }
      tile.video.srcObject = null;
      tile.fig.remove();
      this.tiles.delete(id);
    }
    if (!want.has(this.speaker)) this.speaker = want.has(DEVICE) ? DEVICE : want.keys().next().value;
    for (const [id, { party, ringing }] of want) {
      const tile = this.tile(id);
      if (tile.fig.parentNode !== this.el) this.el.append(tile.fig);
      tile.fig.hidden = false;
      const name = partyName(party, patient) || t('someone');
      tile.fig.classList.toggle('ringing', ringing);
      tile.fig.classList.toggle('speaker', id === this.speaker && want.size > 1);
      setText(tile.initial, name.slice(0, 1).toUpperCase());
      setText(tile.name, ringing ? t('addRinging', { name }) : name);
      setText(tile.role, roleLabel(party, t));
    }
    this.el.dataset.count = String(want.size);
  }

  // watch follows who speaks, from the audio level each pair receives, while c lasts; onChange
  // hears when the speaker changes.
  watch(c, onChange) {
    this.stop();
    const poll = async () => {
      if (!c.peers.size) return;
      let best = '';
      let level = SPEAKING_LEVEL;
      for (const [id, pair] of c.peers) {
        const l = await audioLevel(pair.session && pair.session.pc);
        if (l > level) {
          best = id;
          level = l;
        }
      }
      if (best && best !== this.speaker && c.peers.size > 1) {
        this.speaker = best;
        onChange();
      }
    };
    this.timer = setInterval(() => poll().catch(() => {}), SPEAKER_POLL_MS);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
  }
}

// audioLevel is the level (0..1) of the audio that pc receives now, from its getStats.
async function audioLevel(pc) {
  if (!pc || pc.connectionState !== 'connected') return 0;
  let level = 0;
  (await pc.getStats()).forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'audio' && typeof s.audioLevel === 'number') level = Math.max(level, s.audioLevel);
  });
  return level;
}
