// Camera, microphone, sounds and notifications of the family page.

const VIDEO = { facingMode: 'user', width: { ideal: 640 }, height: { ideal: 480 }, frameRate: { ideal: 30 } };
const AUDIO = { echoCancellation: true, noiseSuppression: true, autoGainControl: true };

// errorKind sorts a getUserMedia error: 'denied' (the person or the browser blocked it),
// 'busy' (another app holds the device) or 'missing' (no such device, or none that fits).
function errorKind(e) {
  const name = e && e.name;
  if (name === 'NotAllowedError' || name === 'SecurityError' || name === 'PermissionDeniedError') return 'denied';
  if (name === 'NotReadableError' || name === 'TrackStartError' || name === 'AbortError') return 'busy';
  return 'missing';
}

function ask(constraints) {
  return navigator.mediaDevices.getUserMedia(constraints).then(
    (stream) => ({ stream, error: '' }),
    (e) => ({ stream: null, error: errorKind(e) }),
  );
}

// getLocalMedia opens the camera and the microphone, or only the microphone when want.video is
// false. It resolves to {stream, problem}: problem is '' when everything asked for is there,
// else the dictionary key of what is wrong:
//   - 'audioOnly': there is no camera; stream has the microphone (worth calling with);
//   - 'micMissing': there is no microphone; stream has the camera (worth calling with);
//   - 'cameraDenied', 'cameraBusy': the camera is blocked or held by another app; stream has
//     the microphone;
//   - 'mediaDenied', 'micBusy', 'mediaMissing': nothing can be sent; stream is null;
//   - 'insecure', 'unsupported': the browser offers no camera here; stream is null.
export async function getLocalMedia(want = { video: true }) {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    return { stream: null, problem: window.isSecureContext ? 'unsupported' : 'insecure' };
  }
  if (!want.video) {
    const mic = await ask({ audio: AUDIO });
    return { stream: mic.stream, problem: mic.stream ? '' : { denied: 'mediaDenied', busy: 'micBusy' }[mic.error] || 'mediaMissing' };
  }
  const both = await ask({ video: VIDEO, audio: AUDIO });
  if (both.stream) return { stream: both.stream, problem: '' };
  // Which of the two is the trouble? The microphone alone tells.
  const mic = await ask({ audio: AUDIO });
  if (mic.stream) {
    return { stream: mic.stream, problem: { denied: 'cameraDenied', busy: 'cameraBusy' }[both.error] || 'audioOnly' };
  }
  if (mic.error === 'missing') {
    const cam = await ask({ video: VIDEO });
    if (cam.stream) return { stream: cam.stream, problem: 'micMissing' };
  }
  const error = both.error === 'denied' ? 'denied' : mic.error;
  return { stream: null, problem: { denied: 'mediaDenied', busy: 'micBusy' }[error] || 'mediaMissing' };
}

// blocking lists the problems that stop a call until the person chooses what to do; the others
// still let the patient see or hear them.
export const blocking = new Set(['cameraDenied', 'cameraBusy', 'mediaDenied', 'micBusy', 'mediaMissing', 'insecure', 'unsupported']);

// browserName names the browser, for instructions that differ between them: 'firefox',
// 'samsung', 'safari' or 'chrome' (Chrome, Edge and the rest of Chromium's family).
export function browserName(ua = navigator.userAgent) {
  if (/Firefox\/|FxiOS/.test(ua)) return 'firefox';
  if (/SamsungBrowser/.test(ua)) return 'samsung';
  if (/iPhone|iPad|iPod/.test(ua) || (/Safari\//.test(ua) && !/Chrom(e|ium)\//.test(ua))) return 'safari';
  return 'chrome';
}

// Sounds makes the ring tone and the ringback with WebAudio, so the page needs no sound files.
// Browsers only let a page make sound after the user touched it: unlock() runs on every touch.
export class Sounds {
  constructor() {
    this.ctx = null;
    this.out = null;
    this.kind = ''; // what is playing: 'ring', 'ringback' or ''
  }

  // playing reports what is playing ('' for nothing) and whether the browser lets it be heard.
  playing() {
    return { kind: this.kind, audible: !!(this.ctx && this.ctx.state === 'running') };
  }

  // unlock makes the audio context (it starts suspended until the user touches the page) and
  // resumes it. onChange, when set, hears when it becomes audible.
  unlock() {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return;
    if (!this.ctx) {
      try {
        this.ctx = new AC();
      } catch (e) {
        return;
      }
      this.ctx.onstatechange = () => this.onChange && this.onChange();
    }
    if (this.ctx.state === 'suspended') this.ctx.resume().catch(() => {});
  }

  // ring plays a soft two-note chime every three seconds for seconds (scheduled up front, so
  // it keeps ringing when the browser slows the timers of a hidden tab).
  ring(seconds) {
    this.start('ring', (at, out) => {
      for (let t = 0; t < seconds; t += 3) {
        this.note(out, 659.25, at + t, 0.5);
        this.note(out, 523.25, at + t + 0.45, 0.8);
        this.note(out, 659.25, at + t + 1.2, 0.5);
        this.note(out, 523.25, at + t + 1.65, 0.8);
      }
    });
  }

  // ringback plays the quiet "it is ringing there" tone: 425 Hz, one second in every four.
  ringback(seconds) {
    this.start('ringback', (at, out) => {
      for (let t = 0; t < seconds; t += 4) this.tone(out, 425, at + t, 1, 0.08);
    });
  }

  start(kind, schedule) {
    this.stop();
    this.unlock();
    if (!this.ctx) return;
    this.kind = kind;
    this.out = this.ctx.createGain();
    this.out.connect(this.ctx.destination);
    schedule(this.ctx.currentTime + 0.05, this.out);
  }

  note(out, freq, at, length) {
    const osc = this.ctx.createOscillator();
    const gain = this.ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.0001, at);
    gain.gain.exponentialRampToValueAtTime(0.3, at + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + length);
    osc.connect(gain).connect(out);
    osc.start(at);
    osc.stop(at + length + 0.05);
  }

  tone(out, freq, at, length, level) {
    const osc = this.ctx.createOscillator();
    const gain = this.ctx.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0, at);
    gain.gain.linearRampToValueAtTime(level, at + 0.03);
    gain.gain.setValueAtTime(level, at + length - 0.03);
    gain.gain.linearRampToValueAtTime(0, at + length);
    osc.connect(gain).connect(out);
    osc.start(at);
    osc.stop(at + length);
  }

  stop() {
    this.kind = '';
    if (this.out) {
      this.out.disconnect();
      this.out = null;
    }
  }
}

// Notifier shows a system notification for an incoming call, where the user allowed it. Phones
// only show notifications through a service worker, so it registers /static/sw.js.
export class Notifier {
  constructor() {
    this.supported = 'Notification' in window;
    this.current = null;
    this.reg = null;
    if (this.supported && Notification.permission === 'granted') this.register();
  }

  // canAsk reports whether asking for permission makes sense (never asked before).
  canAsk() {
    return this.supported && Notification.permission === 'default';
  }

  // ask asks for permission; call it only from a click. Resolves to whether it was granted.
  async ask() {
    if (!this.supported) return false;
    let p;
    try {
      p = await Notification.requestPermission();
    } catch (e) {
      return false;
    }
    if (p === 'granted') this.register();
    return p === 'granted';
  }

  register() {
    if (!('serviceWorker' in navigator) || this.reg) return;
    navigator.serviceWorker
      .register('/static/sw.js', { scope: '/static/' })
      .then((reg) => {
        this.reg = reg;
      })
      .catch(() => {});
  }

  show(title, body) {
    if (!this.supported || Notification.permission !== 'granted') return;
    this.close();
    const opts = { body, tag: 'bedside-ring', renotify: true, requireInteraction: true };
    try {
      const n = new Notification(title, opts);
      n.onclick = () => {
        window.focus();
        n.close();
      };
      this.current = n;
    } catch (e) {
      // Phones refuse the constructor; their service worker shows it instead.
      if (this.reg) this.reg.showNotification(title, opts).catch(() => {});
    }
  }

  close() {
    if (this.current) this.current.close();
    this.current = null;
    if (this.reg && this.reg.getNotifications) {
      this.reg
        .getNotifications({ tag: 'bedside-ring' })
        .then((list) => list.forEach((n) => n.close()))
        .catch(() => {});
    }
  }
}

// Buzzer vibrates the phone while it rings, where the browser allows it (after a touch).
export class Buzzer {
  constructor() {
    this.timer = 0;
  }

  start() {
    if (!navigator.vibrate) return;
    const buzz = () => {
      try {
        navigator.vibrate([500, 250, 500]);
      } catch (e) {
        // Not allowed before the user touched the page; the sound and screen still ring.
      }
    };
    this.stop();
    buzz();
    this.timer = setInterval(buzz, 3000);
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
    if (navigator.vibrate) navigator.vibrate(0);
  }
}

// WakeLock keeps the screen on during a call, where the browser can.
export class WakeLock {
  constructor() {
    this.lock = null;
  }

  async keep() {
    if (!navigator.wakeLock || this.lock) return;
    try {
      this.lock = await navigator.wakeLock.request('screen');
      this.lock.addEventListener('release', () => (this.lock = null));
    } catch (e) {
      this.lock = null;
    }
  }

  release() {
    if (this.lock) this.lock.release().catch(() => {});
    this.lock = null;
  }
}
