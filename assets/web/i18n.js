// Words of the family page: one dictionary per language, every string the page shows.
// {name} is the patient's first name, {self} the family member's, {time} a duration.

const en = {
  pageTitle: 'Call {name} · Bedside',
  someone: 'your family member',
  greeting: 'Hello, {self}',
  heading: 'Call {name}',
  call: 'Call {name}',
  selfLabel: 'This is you',
  cameraIsOff: 'Your camera is off',
  cameraStarting: 'Starting your camera…',
  cameraBlocked: 'No camera',
  footnote: 'Video calls are private and are never recorded.',
  noscript: 'This page needs JavaScript to make video calls.',

  connecting: 'Connecting…',
  calling: 'Calling {name}…',
  ringingThere: 'Ringing {name}’s tablet…',
  connectingCall: 'Connecting the call…',
  weakConnection: 'The connection is weak. Trying to reconnect…',
  cancel: 'Cancel',
  hangup: 'Hang up',
  mute: 'Mute',
  unmute: 'Unmute',
  cameraOff: 'Stop video',
  cameraOn: 'Start video',
  duration: 'Call time {time}',

  isCalling: '{name} is calling',
  ringSub: 'Video call from the hospital',
  answer: 'Answer',
  decline: 'Decline',
  notificationBody: 'Tap to answer the video call.',
  notifyAsk: 'Tell me when {name} calls',
  notifyOn: 'We’ll let you know when {name} calls while this page is open.',
  tapForSound: 'Tap anywhere on this page so that it can ring when {name} calls.',

  offline: '{name}’s tablet is offline right now; we’ll tell you when it’s back.',
  backOnline: '{name}’s tablet is back online. You can call now.',
  connectionLost: 'We lost the connection. Trying again…',
  serverRestarting: 'The service is restarting. We’ll reconnect in a moment.',
  rateLimited: 'Too many attempts. Please wait a minute and try again.',
  internal: 'Something went wrong on our side. Please try again.',
  tryAgain: 'Try again',
  ok: 'OK',

  cameraDenied: 'Your camera and microphone are blocked, so {name} can’t see or hear you. ' +
    'To allow them, tap the camera or lock icon next to the web address, choose “Allow”, then tap Try again.',
  cameraMissing: 'We couldn’t find a microphone on this device. Please connect one, or open this link on a phone.',
  cameraBusy: 'Your camera is being used by another app. Please close that app, then tap Try again.',
  audioOnly: 'We couldn’t find a camera: {name} will hear you but won’t see you.',
  insecure: 'The camera only works when this page is opened from its full https:// link. Please open the link you were sent again.',
  unsupported: 'This browser can’t make video calls. Please open the link in an up-to-date Chrome, Firefox, Safari or Edge.',

  endedTitle: 'Call ended',
  endedText: 'You talked for {time}. Thank you for calling.',
  endedTextShort: 'Thank you for calling.',
  declinedTitle: '{name} can’t answer right now',
  declinedText: 'Please try again a little later.',
  noAnswerTitle: '{name} didn’t answer',
  noAnswerText: '{name} may be resting or with a nurse. Please try again later.',
  missedTitle: 'You missed a call from {name}',
  missedText: 'You can call back now.',
  failedTitle: 'The call couldn’t be connected',
  failedText: 'Please check your internet connection and try again.',
  cutOffTitle: 'The call was cut off',
  cutOffText: 'Please check your internet connection and call again.',
  busyTitle: '{name} is already on a call',
  busyText: 'Please try again in a few minutes.',
  elsewhereTitle: 'Answered on another screen',
  elsewhereText: 'This call was picked up on another of your devices.',
  offlineTitle: '{name}’s tablet is offline',
  offlineText: 'We’ll tell you on this page when it’s back.',

  expiredTitle: 'This link has expired',
  expiredText: 'Please ask the ward for a new one.',
  revokedTitle: 'This link no longer works.',
  revokedText: 'Please ask the ward for a new one.',
};

const it = {
  pageTitle: 'Chiama {name} · Bedside',
  someone: 'il tuo familiare',
  greeting: 'Ciao, {self}',
  heading: 'Chiama {name}',
  call: 'Chiama {name}',
  selfLabel: 'Questo sei tu',
  cameraIsOff: 'La tua fotocamera è spenta',
  cameraStarting: 'Avvio della fotocamera…',
  cameraBlocked: 'Nessuna fotocamera',
  footnote: 'Le videochiamate sono private e non vengono mai registrate.',
  noscript: 'Questa pagina ha bisogno di JavaScript per fare videochiamate.',

  connecting: 'Connessione in corso…',
  calling: 'Chiamata a {name}…',
  ringingThere: 'Il tablet di {name} sta squillando…',
  connectingCall: 'Collegamento della chiamata…',
  weakConnection: 'La connessione è debole. Stiamo riprovando…',
  cancel: 'Annulla',
  hangup: 'Riaggancia',
  mute: 'Silenzia',
  unmute: 'Riattiva audio',
  cameraOff: 'Spegni video',
  cameraOn: 'Accendi video',
  duration: 'Durata {time}',

  isCalling: '{name} ti sta chiamando',
  ringSub: 'Videochiamata dall’ospedale',
  answer: 'Rispondi',
  decline: 'Rifiuta',
  notificationBody: 'Tocca per rispondere alla videochiamata.',
  notifyAsk: 'Avvisami quando {name} chiama',
  notifyOn: 'Ti avviseremo quando {name} chiama, finché questa pagina è aperta.',
  tapForSound: 'Tocca un punto qualsiasi della pagina, così potrà squillare quando {name} chiama.',

  offline: 'Il tablet di {name} non è connesso in questo momento; ti avviseremo quando tornerà disponibile.',
  backOnline: 'Il tablet di {name} è di nuovo connesso. Ora puoi chiamare.',
  connectionLost: 'La connessione si è interrotta. Stiamo riprovando…',
  serverRestarting: 'Il servizio si sta riavviando. Ci ricolleghiamo tra un momento.',
  rateLimited: 'Troppi tentativi. Aspetta un minuto e riprova.',
  internal: 'Qualcosa non ha funzionato da parte nostra. Per favore riprova.',
  tryAgain: 'Riprova',
  ok: 'OK',

  cameraDenied: 'Fotocamera e microfono sono bloccati, quindi {name} non può vederti né sentirti. ' +
    'Per consentirli, tocca l’icona della fotocamera o del lucchetto accanto all’indirizzo, scegli “Consenti”, poi tocca Riprova.',
  cameraMissing: 'Non troviamo un microfono su questo dispositivo. Collegane uno, oppure apri questo link da un telefono.',
  cameraBusy: 'La fotocamera è usata da un’altra app. Chiudi quell’app, poi tocca Riprova.',
  audioOnly: 'Non troviamo una fotocamera: {name} ti sentirà ma non ti vedrà.',
  insecure: 'La fotocamera funziona solo se la pagina è aperta dal link completo https://. Apri di nuovo il link che hai ricevuto.',
  unsupported: 'Questo browser non può fare videochiamate. Apri il link con una versione aggiornata di Chrome, Firefox, Safari o Edge.',

  endedTitle: 'Chiamata terminata',
  endedText: 'Avete parlato per {time}. Grazie per aver chiamato.',
  endedTextShort: 'Grazie per aver chiamato.',
  declinedTitle: '{name} non può rispondere ora',
  declinedText: 'Riprova un po’ più tardi.',
  noAnswerTitle: '{name} non ha risposto',
  noAnswerText: 'Forse {name} sta riposando o è con un infermiere. Riprova più tardi.',
  missedTitle: 'Hai perso una chiamata di {name}',
  missedText: 'Ora puoi richiamare.',
  failedTitle: 'Non è stato possibile collegare la chiamata',
  failedText: 'Controlla la connessione a internet e riprova.',
  cutOffTitle: 'La chiamata si è interrotta',
  cutOffText: 'Controlla la connessione a internet e richiama.',
  busyTitle: '{name} è già in un’altra chiamata',
  busyText: 'Riprova tra qualche minuto.',
  elsewhereTitle: 'Risposto su un altro schermo',
  elsewhereText: 'Hai risposto a questa chiamata da un altro dispositivo.',
  offlineTitle: 'Il tablet di {name} non è connesso',
  offlineText: 'Te lo diremo su questa pagina quando tornerà disponibile.',

  expiredTitle: 'Questo link è scaduto',
  expiredText: 'Chiedi al reparto un nuovo link.',
  revokedTitle: 'Questo link non funziona più.',
  revokedText: 'Chiedi al reparto un nuovo link.',
};

export const dictionaries = { en, it };

// pickLanguage returns the first of the browser's languages that has a dictionary, then the
// fallback (the ward's language) when it has one, then English.
export function pickLanguage(languages, fallback) {
  for (const l of languages || []) {
    const base = String(l).toLowerCase().split('-')[0];
    if (dictionaries[base]) return base;
  }
  const f = String(fallback || '').toLowerCase().split('-')[0];
  return dictionaries[f] ? f : 'en';
}

// translator returns t(key, vars) for lang: the string with {var} replaced; an unknown key
// falls back to English, then to the key itself.
export function translator(lang) {
  const dict = dictionaries[lang] || en;
  return (key, vars) => {
    const s = dict[key] ?? en[key] ?? key;
    return s.replace(/\{(\w+)\}/g, (m, v) => (vars && v in vars ? String(vars[v]) : m));
  };
}
