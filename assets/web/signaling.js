// The signaling connection of the family page: one WebSocket to the ward server that
// authenticates with the link token, and reconnects by itself (with backoff) when it drops.

// Codes after which reconnecting cannot help: the link itself no longer works. The second set
// only means that in answer to hello; later they are about one request.
const FATAL = new Set(['link-expired', 'link-revoked', 'unauthorized', 'no-patient']);
const FATAL_AT_HELLO = new Set(['forbidden']);

// tokenFromPath is the family link token: the last segment of /j/{token}.
export function tokenFromPath() {
  const seg = location.pathname.split('/').filter(Boolean).pop() || '';
  try {
    return decodeURIComponent(seg);
  } catch (e) {
    return seg;
  }
}

const HELLO_TIMEOUT_MS = 10000;
const MAX_DELAY_MS = 30000;
const CHECK_MS = 2000; // how long the server has to answer a check's ping

// Signaling keeps the page connected. onMessage gets every message after the welcome (the
// welcome included); onStatus gets {status, delay?, code?} where status is one of
// 'connecting', 'open', 'retrying' (delay in ms), 'restarting' and 'fatal' (code).
export class Signaling {
  constructor({ url, token, onMessage, onStatus }) {
    this.url = url;
    this.token = token;
    this.onMessage = onMessage;
    this.onStatus = onStatus;
    this.ws = null;
    this.open = false; // welcomed on the current socket
    this.attempt = 0;
    this.timer = 0;
    this.fatal = '';
    this.restarting = false;
    this.slowDown = false;
    this.checkTimer = 0;
    addEventListener('online', () => this.retryNow());
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.retryNow();
    });
  }

  start() {
    if (this.fatal || this.ws) return;
    clearTimeout(this.timer);
    this.timer = 0;
    this.onStatus({ status: 'connecting' });
    let ws;
    try {
      ws = new WebSocket(this.url);
    } catch (e) {
      this.scheduleRetry();
      return;
    }
    this.ws = ws;
    const helloTimer = setTimeout(() => ws.close(), HELLO_TIMEOUT_MS);
    ws.onmessage = (ev) => {
      let msg;
      try {
        msg = JSON.parse(ev.data);
      } catch (e) {
        return;
      }
      if (!msg || typeof msg.type !== 'string') return;
      if (msg.type === 'pong') {
        clearTimeout(this.checkTimer);
        this.checkTimer = 0;
        return;
      }
      if (msg.type === 'challenge') {
        this.sendOn(ws, { type: 'hello', role: 'family', token: this.token });
        return;
      }
      if (msg.type === 'welcome') {
        clearTimeout(helloTimer);
        this.open = true;
        this.attempt = 0;
        this.restarting = false;
        this.slowDown = false;
        this.onStatus({ status: 'open' });
      }
      if (msg.type === 'error') {
        if (this.isFatal(msg.code)) {
          this.fatal = msg.code;
        } else if (msg.code === 'shutting-down') {
          this.restarting = true;
        } else if (msg.code === 'rate-limited' && !this.open) {
          this.slowDown = true;
        }
      }
      this.onMessage(msg);
    };
    ws.onclose = () => {
      clearTimeout(helloTimer);
      if (this.ws !== ws) return;
      clearTimeout(this.checkTimer);
      this.checkTimer = 0;
      this.ws = null;
      this.open = false;
      if (this.fatal) {
        this.onStatus({ status: 'fatal', code: this.fatal });
        return;
      }
      this.scheduleRetry();
    };
  }

  // isFatal reports whether an error with this code means the link no longer works.
  isFatal(code) {
    return FATAL.has(code) || (!this.open && FATAL_AT_HELLO.has(code));
  }

  // send sends msg when the page is connected and welcomed; it reports whether it did.
  send(msg) {
    if (!this.open || !this.ws) return false;
    return this.sendOn(this.ws, msg);
  }

  sendOn(ws, msg) {
    if (ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }

  // check asks the server for a pong; a connection that gives none within CHECK_MS is taken
  // for dead and left for a new one at once. A socket whose address went with a network change
  // (Wi-Fi to mobile data) stays open in the browser for minutes, carrying nothing; the page
  // checks when a call's media stops, so that it is back on the server for the restart.
  check() {
    const ws = this.ws;
    if (!this.open || !ws || this.checkTimer || !this.sendOn(ws, { type: 'ping' })) return;
    this.checkTimer = setTimeout(() => {
      this.checkTimer = 0;
      if (this.ws !== ws) return;
      ws.onmessage = ws.onclose = null;
      ws.close();
      this.ws = null;
      this.open = false;
      this.start();
    }, CHECK_MS);
  }

  // retryNow reconnects at once when a retry is pending (the network came back, or the page
  // became visible again).
  retryNow() {
    if (this.timer && !this.fatal) this.start();
  }

  scheduleRetry() {
    let delay;
    if (this.restarting) {
      // A restart takes a moment: come back soon, once; then back off as for any failure.
      this.restarting = false;
      delay = 1000 + Math.random() * 2000;
      this.onStatus({ status: 'restarting', delay });
    } else {
      const base = Math.min(MAX_DELAY_MS, 1000 * 2 ** this.attempt) * (this.slowDown ? 4 : 1);
      delay = Math.min(MAX_DELAY_MS * 2, base) * (0.5 + Math.random() * 0.5);
      this.onStatus({ status: 'retrying', delay });
    }
    this.attempt++;
    this.timer = setTimeout(() => this.start(), delay);
  }
}
