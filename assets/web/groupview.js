// What the family page shows of group calls beside the grid: the live banner ("Anna is talking
// with Maria — Join"), the guest page's waiting words, the Add button and its list of contacts.

import { addable, callTitle, canAdd, isGuest, joinNames, liveText } from './group.js';
import { setText, show, ui } from './view.js';

const $ = (id) => document.getElementById(id);

export const gui = {
  live: $('live'),
  liveText: $('live-text'),
  join: $('join'),
  joinLabel: $('join-label'),
  add: $('add'),
  addLabel: $('add-label'),
  addSheet: $('add-sheet'),
  addTitle: $('add-title'),
  addList: $('add-list'),
  addClose: $('add-close'),
};

// joinable reports whether the Join button can join the call in progress now.
export function joinable(app) {
  return !!(app.live && app.live.canJoin && app.conn === 'open' && !app.call && (app.state === 'idle' || app.state === 'blocked'));
}

// renderGroup shows app's group state with the words of t; onAdd(contactID) is what a tap on
// a contact in the Add list does.
export function renderGroup(app, t, onAdd) {
  const name = app.name();
  const guest = isGuest(app.config);
  ui.body.classList.toggle('guest', guest);
  if (guest) {
    setText(ui.heading, t('guestHeading', { name }));
    document.title = app.state === 'error' ? document.title : t('guestPageTitle', { name });
  }

  // The banner: a call of the patient is in progress (and this page is not in it).
  const live = app.live && !app.call && app.state !== 'error' ? app.live : null;
  let text = '';
  if (live) text = liveText(live, t, name);
  else if (guest && app.conn === 'open' && !app.call) text = t('guestWaiting', { name });
  show(gui.live, text !== '');
  gui.live.classList.toggle('waiting', !live);
  setText(gui.liveText, text);
  show(gui.join, !!(live && live.canJoin));
  gui.join.disabled = !joinable(app);
  setText(gui.joinLabel, t('join'));
  // The camera turns on when this page joins, not when it calls.
  if ((live || guest) && ui.noCameraText.textContent === t('cameraIdle')) setText(ui.noCameraText, t('cameraIdleJoin'));
  // The tablet is in a call: Call would only hear "busy". A guest never calls.
  if (live || guest) ui.call.disabled = true;
  show(ui.call, !guest);

  // In a group call: everyone's names on the stage, Leave (the others go on), and who rings in.
  const c = app.call;
  const connected = !!(c && c.phase === 'connected');
  const group = !!(c && (c.peers.size > 1 || c.dir === 'join' || c.group));
  if (connected && c.peers.size > 1) setText(ui.stageTitle, callTitle(c, t, name));
  else if (c && c.dir === 'join' && !connected) setText(ui.stageTitle, t('joining', { name }));
  if (group) setText(ui.hangupLabel, t('leave'));
  if (c && c.note && !c.weak) {
    show(ui.stageNote, true);
    setText(ui.stageNote, c.note);
  }
  ui.body.classList.toggle('group', !!(c && c.peers.size + c.ringing.size > 1));
  if (c && c.dir === 'in' && c.group && c.phase === 'ringing') {
    setText(ui.ringSub, t('ringSubGroup', { names: joinNames([...c.parties.values()].map((p) => (p.id === 'device' ? name : p.name)), t) }));
  }

  // Add: ring another of the patient's contacts into the call.
  const list = connected && canAdd(app.config) ? addable(app.config, c) : [];
  show(gui.add, connected && canAdd(app.config));
  gui.add.disabled = !list.length;
  ui.controls.classList.toggle('four', !gui.add.hidden);
  setText(gui.addLabel, t('add'));
  const open = !!(app.adding && connected);
  show(gui.addSheet, open);
  gui.add.setAttribute('aria-expanded', String(open));
  setText(gui.addTitle, t('addTitle'));
  setText(gui.addClose, t('close'));
  const key = list.map((k) => k.id + '\u0000' + k.name + '\u0000' + (k.online ? 1 : 0)).join('\u0001') + lang(t);
  if (gui.addList.dataset.key !== key) {
    gui.addList.dataset.key = key;
    gui.addList.replaceChildren(
      ...list.map((k) => {
        const li = document.createElement('li');
        const b = document.createElement('button');
        b.type = 'button';
        b.className = 'add-contact';
        b.dataset.testid = 'add-' + k.id;
        const initial = document.createElement('span');
        initial.className = 'add-initial';
        initial.setAttribute('aria-hidden', 'true');
        initial.textContent = (k.name || '?').slice(0, 1).toUpperCase();
        const label = document.createElement('span');
        label.className = 'add-name';
        label.textContent = k.relation ? t('addContact', { name: k.name, relation: k.relation }) : k.name;
        b.append(initial, label);
        b.addEventListener('click', () => onAdd(k.id));
        li.append(b);
        return li;
      }),
    );
  }
}

// lang tells dictionaries apart, so that the list is rebuilt when the language changes.
function lang(t) {
  return t('add');
}
