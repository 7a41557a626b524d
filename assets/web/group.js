// Group calls on the family page: who else is in the call, and what the page may do about it.
// A group call holds the patient's tablet and up to five family members (each from their own
// link) and guests; media is a full mesh, one peer connection per pair, and the newcomer offers
// to everyone present. The page's controller (family.js) keeps, per call, the other
// participants in c.peers (id → pair) and those being rung into it in c.ringing (id → party).

// DEVICE is the tablet's participant id.
export const DEVICE = 'device';

// peerOf is the participant a pair's message (offer, answer, candidate) comes from: its Peer,
// or the tablet in a call of two whose server does not name it.
export function peerOf(m) {
  return m.peer || DEVICE;
}

// joinNames lists names the way a sentence does: "Anna", "Anna and Luca", "Anna, Luca and Sara".
export function joinNames(names, t) {
  if (names.length <= 1) return names.join('');
  return t('nameList', { names: names.slice(0, -1).join(', '), last: names[names.length - 1] });
}

// roleLabel is the line under a guest's name: "Guest · Interpreter" ('' for family).
export function roleLabel(party, t) {
  if (!party || !party.guest) return '';
  return party.relation ? t('guestRole', { role: party.relation }) : t('guest');
}

// partyName is a participant's name as the page shows it: the patient's for the tablet.
export function partyName(party, patient) {
  if (!party) return '';
  return party.id === DEVICE ? patient || party.name : party.name;
}

// liveText says what the live banner says: who is talking with the patient, or, when this page
// cannot join, that the patient is in a call.
export function liveText(live, t, patient) {
  const names = live.participants.filter((p) => p.id !== DEVICE).map((p) => p.name);
  if (!live.canJoin || !names.length) return t('liveBusy', { name: patient });
  return t(names.length > 1 ? 'liveTalkingMany' : 'liveTalking', { names: joinNames(names, t), name: patient });
}

// isGuest reports whether the page is a guest's (an interpreter's, a chaplain's): it can only
// join a call in progress.
export function isGuest(config) {
  return !!(config && config.self && config.self.guest);
}

// canAdd reports whether this page may ring someone into its call: the patient's group calls
// are on, this contact may join calls (and so ask to add), and it is no guest.
export function canAdd(config) {
  return !!(config && config.groupCalls && config.mayJoin && !isGuest(config));
}

// addable lists the patient's contacts this page could ring into call c: not itself, not in the
// call, not being rung already.
export function addable(config, c) {
  if (!config || !c) return [];
  const self = config.self && config.self.id;
  return (config.contacts || []).filter((k) => k.id !== self && !c.peers.has(k.id) && !c.ringing.has(k.id));
}

// callTitle is the stage's title in a call: the patient's name, or everyone's in a group.
export function callTitle(c, t, patient) {
  const ids = [...c.peers.keys()].sort((a, b) => (b === DEVICE) - (a === DEVICE)); // the patient first
  if (ids.length <= 1) return patient;
  const names = ids.map((id) => partyName(c.peers.get(id).party, patient));
  return joinNames(names, t);
}
