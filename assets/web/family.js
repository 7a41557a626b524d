// The family page: call the patient's bedside tablet, and be rung by it.
//
// <body data-state> is one of idle, calling (placing a call, or answering one until media
// flows), ringing (the tablet is calling), in-call, ended (a call just ended; back to idle after
// a few seconds), blocked (the camera or microphone cannot be had: what to do, and a way to call
// all the same) and error (the link no longer works). window.bedside lets tests reach the
// RTCPeerConnection for getStats().
//
// The camera and microphone are on only while a call is placed or under way, and for a preview
// the person asked for (which stops by itself): never while the page merely waits.

import { DEVICE, isGuest, joinNames, liveText, peerOf } from './group.js';
import { Grid } from './grid.js';
import { gui, joinable, renderGroup } from './groupview.js';
import { pickLanguage, translator } from './i18n.js';
import { blocking, Buzzer, getLocalMedia, Notifier, Sounds, WakeLock } from './media.js';
import { LinkAdapter } from './adapt.js';
import { CallSession } from './session.js';
import { Signaling, tokenFromPath } from './signaling.js';
import { endedMessage, render, ui } from './view.js';

const ENDED_MS = 5000; // how long "call ended" stays before the home screen
const SERVER_SLACK_MS = 15000; // beyond the server's own timeouts, before the page gives up
const CONNECT_MS = 45000; // from answer to media flowing
const PREVIEW_MS = 60000; // how long a preview the person asked for stays on
const BACK_ONLINE_MS = 120000; // how long "the tablet is back online" stays: news, then stale
const OUTAGE_MS = 75000; // how long a call in progress may lose its media or the server before it ends (a 60 s cut, noticed and recovered from)
const RESTART_MS = 5000; // how often the caller restarts ICE while the media is lost

const languages = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
let lang = pickLanguage(languages);
let t = translator(lang);
document.documentElement.lang = lang;

const sounds = new Sounds();
const notifier = new Notifier();
const buzzer = new Buzzer();
const wakeLock = new WakeLock();
const grid = new Grid(ui.grid, ui.remote);
const NOTE_MS = 6000; // how long a word about someone rung in stays on the call's screen
const MAX_EARLY = 64; // candidates kept for a pair whose offer has not come yet

// app is the page's whole state; render(app) shows it.
const app = {
  config: null,
  online: false, // the tablet is connected
  conn: 'connecting', // the signaling connection: connecting, open, retrying, restarting, fatal
  state: 'idle',
  // call is the call under way: {id, dir: 'out'|'in'|'join', phase: media|inviting|joining|
  // ringing|connecting|connected, peers, ringing, parties, from, startedAt, weak, soundOnly (the
  // links are too thin for our video: adapt.js), muted, cameraOff}. peers maps each other
  // participant's id to its pair {id, party, session, offerer, weak, adapter, soundOnly}: one
  // in a call of two (the tablet, DEVICE), more in a group call. Mute and camera belong to the
  // call: every call starts with both on.
  call: null,
  live: null, // {call, participants, canJoin}: a call of the patient in progress, this page not in it
  adding: false, // the Add list is open
  cancelNext: false, // the user cancelled before the server named the call
  local: null, // the camera and microphone, while a call or a preview needs them
  problem: '', // dictionary key of what the last opening of the camera/microphone lacked
  preview: false, // the person asked to see their camera before calling
  blocked: null, // {problem, forCall, audio}: what the blocked screen says
  notice: null, // {keys}: a passing word on the home screen
  opening: false, // asking for the camera and microphone
  message: null, // {kind, title, text, time, action}: the full-screen message
  name() {
    return (this.config && this.config.patient) || t('someone');
  },
  sound() {
    return sounds.playing();
  },
};

let endTimer = 0;
let tickTimer = 0;
let previewTimer = 0;
let noticeTimer = 0;
let mediaSeq = 0; // counts openings and closings: an opening that was overtaken is dropped

const update = () => {
  render(app, t, notifier);
  renderGroup(app, t, addContact);
  grid.render(app.call, t, app.name());
};

// newCall is a call's state, fields set.
function newCall(fields) {
  return { muted: false, cameraOff: false, peers: new Map(), ringing: new Map(), parties: new Map(), early: new Map(), ...fields };
}

function setState(state) {
  app.state = state;
  update();
}

function announce(text) {
  ui.announce.textContent = text;
}

// focusHome puts the keyboard back on the Call button, or on the heading while Call waits.
function focusHome() {
  if (ui.call.disabled) ui.heading.focus();
  else ui.call.focus();
}

const sig = new Signaling({
  url: (location.protocol === 'https:' ? 'wss:' : 'ws:') + '//' + location.host + '/ws',
  token: tokenFromPath(),
  onMessage,
  onStatus,
});

// ---- signaling ----

function onStatus(s) {
  // While retrying, each attempt says 'connecting'; keep saying why we are retrying.
  if (s.status === 'connecting' && (app.conn === 'retrying' || app.conn === 'restarting')) return;
  app.conn = s.status;
  // What we knew of the tablet is stale until the server welcomes us again.
  if (s.status !== 'open' && app.notice && app.notice.keys[0] === 'backOnline') app.notice = null;
  // A call whose media flows goes on without the server (the media is peer to peer): the page
  // resumes it when the server is back. One still being set up cannot.
  if (s.status !== 'open' && s.status !== 'connecting' && app.call) {
    if (app.call.phase === 'connected') mediaLost(app.call);
    else finishCall('failed');
  }
  if (s.status === 'fatal') showFatal(s.code);
  update();
}

function onMessage(m) {
  switch (m.type) {
    case 'welcome':
    case 'config':
      // A call in progress is told again right after welcome: what we knew is stale.
      if (m.type === 'welcome') app.live = null;
      onConfig(m.config || {}, m.type === 'welcome');
      if (m.type === 'welcome') resumeCall();
      break;
    case 'presence':
      if (m.peer === 'device') setOnline(!!m.online);
      break;
    case 'ringing':
      onRinging(m);
      break;
    case 'ring':
      onRing(m);
      break;
    case 'accepted':
      if (isCall(m, 'out')) startSession((s) => s.offer());
      break;
    case 'offer':
    case 'answer':
    case 'candidate':
      if (isCall(m)) onPairMessage(app.call, m);
      break;
    case 'restart':
      if (isCall(m)) onRestartAsked(app.call, m);
      break;
    case 'live':
      onLive(m);
      break;
    case 'joined':
      if (isCall(m)) onJoined(app.call, m);
      break;
    case 'participant':
      if (isCall(m) && m.from) onParticipant(app.call, m);
      break;
    case 'ended':
      // An invite that cannot ring (offline, busy) is answered by ended with a call id that
      // the page has not seen yet.
      if (isCall(m) || isPlacing()) finishCall(m.reason);
      else if (!app.call) app.cancelNext = false;
      break;
    case 'error':
      onError(m);
      break;
  }
}

function onConfig(config, welcome) {
  const first = !app.config;
  app.config = config;
  if (first && !languages.some((l) => /^(en|it)\b/i.test(l)) && config.language) {
    lang = pickLanguage([], config.language);
    t = translator(lang);
    document.documentElement.lang = lang;
  }
  if (welcome) app.online = !!config.deviceOnline;
  else setOnline(!!config.deviceOnline);
  update();
}

function setOnline(online) {
  if (app.online === online) return;
  app.online = online;
  if (online) {
    app.notice = { keys: ['backOnline'] };
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => {
      if (app.notice && app.notice.keys[0] === 'backOnline') app.notice = null;
      update();
    }, BACK_ONLINE_MS);
    announce(t('backOnline', { name: app.name() }));
    if (document.hidden) notifier.show(t('call', { name: app.name() }), t('backOnline', { name: app.name() }));
  } else if (app.notice && app.notice.keys[0] === 'backOnline') {
    app.notice = null;
  }
  update();
}

function isPlacing() {
  const c = app.call;
  return !!(c && c.dir === 'out' && !c.id);
}

function isCall(m, dir) {
  const c = app.call;
  return !!(c && c.id && m.call === c.id && (!dir || c.dir === dir));
}

function onError(m) {
  if (sig.isFatal(m.code)) {
    if (app.call) finishCall('');
    showFatal(m.code);
    return;
  }
  const c = app.call;
  const placing = isPlacing() && !m.call;
  // A join the server refused: the page stays usable, and says why.
  if (c && c.dir === 'join' && !c.joined && (!m.call || m.call === c.id)) {
    const why = { busy: 'full', forbidden: 'forbidden', 'no-such-call': 'over', 'bad-state': 'over' }[m.code];
    if (why || m.code === 'rate-limited' || m.code === 'internal') {
      finishCall(why || '');
      update();
      return;
    }
  }
  // An add the server refused (the person is not on their page, in another call, the call is
  // full, or this page may not add): the call goes on, and the page says why.
  const adding = { busy: 'addBusy', 'peer-offline': 'addOffline', forbidden: 'addRefused' }[m.code];
  if (c && c.phase === 'connected' && c.adding && adding && (!m.call || m.call === c.id)) {
    const k = c.ringing.get(c.adding);
    c.ringing.delete(c.adding);
    c.adding = '';
    groupNote(c, t(adding, { name: (k && k.name) || t('someone') }));
    return;
  }
  switch (m.code) {
    case 'peer-offline':
      app.online = false;
      if (placing || isCall(m)) finishCall('offline');
      break;
    case 'busy':
      if (placing || isCall(m)) finishCall('busy');
      break;
    case 'rate-limited':
    case 'internal':
      if (placing || (isCall(m) && c.phase !== 'connected')) finishCall('');
      app.notice = { keys: [m.code === 'rate-limited' ? 'rateLimited' : 'internal'] };
      break;
    case 'no-such-call':
    case 'bad-state':
      if (isCall(m) && c.phase !== 'connected') finishCall('failed');
      break;
    default:
      // bad-message, unknown-type, too-large: a bug on our side. A call being placed ends (the
      // server did not take the invite); one under way goes on.
      console.warn('bedside: server error', m.code, m.message || '');
      if (placing) finishCall('failed');
  }
  update();
}

function showFatal(code) {
  sig.fatal = sig.fatal || code;
  const expired = code === 'link-expired';
  app.message = {
    kind: 'error',
    title: expired ? 'expiredTitle' : 'revokedTitle',
    text: expired ? 'expiredText' : 'revokedText',
  };
  stopMedia();
  setState('error');
  ui.messageTitle.focus();
}

// ---- placing a call ----

// callable reports whether the Call button can place a call now.
function callable() {
  return app.conn === 'open' && app.online && (app.state === 'idle' || app.state === 'blocked') && !app.call && !app.live && !isGuest(app.config);
}

// placeCall places a call. mode '' sends camera and microphone, 'audio' the microphone alone,
// 'none' nothing (the family still sees and hears the patient).
async function placeCall(mode = '') {
  sounds.unlock();
  if (!callable()) {
    if (app.state === 'blocked') goHome();
    return;
  }
  app.notice = null;
  app.blocked = null;
  const c = newCall({ id: '', dir: 'out', phase: 'media' });
  app.call = c;
  setState('calling');
  ui.hangup.focus();
  announce(t('calling', { name: app.name() }));
  if (mode === 'none') stopMedia();
  else if (!app.local || (mode === '' && !app.local.getVideoTracks().length)) await openMedia({ video: mode === '' });
  if (app.call !== c) return; // cancelled while the browser asked
  if (mode !== 'none' && blocking.has(app.problem)) {
    app.call = null;
    showBlocked(true);
    return;
  }
  c.phase = 'inviting';
  update();
  if (!sig.send({ type: 'invite' })) {
    finishCall('failed');
    return;
  }
  guard(app.call, SERVER_SLACK_MS, 'failed');
}

// showBlocked shows what keeps the camera or microphone from the call (forCall) or the
// preview, what to do about it, and, for a call, a way to call all the same.
function showBlocked(forCall) {
  const audio = !!(app.local && app.local.getAudioTracks().length);
  app.blocked = { problem: app.problem, forCall, audio };
  app.preview = false;
  stopMedia();
  setState('blocked');
  announce(t(app.problem + 'Title'));
  ui.blockedTitle.focus();
}

function goHome() {
  app.blocked = null;
  setState('idle');
  focusHome();
}

// guard ends call c with reason if it is still in the same phase after ms: the server answers
// every step, but a connection can die without the browser noticing.
function guard(c, ms, reason) {
  const phase = c.phase;
  clearTimeout(c.guard);
  c.guard = setTimeout(() => {
    if (app.call !== c || c.phase !== phase) return;
    if (c.id) sig.send({ type: 'hangup', call: c.id });
    finishCall(reason);
  }, ms);
}

function onRinging(m) {
  const c = app.call;
  if (app.cancelNext && !(c && c.dir === 'out' && !c.id)) {
    app.cancelNext = false;
    sig.send({ type: 'hangup', call: m.call });
    return;
  }
  if (!c || c.dir !== 'out' || c.id) return;
  c.id = m.call;
  c.phase = 'ringing';
  sounds.ringback(ringSeconds());
  guard(c, ringSeconds() * 1000 + SERVER_SLACK_MS, 'missed');
  update();
}

function ringSeconds() {
  return (app.config && app.config.ringSeconds) || 45;
}

// ---- being called ----

function onRing(m) {
  if (app.call || app.state === 'error') {
    sig.send({ type: 'decline', call: m.call });
    return;
  }
  clearTimeout(endTimer);
  app.message = null;
  app.blocked = null;
  app.notice = null; // what the home screen said before this call is old news after it
  stopPreview();
  app.call = newCall({ id: m.call, dir: 'in', phase: 'ringing', from: m.from });
  // Rung into a call in progress: on answering, this page offers to everyone in it.
  app.call.group = !!(m.participants && m.participants.length);
  for (const p of m.participants || []) app.call.parties.set(p.id, p);
  guard(app.call, ringSeconds() * 1000 + SERVER_SLACK_MS, 'missed');
  const caller = (m.from && m.from.name) || app.name();
  setState('ringing');
  ui.answer.focus();
  sounds.ring(ringSeconds());
  notifier.show(t('isCalling', { name: caller }), t('notificationBody'));
  buzzer.start();
}

function stopRinging() {
  sounds.stop();
  notifier.close();
  buzzer.stop();
}

async function answerCall() {
  sounds.unlock();
  const c = app.call;
  if (!c || c.dir !== 'in' || c.phase !== 'ringing') return;
  stopRinging();
  c.phase = 'connecting';
  setState('calling');
  ui.hangup.focus();
  // Whatever the browser gives, the call is answered: the family still sees and hears the
  // patient, and the screen says what the patient gets of them.
  if (!app.local) await openMedia();
  if (app.call !== c) return;
  if (c.group) guard(c, CONNECT_MS, 'failed'); // joined comes, then this page offers
  else startSession(() => Promise.resolve());
  sig.send({ type: 'accept', call: c.id });
}

function declineCall() {
  const c = app.call;
  if (!c || c.dir !== 'in' || c.phase !== 'ringing') return;
  sig.send({ type: 'decline', call: c.id });
  finishCall('');
}

// ---- the call ----

// startSession starts the call of two with the tablet: begin(session) offers, or waits for the
// tablet's offer.
function startSession(begin) {
  const c = app.call;
  c.phase = 'connecting';
  guard(c, CONNECT_MS, 'failed');
  sounds.stop();
  const pair = openPair(c, DEVICE, c.dir === 'out');
  update();
  run(begin(pair.session), pair);
}

// openPair returns the pair of call c with participant id, made (with its peer connection) if
// need be; offerer says this page offers on it (and restarts its ICE).
function openPair(c, id, offerer) {
  let pair = c.peers.get(id);
  if (pair) return pair;
  const party = c.parties.get(id) || { id, name: id === DEVICE ? app.name() : '' };
  pair = { id, party, offerer, weak: false };
  pair.session = new CallSession({
    id: c.id,
    peer: id,
    iceServers: app.config && app.config.iceServers,
    stream: app.local,
    send: (m) => sig.send(m),
    onRemote: (stream) => grid.attach(id, stream),
    onState: (state) => onMediaState(c, pair, state),
  });
  c.peers.set(id, pair);
  for (const cand of c.early.get(id) || []) pair.session.addCandidate(cand);
  c.early.delete(id);
  return pair;
}

// closePair ends the pair of call c with participant id (they left, or their link failed).
function closePair(c, id) {
  const pair = c.peers.get(id);
  if (!pair) return;
  clearTimeout(pair.restart);
  if (pair.adapter) pair.adapter.stop();
  pair.session.close();
  c.peers.delete(id);
  if (c.soundOnly && c.peers.size) c.soundOnly = [...c.peers.values()].every((p) => p.soundOnly);
  if (c.weak && c.peers.size && ![...c.peers.values()].some((p) => p.weak)) mediaBack(c);
}

// onPairMessage hands an offer, answer or candidate to its pair. An offer from someone new is
// a newcomer to the call: this page answers it.
function onPairMessage(c, m) {
  const id = peerOf(m);
  let pair = c.peers.get(id);
  if (m.type === 'candidate') {
    if (pair) pair.session.addCandidate(m.candidate);
    else if (m.candidate) {
      const list = c.early.get(id) || [];
      if (list.length < MAX_EARLY) c.early.set(id, [...list, m.candidate]);
    }
    return;
  }
  if (m.type === 'answer') {
    if (pair && pair.offerer) run(pair.session.acceptAnswer(m.sdp), pair);
    return;
  }
  if (!pair && (c.joined || c.phase === 'connected') && id !== DEVICE) pair = openPair(c, id, false);
  if (pair && !pair.offerer) run(pair.session.answerOffer(m.sdp), pair);
}

// run reports a failed step of setting up media as a failed call; in a group call, as the end
// of that one pair.
function run(promise, pair) {
  const c = app.call;
  promise.catch((e) => {
    console.warn('bedside: call setup failed', e);
    if (app.call !== c) return;
    if (pair && c.peers.size > 1) {
      closePair(c, pair.id);
      update();
    } else hangupCall('failed');
  });
}

function onMediaState(c, pair, state) {
  if (app.call !== c || c.peers.get(pair.id) !== pair) return;
  if (c.peers.size > 1 || pair.id !== DEVICE) console.info('bedside: pair', pair.id, state);
  if (state === 'connected') {
    c.weak = false;
    pair.weak = false;
    clearTimeout(pair.restart);
    if (!pair.adapter) {
      // Sound only on a link too thin for video, and the video back when it recovers: each
      // pair has its own link (and the browser its own encoder per connection). The page says
      // "sound only" when no one gets our picture.
      pair.adapter = new LinkAdapter(pair.session.pc, (soundOnly) => {
        pair.soundOnly = soundOnly;
        c.soundOnly = [...c.peers.values()].every((p) => p.soundOnly);
        update();
      });
    }
    if (c.phase !== 'connected') {
      c.phase = 'connected';
      c.startedAt = Date.now();
      sig.send({ type: 'connected', call: c.id });
      tickTimer = setInterval(update, 1000);
      wakeLock.keep();
      announce(t('inCallWith', { name: c.peers.size > 1 ? joinNames(others(c), t) : app.name() }));
      setState('in-call');
      grid.watch(c, update);
    }
    mediaBack(c);
  } else if (state === 'disconnected' || state === 'failed') {
    pair.weak = true;
    if (c.phase !== 'connected') {
      if (state !== 'failed') return;
      if (c.peers.size > 1) closePair(c, pair.id);
      else hangupCall('failed');
      update();
      return;
    }
    // The call is lost when every pair is; one pair lost restarts alone.
    if ([...c.peers.values()].every((p) => p.weak)) mediaLost(c);
    else restartPair(c, pair);
  }
  update();
}

// others are the names of the other participants of call c.
function others(c) {
  return [...c.peers.values()].map((p) => (p.id === DEVICE ? app.name() : p.party.name));
}

// restartPair restarts ICE on one pair of a group call that lost its media while the others
// kept theirs, now and every RESTART_MS, when this page offered on it.
function restartPair(c, pair) {
  if (app.call !== c || !pair.weak || !pair.offerer || c.peers.get(pair.id) !== pair) return;
  clearTimeout(pair.restart);
  pair.restart = setTimeout(() => restartPair(c, pair), RESTART_MS);
  if (app.conn === 'open') run(pair.session.restartIce(), pair);
}

// ---- group calls ----

// onLive hears of a call of the patient in progress (or over) that this page is not in.
function onLive(m) {
  const was = app.live;
  app.live = m.participants && m.participants.length ? { call: m.call, participants: m.participants, canJoin: !!m.canJoin } : null;
  if (app.live && !app.call && (!was || was.call !== app.live.call || was.canJoin !== app.live.canJoin)) {
    announce(liveText(app.live, t, app.name()));
  }
  update();
}

// joinCall joins the call in progress that the banner shows.
async function joinCall() {
  sounds.unlock();
  if (!joinable(app)) return;
  const live = app.live;
  app.notice = null;
  app.blocked = null;
  const c = newCall({ id: live.call, dir: 'join', phase: 'media' });
  for (const p of live.participants) c.parties.set(p.id, p);
  app.call = c;
  setState('calling');
  ui.hangup.focus();
  // As when answering, whatever the browser gives: the family still sees and hears the others.
  if (!app.local) await openMedia();
  if (app.call !== c) return;
  c.phase = 'joining';
  update();
  if (!sig.send({ type: 'join', call: c.id })) {
    finishCall('failed');
    return;
  }
  guard(c, SERVER_SLACK_MS, 'failed');
}

// onJoined: this page is in the call (it joined, or answered being rung in); it offers to
// everyone already there.
function onJoined(c, m) {
  if (c.joined) return;
  c.joined = true;
  c.phase = 'connecting';
  guard(c, CONNECT_MS, 'failed');
  sounds.stop();
  for (const p of m.participants || []) {
    c.parties.set(p.id, p);
    const pair = openPair(c, p.id, true);
    pair.offerer = true;
    run(pair.session.offer(), pair);
  }
  update();
}

// onParticipant hears that someone joined, left, or is being rung into the call.
function onParticipant(c, m) {
  const p = m.from;
  const name = p.id === DEVICE ? app.name() : p.name;
  switch (m.event) {
    case 'ringing':
      c.ringing.set(p.id, p);
      if (c.adding === p.id) c.adding = '';
      break;
    case 'joined':
      // Their offer comes next; their tile shows already.
      c.ringing.delete(p.id);
      c.parties.set(p.id, p);
      openPair(c, p.id, false);
      announce(t('joinedCall', { name }));
      break;
    case 'declined':
    case 'missed':
      if (c.ringing.delete(p.id)) groupNote(c, t('addNoAnswer', { name }));
      break;
    case 'left':
      c.ringing.delete(p.id);
      closePair(c, p.id);
      announce(t('leftCall', { name }));
      // A place to decode our picture may have freed at those who refused it (the tablet's
      // decode cap): ask again, on the pairs this page offered.
      for (const pair of c.peers.values()) {
        if (pair.offerer && pair.session.pictureRefused()) run(pair.session.offerAgain(), pair);
      }
      break;
  }
  update();
}

// groupNote says text on the call's screen for a few seconds (and to screen readers).
function groupNote(c, text) {
  c.note = text;
  announce(text);
  clearTimeout(c.noteTimer);
  c.noteTimer = setTimeout(() => {
    if (c.note === text) c.note = '';
    update();
  }, NOTE_MS);
  update();
}

// addContact rings one of the patient's contacts into the call.
function addContact(id) {
  const c = app.call;
  app.adding = false;
  if (!c || c.phase !== 'connected') return;
  const k = ((app.config && app.config.contacts) || []).find((x) => x.id === id);
  if (sig.send({ type: 'add', call: c.id, to: id }) && k) {
    c.adding = id; // until the server rings them (or says why not)
    c.ringing.set(id, k);
    announce(t('addRinging', { name: k.name }));
  }
  update();
  gui.add.focus();
}

// mediaLost reacts to a call in progress losing its media or the server: the page says it is
// reconnecting, the caller restarts ICE (now and every RESTART_MS while it lasts; the tablet,
// when it placed the call, does so itself), and the call ends as failed after OUTAGE_MS. The
// page checks that its server connection still works: after a network change it does not,
// and the new one asks the tablet for a restart (resumeCall).
function mediaLost(c) {
  c.weak = true;
  if (!c.outage) c.outage = setTimeout(() => app.call === c && hangupCall('failed'), OUTAGE_MS);
  sig.check();
  restartIce(c);
  update();
}

function restartIce(c) {
  const mine = [...c.peers.values()].filter((p) => p.offerer);
  if (app.call !== c || !c.weak || !mine.length) return;
  clearTimeout(c.restart);
  c.restart = setTimeout(() => restartIce(c), RESTART_MS);
  if (app.conn === 'open') for (const p of mine) run(p.session.restartIce(), p);
}

// mediaBack ends an outage.
function mediaBack(c) {
  c.weak = false;
  clearTimeout(c.outage);
  clearTimeout(c.restart);
  c.outage = c.restart = null;
}

// resumeCall tells a server we (re)connected to that our call in progress goes on.
function resumeCall() {
  const c = app.call;
  if (!c || c.phase !== 'connected' || !c.id) return;
  if (sig.send({ type: 'resume', call: c.id, side: c.dir === 'out' ? 'caller' : 'callee' })) {
    c.resumed = (c.resumed || 0) + 1;
  }
  restartIce(c);
  askRestarts(c);
}

// Restart requests. In each pair only the end that offered it restarts ICE (two offers would
// cross); the other end, when its network changed, asks it to restart at once with a restart
// message, instead of waiting for it to notice that the media stopped.

// askRestarts asks the offerer of each pair this page did not offer, and whose media is lost
// (or every such pair, just after the browser said the network changed), to restart its ICE
// now: the page is on the server again, maybe from another network.
function askRestarts(c) {
  if (app.call !== c || c.phase !== 'connected' || app.conn !== 'open') return;
  const changed = c.netChanged;
  c.netChanged = false;
  for (const p of c.peers.values()) {
    if (!p.offerer && (changed || p.weak) && sig.send({ type: 'restart', call: c.id, peer: p.id })) {
      c.restartsSent = (c.restartsSent || 0) + 1;
    }
  }
}

// netChanged: the browser says its network changed (back online, or another connection type).
// Pairs this page offered restart now; the others are asked for, now or once the page is on
// the server again.
function netChanged() {
  const c = app.call;
  if (!c || c.phase !== 'connected') return;
  c.netChanged = true;
  if (app.conn !== 'open') return; // resumeCall asks
  for (const p of c.peers.values()) if (p.offerer) run(p.session.restartIce(), p);
  askRestarts(c);
}
addEventListener('online', netChanged);
if (navigator.connection && navigator.connection.addEventListener) {
  navigator.connection.addEventListener('change', netChanged);
}

// onRestartAsked honours a request to restart ICE on a pair this page offered (its other end
// changed networks): the restart offer goes now. The page says it is reconnecting only once
// the browser sees the media stop: a browser keeps the old path until the new one is found.
function onRestartAsked(c, m) {
  const pair = c.peers.get(peerOf(m));
  if (!pair || !pair.offerer || c.phase !== 'connected') return;
  c.restartsAsked = (c.restartsAsked || 0) + 1;
  if (app.conn === 'open') run(pair.session.restartIce(), pair);
}

// hangupCall ends the call from this end (the Hang up / Cancel button, or media that failed).
function hangupCall(reason) {
  const c = app.call;
  if (!c) return;
  // 'failed' tells the server (and the ward's call log) that the call broke here.
  if (c.id) sig.send(reason === 'failed' ? { type: 'hangup', call: c.id, reason } : { type: 'hangup', call: c.id });
  else if (c.phase !== 'media') app.cancelNext = true; // the invite went; its call id has not come yet
  finishCall(reason || (c.phase === 'connected' ? 'hangup' : ''));
}

// finishCall tears the call down and says why it ended ('' when there is nothing to say).
function finishCall(reason) {
  const c = app.call;
  if (!c) return;
  app.call = null;
  clearTimeout(c.guard);
  clearTimeout(c.outage);
  clearTimeout(c.restart);
  clearTimeout(c.noteTimer);
  stopRinging();
  for (const id of [...c.peers.keys()]) closePair(c, id);
  grid.stop();
  app.adding = false;
  ui.remote.srcObject = null;
  stopMedia(); // no camera or microphone between calls; the next call starts with both on
  clearInterval(tickTimer);
  wakeLock.release();
  const m = endedMessage(c, reason);
  if (!m) {
    setState('idle');
    focusHome();
    return;
  }
  app.message = m;
  announce(t(m.title, { name: app.name() }));
  setState('ended');
  ui.messageAction.focus();
  clearTimeout(endTimer);
  endTimer = setTimeout(backHome, ENDED_MS);
}

function backHome() {
  clearTimeout(endTimer);
  if (app.state !== 'ended') return;
  const m = app.message;
  app.message = null;
  app.notice = m && m.keep && m.title !== 'offlineTitle' ? { keys: [m.title, m.text] } : app.notice;
  setState('idle');
  focusHome();
}

// ---- camera, microphone, screen ----

// openMedia opens the camera and microphone (want as getLocalMedia's) and shows the camera.
async function openMedia(want) {
  stopMedia();
  const seq = mediaSeq;
  app.opening = true;
  update();
  const { stream, problem } = await getLocalMedia(want);
  if (seq !== mediaSeq) {
    // Stopped (a cancel, a hang-up) while the browser asked: let nothing stay on.
    if (stream) stream.getTracks().forEach((tr) => tr.stop());
    return;
  }
  app.opening = false;
  app.problem = problem;
  app.local = stream;
  if (stream) {
    applyMediaToggles();
    ui.self.srcObject = stream;
    ui.self.play().catch(() => {});
  }
  update();
}

// stopMedia turns the camera and microphone off, and drops an opening under way.
function stopMedia() {
  mediaSeq++;
  app.opening = false;
  if (app.local) app.local.getTracks().forEach((tr) => tr.stop());
  app.local = null;
  ui.self.srcObject = null;
}

// togglePreview shows the camera at home, for a while, when the person asks; or stops it.
async function togglePreview() {
  if (app.preview || app.opening) {
    stopPreview();
    ui.preview.focus();
    return;
  }
  if (app.state !== 'idle' || app.call) return;
  app.preview = true;
  await openMedia();
  if (!app.preview || app.call) return;
  if (blocking.has(app.problem)) {
    showBlocked(false);
    return;
  }
  clearTimeout(previewTimer);
  previewTimer = setTimeout(stopPreview, PREVIEW_MS);
}

function stopPreview() {
  clearTimeout(previewTimer);
  if (!app.preview) return;
  app.preview = false;
  if (!app.call) stopMedia();
  update();
}

// applyMediaToggles makes the tracks send what the call's buttons say; between calls
// everything is on.
function applyMediaToggles() {
  if (!app.local) return;
  const c = app.call;
  app.local.getAudioTracks().forEach((tr) => (tr.enabled = !(c && c.muted)));
  app.local.getVideoTracks().forEach((tr) => (tr.enabled = !(c && c.cameraOff)));
}

// ---- wiring ----

ui.call.addEventListener('click', () => placeCall(''));
ui.answer.addEventListener('click', answerCall);
ui.decline.addEventListener('click', declineCall);
ui.hangup.addEventListener('click', () => hangupCall(''));
ui.mute.addEventListener('click', () => {
  if (!app.call) return;
  app.call.muted = !app.call.muted;
  applyMediaToggles();
  update();
});
ui.camera.addEventListener('click', () => {
  if (!app.call) return;
  app.call.cameraOff = !app.call.cameraOff;
  applyMediaToggles();
  update();
});
ui.preview.addEventListener('click', togglePreview);
ui.blockedRetry.addEventListener('click', () => {
  if (app.blocked && app.blocked.forCall) placeCall('');
  else {
    app.blocked = null;
    setState('idle');
    togglePreview();
  }
});
ui.blockedAnyway.addEventListener('click', () => placeCall(app.blocked && app.blocked.audio ? 'audio' : 'none'));
ui.blockedBack.addEventListener('click', goHome);
ui.messageAction.addEventListener('click', backHome);
ui.notify.addEventListener('click', async () => {
  if (await notifier.ask()) announce(t('notifyOn', { name: app.name() }));
  update();
});
for (const ev of ['pointerdown', 'keydown']) addEventListener(ev, () => sounds.unlock(), { passive: true });
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && app.state === 'in-call') wakeLock.keep();
  if (document.visibilityState === 'hidden') stopPreview();
});

gui.join.addEventListener('click', joinCall);
gui.add.addEventListener('click', () => {
  app.adding = !app.adding;
  update();
  if (app.adding) {
    const first = gui.addList.querySelector('button');
    (first || gui.addClose).focus();
  }
});
gui.addClose.addEventListener('click', () => {
  app.adding = false;
  update();
  gui.add.focus();
});
addEventListener('keydown', (ev) => {
  if (ev.key === 'Escape' && app.adding) {
    app.adding = false;
    update();
    gui.add.focus();
  }
});

// pairPC is the peer connection with participant id ('' : the tablet's, or the first).
function pairPC(id) {
  const c = app.call;
  if (!c) return null;
  const pair = c.peers.get(id || DEVICE) || (id ? null : c.peers.values().next().value);
  return pair ? pair.session.pc : null;
}

window.bedside = {
  pc: () => pairPC(''),
  pcOf: (id) => pairPC(id),
  peers: () => (app.call ? [...app.call.peers.keys()] : []),
  live: () => app.live,
  speaker: () => grid.speaker,
  state: () => app.state,
  call: () => (app.call ? app.call.id : ''),
  conn: () => app.conn,
  resumed: () => (app.call ? app.call.resumed || 0 : 0),
  restartsAsked: () => (app.call ? app.call.restartsAsked || 0 : 0),
  restartsSent: () => (app.call ? app.call.restartsSent || 0 : 0),
  soundOnly: () => !!(app.call && app.call.soundOnly),
  sound: () => sounds.playing(),
  lang: () => lang,
};

if (typeof RTCPeerConnection === 'undefined') {
  app.problem = 'unsupported';
  update();
} else {
  sounds.onChange = update;
  sounds.unlock(); // audible at once where the browser allows it; otherwise at the first touch
  update();
  sig.start();
}
