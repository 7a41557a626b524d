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
const OUTAGE_MS = 60000; // how long a call in progress may lose its media or the server before it ends
const RESTART_MS = 5000; // how often the caller restarts ICE while the media is lost

const languages = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language];
let lang = pickLanguage(languages);
let t = translator(lang);
document.documentElement.lang = lang;

const sounds = new Sounds();
const notifier = new Notifier();
const buzzer = new Buzzer();
const wakeLock = new WakeLock();

// app is the page's whole state; render(app) shows it.
const app = {
  config: null,
  online: false, // the tablet is connected
  conn: 'connecting', // the signaling connection: connecting, open, retrying, restarting, fatal
  state: 'idle',
  // call is the call under way: {id, dir: 'out'|'in', phase: inviting|ringing|connecting|connected,
  // session, from, startedAt, weak, soundOnly (the link is too thin for our video: adapt.js),
  // adapter, muted, cameraOff}. Mute and camera belong to the call: every
  // call starts with both on.
  call: null,
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

const update = () => render(app, t, notifier);

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
      if (isCall(m, 'in') && app.call.session) run(app.call.session.answerOffer(m.sdp));
      break;
    case 'answer':
      if (isCall(m, 'out') && app.call.session) run(app.call.session.acceptAnswer(m.sdp));
      break;
    case 'candidate':
      if (isCall(m) && app.call.session) app.call.session.addCandidate(m.candidate);
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
  return app.conn === 'open' && app.online && (app.state === 'idle' || app.state === 'blocked') && !app.call;
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
  const c = { id: '', dir: 'out', phase: 'media', muted: false, cameraOff: false };
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
  app.call = { id: m.call, dir: 'in', phase: 'ringing', from: m.from, muted: false, cameraOff: false };
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
  startSession(() => Promise.resolve());
  sig.send({ type: 'accept', call: c.id });
}

function declineCall() {
  const c = app.call;
  if (!c || c.dir !== 'in' || c.phase !== 'ringing') return;
  sig.send({ type: 'decline', call: c.id });
  finishCall('');
}

// ---- the call ----

function startSession(begin) {
  const c = app.call;
  c.phase = 'connecting';
  guard(c, CONNECT_MS, 'failed');
  sounds.stop();
  c.session = new CallSession({
    id: c.id,
    iceServers: app.config && app.config.iceServers,
    stream: app.local,
    send: (m) => sig.send(m),
    onRemote: (stream) => {
      if (ui.remote.srcObject !== stream) ui.remote.srcObject = stream;
      ui.remote.play().catch(() => {});
    },
    onState: (state) => onMediaState(c, state),
  });
  update();
  run(begin(c.session));
}

// run reports a failed step of setting up media as a failed call.
function run(promise) {
  const c = app.call;
  promise.catch((e) => {
    console.warn('bedside: call setup failed', e);
    if (app.call === c) hangupCall('failed');
  });
}

function onMediaState(c, state) {
  if (app.call !== c) return;
  if (state === 'connected') {
    c.weak = false;
    if (c.phase !== 'connected') {
      c.phase = 'connected';
      c.startedAt = Date.now();
      sig.send({ type: 'connected', call: c.id });
      tickTimer = setInterval(update, 1000);
      // Sound only on a link too thin for video, and the video back when it recovers.
      c.adapter = new LinkAdapter(c.session.pc, (soundOnly) => {
        c.soundOnly = soundOnly;
        update();
      });
      wakeLock.keep();
      announce(t('inCallWith', { name: app.name() }));
      setState('in-call');
    }
    mediaBack(c);
  } else if (state === 'disconnected' || state === 'failed') {
    if (c.phase !== 'connected') {
      if (state === 'failed') hangupCall('failed');
      return;
    }
    mediaLost(c);
  }
  update();
}

// mediaLost reacts to a call in progress losing its media or the server: the page says it is
// reconnecting, the caller restarts ICE (now and every RESTART_MS while it lasts; the tablet,
// when it placed the call, does so itself), and the call ends as failed after OUTAGE_MS.
function mediaLost(c) {
  c.weak = true;
  if (!c.outage) c.outage = setTimeout(() => app.call === c && hangupCall('failed'), OUTAGE_MS);
  restartIce(c);
  update();
}

function restartIce(c) {
  if (app.call !== c || !c.weak || c.dir !== 'out' || !c.session) return;
  clearTimeout(c.restart);
  c.restart = setTimeout(() => restartIce(c), RESTART_MS);
  if (app.conn === 'open') run(c.session.restartIce());
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
  stopRinging();
  if (c.adapter) c.adapter.stop();
  if (c.session) c.session.close();
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

window.bedside = {
  pc: () => (app.call && app.call.session ? app.call.session.pc : null),
  state: () => app.state,
  call: () => (app.call ? app.call.id : ''),
  conn: () => app.conn,
  resumed: () => (app.call ? app.call.resumed || 0 : 0),
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
