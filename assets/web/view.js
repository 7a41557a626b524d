// The family page's view: it turns the page's state into what the DOM shows. It holds no
// state of its own beyond what is on screen.

import { browserName } from './media.js';

const $ = (id) => document.getElementById(id);

export const ui = {
  body: document.body,
  home: $('home'),
  announce: $('announce'),
  greeting: $('greeting'),
  heading: $('heading'),
  visiting: $('visiting'),
  stage: $('stage'),
  remote: $('remote'),
  self: $('self'),
  selfLabel: $('self-label'),
  noCamera: $('no-camera'),
  noCameraText: $('no-camera-text'),
  preview: $('preview'),
  stageTitle: $('stage-title'),
  duration: $('duration'),
  stageNote: $('stage-note'),
  mute: $('mute'),
  muteLabel: $('mute-label'),
  camera: $('camera'),
  cameraLabel: $('camera-label'),
  hangup: $('hangup'),
  hangupLabel: $('hangup-label'),
  notice: $('notice'),
  noticeText: $('notice-text'),
  call: $('call'),
  callLabel: $('call-label'),
  conn: $('conn'),
  notify: $('notify'),
  footnote: $('footnote'),
  ring: $('ring'),
  ringInitial: $('ring-initial'),
  ringTitle: $('ring-title'),
  ringSub: $('ring-sub'),
  answer: $('answer'),
  answerLabel: $('answer-label'),
  decline: $('decline'),
  declineLabel: $('decline-label'),
  blocked: $('blocked'),
  blockedTitle: $('blocked-title'),
  blockedText: $('blocked-text'),
  blockedSteps: $('blocked-steps'),
  blockedRetry: $('blocked-retry'),
  blockedAnyway: $('blocked-anyway'),
  blockedBack: $('blocked-back'),
  message: $('message'),
  messageIcon: $('message-icon'),
  messageTitle: $('message-title'),
  messageText: $('message-text'),
  messageAction: $('message-action'),
};

// setText changes an element's text only when it differs, so live regions announce changes
// and nothing else.
export function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

export function show(el, visible) {
  if (el.hidden === visible) el.hidden = !visible;
}

// clock formats seconds as m:ss, or h:mm:ss after an hour.
export function clock(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const pad = (n) => String(n).padStart(2, '0');
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

// callNow are the notices that invite a call.
const callNow = new Set(['backOnline', 'missedText']);

// notices lists what the home screen must tell the user right now, most important first.
function notices(app, t, name) {
  const list = [];
  if (app.problem === 'unsupported') list.push({ text: t('unsupported') });
  if (app.conn === 'restarting') list.push({ text: t('serverRestarting') });
  else if (app.conn === 'retrying') list.push({ text: t('connectionLost') });
  else if (app.conn === 'open' && !app.online) list.push({ text: t('offline', { name }) });
  if (app.notice) {
    // While the tablet cannot be called, nothing may say "call now".
    const callable = app.conn === 'open' && app.online;
    const keys = app.notice.keys.filter((k) => callable || !callNow.has(k));
    if (keys.length) list.push({ text: keys.map((k) => t(k, { name })).join('\n'), good: keys[0] === 'backOnline' });
  }
  return list;
}

// layers says which part of the page each state shows on top; the rest is inert (neither
// focusable nor read) while it shows.
const layers = { ringing: 'ring', ended: 'message', error: 'message', blocked: 'blocked', calling: 'stage', 'in-call': 'stage' };

// trapFocus makes everything but the layer that state shows inert, so that the keyboard and
// screen readers stay inside an overlay. The live region is never inert.
function trapFocus(state) {
  const top = ui[layers[state] || 'home'];
  for (const el of [...ui.body.children, ...ui.home.children]) {
    if (el === ui.announce || el.tagName === 'SCRIPT') continue;
    const inert = !(el.contains(top) || top.contains(el));
    if (el.inert !== inert) el.inert = inert;
  }
}

// render shows app (the controller's state) with the words of t.
export function render(app, t, notifier) {
  const name = app.name();
  const c = app.call;
  ui.body.dataset.state = app.state;
  trapFocus(app.state);
  ui.body.dataset.conn = app.conn;
  // A dead link's tab says so, not "Call your family member".
  document.title = app.state === 'error' && app.message ? t('deadTitle', { title: t(app.message.title) }) : t('pageTitle', { name });

  const selfName = app.config && app.config.self && app.config.self.name;
  setText(ui.greeting, selfName ? t('greeting', { self: selfName }) : '');
  setText(ui.heading, t('heading', { name }));
  const hours = app.config && app.config.visitingHours;
  show(ui.visiting, !!hours);
  setText(ui.visiting, hours ? t('visiting', { hours }) : '');
  setText(ui.callLabel, t('call', { name }));
  setText(ui.selfLabel, t('selfLabel'));
  setText(ui.footnote, t('footnote'));
  ui.call.disabled = !(app.conn === 'open' && app.online && app.state === 'idle');
  let hint = '';
  if (app.conn === 'connecting' && !app.config) hint = t('connecting');
  else if (app.conn === 'open' && app.state === 'idle' && !app.sound().audible) hint = t('tapForSound', { name });
  setText(ui.conn, hint);

  const list = notices(app, t, name);
  show(ui.notice, list.length > 0);
  ui.notice.classList.toggle('good', list.length > 0 && list.every((n) => n.good));
  const notice = list.map((n) => n.text).join('\n');
  if (notice && ui.noticeText.textContent !== notice) ui.announce.textContent = notice;
  setText(ui.noticeText, notice);
  show(ui.notify, app.conn === 'open' && notifier.canAsk());
  setText(ui.notify, t('notifyAsk', { name }));

  // The stage: at home, the preview the person asked for; full screen while calling and in a call.
  const hasVideo = !!(app.local && app.local.getVideoTracks().length);
  const hasAudio = !!(app.local && app.local.getAudioTracks().length);
  const muted = !!(c && c.muted);
  const cameraOff = !!(c && c.cameraOff);
  show(ui.noCamera, !hasVideo || cameraOff);
  ui.stage.classList.toggle('empty', !hasVideo && !app.opening);
  let camText = 'cameraIsOff';
  if (app.opening) camText = 'cameraStarting';
  else if (!hasVideo && !c) camText = 'cameraIdle';
  setText(ui.noCameraText, t(camText));
  ui.noCamera.classList.toggle('starting', camText === 'cameraStarting');
  show(ui.preview, app.state === 'idle');
  setText(ui.preview, t(app.preview || app.opening ? 'previewOff' : 'previewOn'));
  ui.mute.setAttribute('aria-pressed', String(muted));
  setText(ui.muteLabel, t(muted ? 'unmute' : 'mute'));
  ui.mute.disabled = !hasAudio;
  ui.camera.setAttribute('aria-pressed', String(cameraOff));
  ui.camera.disabled = !hasVideo;
  setText(ui.cameraLabel, t(cameraOff ? 'cameraOn' : 'cameraOff'));
  const connected = c && c.phase === 'connected';
  setText(ui.hangupLabel, t(c && c.dir === 'out' && !connected ? 'cancel' : 'hangup'));
  setText(ui.stageTitle, connected || (c && c.dir === 'in') ? name : t('calling', { name }));
  let phase = '';
  if (connected) phase = t('duration', { time: clock((Date.now() - c.startedAt) / 1000) });
  else if (c && c.phase === 'inviting') phase = t('connecting');
  else if (c && c.phase === 'ringing') phase = t('ringingThere', { name });
  else if (c) phase = t('connectingCall');
  setText(ui.duration, phase);
  let note = '';
  if (c && c.weak) note = t('weakConnection');
  else if (c && c.soundOnly) note = t('soundOnlyNote', { name });
  else if (c && c.phase !== 'media' && !app.opening && !(hasVideo && hasAudio)) {
    note = t(hasVideo ? 'noteNoAudio' : hasAudio ? 'noteNoVideo' : 'noteNothing', { name });
  }
  show(ui.stageNote, note !== '');
  setText(ui.stageNote, note);

  // The camera or microphone cannot be had: what it means, what to do, a way on.
  const b = app.blocked;
  setText(ui.blockedTitle, b ? t(b.problem + 'Title') : '');
  setText(ui.blockedText, b ? t(b.problem + 'Text', { name }) : '');
  setText(ui.blockedSteps, b ? t(stepsKey(b.problem)) : '');
  setText(ui.blockedRetry, t('tryAgain'));
  show(ui.blockedRetry, !!b && b.problem !== 'insecure' && b.problem !== 'unsupported');
  setText(ui.blockedAnyway, t(b && b.audio ? 'callSoundOnly' : 'callWithout'));
  show(ui.blockedAnyway, !!b && b.forCall && b.problem !== 'unsupported');
  setText(ui.blockedBack, t('back'));

  // Ringing.
  const caller = (c && c.from && c.from.name) || name;
  setText(ui.ringInitial, caller.slice(0, 1).toUpperCase());
  setText(ui.ringTitle, t('isCalling', { name: caller }));
  setText(ui.ringSub, t('ringSub'));
  setText(ui.answerLabel, t('answer'));
  setText(ui.declineLabel, t('decline'));

  // Full-screen messages: a call that just ended, or a link that no longer works.
  const m = app.message;
  ui.message.dataset.kind = m ? m.kind : '';
  setText(ui.messageTitle, m ? t(m.title, { name }) : '');
  setText(ui.messageText, m ? t(m.text, { name, time: m.time ? clock(m.time) : '' }) : '');
  show(ui.messageAction, !!(m && m.action));
  setText(ui.messageAction, m && m.action ? t(m.action) : '');
}

// stepsKey is the dictionary key of what to do about problem, in this browser.
function stepsKey(problem) {
  switch (problem) {
    case 'cameraDenied':
    case 'mediaDenied':
      return 'stepsDenied_' + browserName();
    case 'cameraBusy':
    case 'micBusy':
      return 'stepsBusy';
    case 'insecure':
      return 'stepsInsecure';
    case 'unsupported':
      return 'unsupported';
  }
  return 'stepsMissing';
}

// endedMessage says why call c ended, as dictionary keys: {kind, title, text, time, action,
// keep (say it again on the home screen)}, or null when there is nothing to say.
export function endedMessage(c, reason) {
  const out = c.dir === 'out';
  const time = c.startedAt ? (Date.now() - c.startedAt) / 1000 : 0;
  const m = (kind, title, text) => ({ kind, title, text, time, action: 'ok', keep: kind !== 'ok' });
  switch (reason) {
    case 'hangup':
      return m('ok', 'endedTitle', time ? 'endedText' : 'endedTextShort');
    case 'declined':
      return out ? m('info', 'declinedTitle', 'declinedText') : null;
    case 'cancelled':
      return out ? null : m('info', 'missedTitle', 'missedText');
    case 'missed':
      return out ? m('info', 'noAnswerTitle', 'noAnswerText') : m('info', 'missedTitle', 'missedText');
    case 'failed':
      return time ? m('warn', 'cutOffTitle', 'cutOffText') : m('warn', 'failedTitle', 'failedText');
    case 'offline':
      return m('info', 'offlineTitle', 'offlineText');
    case 'busy':
      return m('info', 'busyTitle', 'busyText');
    case 'elsewhere':
      return m('info', 'elsewhereTitle', 'elsewhereText');
  }
  return null;
}
