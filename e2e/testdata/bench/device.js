// The reference tablet of the benchmarks: Chromium's own WebRTC at the bedside end, speaking
// the same signaling protocol as the Go engine. It enrolls an Ed25519 key made with WebCrypto,
// answers the server's challenge by signing "bedside-device-hello:" + nonce, and answers every
// ring at once (the offer comes from the caller, the family page).

const status = { state: 'starting', device: '', calls: 0, error: '' };
window.benchDevice = status;

function setState(s) {
  status.state = s;
  document.body.dataset.state = s;
}

function b64(buf) {
  let s = '';
  for (const b of new Uint8Array(buf)) s += String.fromCharCode(b);
  return btoa(s);
}

async function main() {
  const code = new URLSearchParams(location.search).get('code');
  const stream = await navigator.mediaDevices.getUserMedia({
    video: { width: 640, height: 480, frameRate: 30 },
    audio: true,
  });
  const keys = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
  const pub = await crypto.subtle.exportKey('raw', keys.publicKey);
  const res = await fetch('/api/enroll', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ code, publicKey: b64(pub), name: 'chromium tablet', appVersion: 'bench' }),
  });
  if (!res.ok) throw new Error(`enroll: ${res.status} ${await res.text()}`);
  const { device } = await res.json();
  status.device = device;
  connect(device, keys.privateKey, stream);
}

function connect(device, key, stream) {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  const send = (m) => ws.send(JSON.stringify(m));
  let call = null; // {id, pc, pending}

  const end = () => {
    if (!call) return;
    call.pc.close();
    call = null;
    status.calls++;
    setState('idle');
  };

  ws.onmessage = async (ev) => {
    const m = JSON.parse(ev.data);
    switch (m.type) {
      case 'challenge': {
        const msg = new TextEncoder().encode(`bedside-device-hello:${m.nonce}`);
        const sig = await crypto.subtle.sign({ name: 'Ed25519' }, key, msg);
        send({ type: 'hello', role: 'device', device, sig: b64(sig) });
        break;
      }
      case 'welcome':
        setState('idle');
        break;
      case 'ring':
        if (call) {
          send({ type: 'decline', call: m.call });
          break;
        }
        call = newCall(m.call, (msg) => send(msg));
        setState('connecting');
        send({ type: 'accept', call: m.call });
        break;
      case 'offer':
        if (call && call.id === m.call) await answer(call, m.sdp, stream, send);
        break;
      case 'candidate':
        if (call && call.id === m.call) await addCandidate(call, m.candidate);
        break;
      case 'ended':
        if (call && call.id === m.call) end();
        break;
      case 'error':
        status.error = m.code;
        break;
    }
  };
  ws.onclose = () => setState('closed');
}

function newCall(id, send) {
  const pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
  const c = { id, pc, pending: [] };
  pc.onicecandidate = (ev) => {
    const x = ev.candidate;
    if (!x || !x.candidate) return;
    send({ type: 'candidate', call: id, candidate: { candidate: x.candidate, sdpMid: x.sdpMid, sdpMLineIndex: x.sdpMLineIndex } });
  };
  pc.ontrack = (ev) => {
    const v = document.getElementById('remote');
    if (ev.track.kind === 'video') v.srcObject = new MediaStream([ev.track]);
  };
  pc.onconnectionstatechange = () => {
    if (pc.connectionState === 'connected') {
      send({ type: 'connected', call: id });
      setState('in-call');
    }
  };
  return c;
}

async function answer(c, sdp, stream, send) {
  await c.pc.setRemoteDescription({ type: 'offer', sdp });
  for (const t of c.pc.getTransceivers()) {
    const kind = t.receiver.track.kind;
    const track = stream.getTracks().find((x) => x.kind === kind);
    if (track) {
      await t.sender.replaceTrack(track);
      t.sender.setStreams(stream);
      t.direction = 'sendrecv';
    }
  }
  const ans = await c.pc.createAnswer();
  await c.pc.setLocalDescription(ans);
  send({ type: 'answer', call: c.id, sdp: c.pc.localDescription.sdp });
  const list = c.pending;
  c.pending = [];
  for (const x of list) await addCandidate(c, x);
}

async function addCandidate(c, x) {
  if (!x) return;
  if (!c.pc.remoteDescription) {
    c.pending.push(x);
    return;
  }
  try {
    await c.pc.addIceCandidate(x);
  } catch (e) {
    // A candidate the browser cannot use is not fatal.
  }
}

main().catch((e) => {
  status.error = String(e);
  setState('error');
});
