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
  footnote: 'Video calls are private and are never recorded.',
  noscript: 'This page needs JavaScript to make video calls.',

  connecting: 'Connecting…',
  calling: 'Calling {name}…',
  ringingThere: 'Ringing {name}’s tablet…',
  connectingCall: 'Connecting the call…',
  weakConnection: 'The connection is weak. Trying to reconnect…',
  soundOnlyNote: 'Weak connection: sound only. {name} hears you but cannot see you for now.',
  cancel: 'Cancel',
  hangup: 'Hang up',
  mute: 'Mute',
  unmute: 'Unmute',
  cameraOff: 'Stop video',
  cameraOn: 'Start video',
  duration: 'Call time {time}',
  inCallWith: 'In a call with {name}',

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

  previewOn: 'Check my camera',
  previewOff: 'Turn my camera off',
  cameraIdle: 'Your camera is off. It turns on when you call.',

  // What stops a call until the person chooses: a title, what it means, what to do.
  cameraDeniedTitle: 'Your camera is blocked',
  cameraDeniedText: '{name} won’t see you. You can call with sound only, or allow the camera.',
  mediaDeniedTitle: 'Your camera and microphone are blocked',
  mediaDeniedText: '{name} won’t see or hear you. You can still call to see and hear {name}, or allow them.',
  stepsDenied_chrome: 'To allow them in Chrome: tap the icon left of the web address (a lock or sliders), then Permissions, turn on Camera and Microphone, then tap Try again.',
  stepsDenied_firefox: 'To allow them in Firefox: tap the crossed-out camera or the lock in the address bar, remove “Blocked” next to Camera and Microphone, then tap Try again.',
  stepsDenied_safari: 'To allow them in Safari: tap “aA” (or the icon) in the address bar, then Website Settings, set Camera and Microphone to Allow, then tap Try again.',
  stepsDenied_samsung: 'To allow them in Samsung Internet: tap the lock next to the web address, then Permissions, allow Camera and Microphone, then tap Try again.',
  cameraBusyTitle: 'Another app is using your camera',
  cameraBusyText: '{name} won’t see you. You can call with sound only.',
  micBusyTitle: 'Another app is using your microphone',
  micBusyText: '{name} won’t hear you. You can still call to see and hear {name}.',
  stepsBusy: 'Close the other app (another video call, or the camera), then tap Try again.',
  mediaMissingTitle: 'We couldn’t find a microphone or a camera',
  mediaMissingText: '{name} won’t see or hear you. You can still call to see and hear {name}.',
  stepsMissing: 'Connect a headset or a camera, or open this link on a phone, then tap Try again.',
  insecureTitle: 'The camera can’t be used from this address',
  insecureText: 'The camera only works when this page is opened from its full https:// link.',
  stepsInsecure: 'Please open the link you were sent again.',
  unsupportedTitle: 'This browser can’t make video calls',
  unsupportedText: '{name} won’t see or hear you from this browser.',
  unsupported: 'This browser can’t make video calls. Please open the link in an up-to-date Chrome, Firefox, Safari or Edge.',
  callSoundOnly: 'Call with sound only',
  callWithout: 'Call without camera or microphone',
  back: 'Back',
  // What the patient gets of you in a call, when not everything.
  noteNoVideo: '{name} can hear you but can’t see you',
  noteNoAudio: '{name} can see you but can’t hear you',
  noteNothing: '{name} can’t see or hear you',

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
  revokedTitle: 'This link no longer works',
  revokedText: 'A link stops working when the ward sends a new one, or when the patient goes home. If your family member is still in hospital, the ward can send you a new link.',
  deadTitle: '{title} · Bedside',
  visiting: 'Visiting hours: {hours}',
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
  footnote: 'Le videochiamate sono private e non vengono mai registrate.',
  noscript: 'Questa pagina ha bisogno di JavaScript per fare videochiamate.',

  connecting: 'Connessione in corso…',
  calling: 'Chiamata a {name}…',
  ringingThere: 'Il tablet di {name} sta squillando…',
  connectingCall: 'Collegamento della chiamata…',
  weakConnection: 'La connessione è debole. Stiamo riprovando…',
  soundOnlyNote: 'Connessione debole: solo audio. {name} ti sente ma per ora non ti vede.',
  cancel: 'Annulla',
  hangup: 'Riaggancia',
  mute: 'Silenzia',
  unmute: 'Riattiva audio',
  cameraOff: 'Spegni video',
  cameraOn: 'Accendi video',
  duration: 'Durata {time}',
  inCallWith: 'In chiamata con {name}',

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

  previewOn: 'Prova la fotocamera',
  previewOff: 'Spegni la fotocamera',
  cameraIdle: 'La fotocamera è spenta. Si accende quando chiami.',

  cameraDeniedTitle: 'La fotocamera è bloccata',
  cameraDeniedText: '{name} non ti vedrà. Puoi chiamare solo con l’audio, oppure consentire la fotocamera.',
  mediaDeniedTitle: 'Fotocamera e microfono sono bloccati',
  mediaDeniedText: '{name} non ti vedrà né ti sentirà. Puoi comunque chiamare per vedere e sentire {name}, oppure consentirli.',
  stepsDenied_chrome: 'Per consentirli in Chrome: tocca l’icona a sinistra dell’indirizzo (un lucchetto o dei cursori), poi Autorizzazioni, attiva Fotocamera e Microfono, poi tocca Riprova.',
  stepsDenied_firefox: 'Per consentirli in Firefox: tocca la fotocamera barrata o il lucchetto nella barra dell’indirizzo, togli “Bloccato” accanto a Fotocamera e Microfono, poi tocca Riprova.',
  stepsDenied_safari: 'Per consentirli in Safari: tocca “aA” (o l’icona) nella barra dell’indirizzo, poi Impostazioni sito web, imposta Fotocamera e Microfono su Consenti, poi tocca Riprova.',
  stepsDenied_samsung: 'Per consentirli in Samsung Internet: tocca il lucchetto accanto all’indirizzo, poi Autorizzazioni, consenti Fotocamera e Microfono, poi tocca Riprova.',
  cameraBusyTitle: 'Un’altra app sta usando la fotocamera',
  cameraBusyText: '{name} non ti vedrà. Puoi chiamare solo con l’audio.',
  micBusyTitle: 'Un’altra app sta usando il microfono',
  micBusyText: '{name} non ti sentirà. Puoi comunque chiamare per vedere e sentire {name}.',
  stepsBusy: 'Chiudi l’altra app (un’altra videochiamata, o la fotocamera), poi tocca Riprova.',
  mediaMissingTitle: 'Non troviamo né un microfono né una fotocamera',
  mediaMissingText: '{name} non ti vedrà né ti sentirà. Puoi comunque chiamare per vedere e sentire {name}.',
  stepsMissing: 'Collega delle cuffie con microfono o una fotocamera, oppure apri questo link da un telefono, poi tocca Riprova.',
  insecureTitle: 'Da questo indirizzo la fotocamera non si può usare',
  insecureText: 'La fotocamera funziona solo se la pagina è aperta dal link completo https://.',
  stepsInsecure: 'Apri di nuovo il link che hai ricevuto.',
  unsupportedTitle: 'Questo browser non può fare videochiamate',
  unsupportedText: 'Da questo browser {name} non ti vedrà né ti sentirà.',
  unsupported: 'Questo browser non può fare videochiamate. Apri il link con una versione aggiornata di Chrome, Firefox, Safari o Edge.',
  callSoundOnly: 'Chiama solo con l’audio',
  callWithout: 'Chiama senza fotocamera né microfono',
  back: 'Indietro',
  noteNoVideo: '{name} ti sente ma non ti vede',
  noteNoAudio: '{name} ti vede ma non ti sente',
  noteNothing: '{name} non ti vede e non ti sente',

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
  revokedTitle: 'Questo link non funziona più',
  revokedText: 'Un link smette di funzionare quando il reparto ne manda uno nuovo, o quando il paziente torna a casa. Se il tuo familiare è ancora in ospedale, il reparto può mandarti un nuovo link.',
  deadTitle: '{title} · Bedside',
  visiting: 'Orari di visita: {hours}',
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
