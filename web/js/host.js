// GhostView — the zero-install browser host (/host.html): share a screen from
// a tab, admit viewers one by one, with the person's consent.
// SPDX-License-Identifier: LGPL-2.1-or-later
import {
  Capability, errorMessage, iceCandidateInit, INPUT_CHANNEL_LABEL, Input, makeAccept, makeDecline,
  makeEnd, makeGrant, makeIce, makeKick, makeRegister, makeSdp, MAX_INPUT_MESSAGE_BYTES,
  MAX_VIEWERS_LIMIT, Type,
} from './protocol.js';
import { Signaling } from './signaling.js';

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), actions: $('sharing-actions'), stop: $('stop'), start: $('start'),
  form: $('start-form'), hostName: $('host-name'), maxViewers: $('max-viewers'),
  startButton: $('start-sharing'), startError: $('start-error'), sharing: $('sharing'),
  pin: $('pin'), expiry: $('expiry'), viewerUrl: $('viewer-url'), copyUrl: $('copy-url'),
  preview: $('preview'), requests: $('requests'), noRequests: $('no-requests'),
  viewers: $('viewers'), noViewers: $('no-viewers'), joinOrigin: $('join-origin'),
  stopped: $('stopped'), stoppedText: $('stopped-text'), restart: $('restart'),
  requestTemplate: $('request-template'), viewerTemplate: $('viewer-template'),
};

// idle -> capturing -> registering -> sharing -> stopped
const STATUS_TEXT = {
  idle: 'Not sharing',
  capturing: 'Choose what to share…',
  registering: 'Getting a PIN…',
  sharing: 'Sharing',
  stopped: 'Not sharing',
};

const host = {
  state: 'idle',
  stream: null,
  signaling: null,
  iceServers: [],
  pin: '',
  expiresAt: 0,
  expiryTimer: 0,
  viewers: new Map(), // peer -> Viewer (admitted)
  requests: new Map(), // peer -> {peer, name, address, element}
};

function setState(state) {
  host.state = state;
  document.body.dataset.state = state;
  ui.status.textContent = state === 'sharing' ? `Sharing — ${host.viewers.size} watching` : STATUS_TEXT[state];
  ui.start.hidden = !['idle', 'capturing', 'registering'].includes(state);
  ui.sharing.hidden = state !== 'sharing';
  ui.actions.hidden = state !== 'sharing';
  ui.stopped.hidden = state !== 'stopped';
  ui.startButton.disabled = state === 'capturing' || state === 'registering';
}

function showStartError(text) {
  ui.startError.textContent = text;
  ui.startError.hidden = !text;
}

function displayName(name) {
  return name && name.trim() ? name.trim() : 'A viewer';
}

// ---- starting ----

async function startSharing() {
  showStartError('');
  const maxViewers = Math.min(MAX_VIEWERS_LIMIT, Math.max(1, parseInt(ui.maxViewers.value, 10) || 1));
  if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
    showStartError('This browser cannot share its screen (it needs a current Chrome, Edge or Firefox on a computer, over HTTPS or localhost).');
    return;
  }
  setState('capturing');
  try {
    host.stream = await navigator.mediaDevices.getDisplayMedia({
      video: { frameRate: { ideal: 30, max: 30 } },
      audio: false,
    });
  } catch (e) {
    setState('idle');
    showStartError(e && e.name === 'NotAllowedError'
      ? 'Screen sharing was not allowed. Click "Start sharing" and pick a screen, window or tab.'
      : `Could not capture the screen (${(e && e.message) || e}).`);
    return;
  }
  const track = host.stream.getVideoTracks()[0];
  if (track) {
    // Screens are text and edges: keep them sharp rather than smooth.
    if ('contentHint' in track) track.contentHint = 'detail';
    track.addEventListener('ended', () => stopSharing('You stopped sharing from the browser.'));
  }
  ui.preview.srcObject = host.stream;

  setState('registering');
  const signaling = new Signaling({ onMessage, onClose: onSignalingClosed });
  host.signaling = signaling;
  try {
    await signaling.open();
  } catch {
    releaseCapture();
    setState('idle');
    showStartError('Could not reach the GhostView server. Check your connection and try again.');
    return;
  }
  signaling.send(makeRegister({ maxViewers, name: ui.hostName.value.trim() }));
  try {
    localStorage.setItem('ghostview.hostName', ui.hostName.value.trim());
    localStorage.setItem('ghostview.maxViewers', String(maxViewers));
  } catch { /* private mode */ }
}

function onMessage(msg) {
  switch (msg.type) {
    case Type.REGISTERED:
      onRegistered(msg);
      break;
    case Type.JOIN_REQUEST:
      onJoinRequest(msg);
      break;
    case Type.SDP:
      onRemoteSdp(msg);
      break;
    case Type.ICE:
      onRemoteIce(msg);
      break;
    case Type.PEER_LEFT:
      onPeerLeft(msg);
      break;
    case Type.ERROR:
      if (host.state === 'registering') {
        releaseCapture();
        host.signaling?.close();
        setState('idle');
        showStartError(errorMessage(msg.code, msg.message));
      } else {
        console.warn('GhostView: server error', msg.code, msg.message);
      }
      break;
    default:
      break;
  }
}

function onRegistered(msg) {
  host.pin = String(msg.pin || '');
  host.iceServers = Array.isArray(msg.ice_servers) ? msg.ice_servers : [];
  host.expiresAt = Number(msg.expires_at) || 0;
  ui.pin.textContent = host.pin.length === 6 ? `${host.pin.slice(0, 3)} ${host.pin.slice(3)}` : host.pin;
  ui.pin.dataset.pin = host.pin;
  ui.viewerUrl.value = msg.viewer_url || `${window.location.origin}/?pin=${host.pin}`;
  ui.joinOrigin.textContent = new URL(ui.viewerUrl.value, window.location.href).host;
  clearInterval(host.expiryTimer);
  host.expiryTimer = setInterval(updateExpiry, 1000);
  updateExpiry();
  setState('sharing');
  renderLists();
}

function updateExpiry() {
  const left = Math.round(host.expiresAt - Date.now() / 1000);
  if (!host.expiresAt) {
    ui.expiry.textContent = '';
  } else if (left > 0) {
    const m = Math.floor(left / 60);
    const s = String(left % 60).padStart(2, '0');
    ui.expiry.textContent = `New viewers can join with it for ${m}:${s}`;
    ui.expiry.classList.toggle('warn', left <= 60);
  } else {
    ui.expiry.textContent = 'The PIN has expired: nobody new can join. Viewers already here stay. Stop and share again for a new PIN.';
    ui.expiry.classList.add('warn');
    ui.pin.classList.add('expired');
    clearInterval(host.expiryTimer);
  }
}

// ---- consent ----

function onJoinRequest(msg) {
  const peer = String(msg.peer || '');
  if (!peer || host.requests.has(peer) || host.viewers.has(peer)) return;
  const el = ui.requestTemplate.content.firstElementChild.cloneNode(true);
  el.dataset.peer = peer;
  el.querySelector('.name').textContent = displayName(msg.name);
  el.querySelector('.address').textContent = msg.address ? `(${msg.address})` : '';
  el.querySelector('.accept').addEventListener('click', () => {
    accept(peer, el.querySelector('.allow-control').checked);
  });
  el.querySelector('.decline').addEventListener('click', () => decline(peer));
  host.requests.set(peer, { peer, name: msg.name || '', address: msg.address || '', element: el });
  ui.requests.append(el);
  renderLists();
  el.querySelector('.accept').focus({ preventScroll: true });
  notify(`${displayName(msg.name)} wants to see your screen`);
}

function notify(text) {
  // The tab may be in the background while the person works in the shared app.
  if (document.visibilityState === 'visible') return;
  document.title = `(!) ${text} — GhostView`;
  const restore = () => {
    document.title = 'GhostView — share your screen';
    document.removeEventListener('visibilitychange', restore);
  };
  document.addEventListener('visibilitychange', restore);
}

function decline(peer) {
  const req = host.requests.get(peer);
  if (!req) return;
  host.requests.delete(peer);
  req.element.remove();
  host.signaling?.send(makeDecline(peer));
  renderLists();
}

function accept(peer, allowControl) {
  const req = host.requests.get(peer);
  if (!req) return;
  host.requests.delete(peer);
  req.element.remove();
  const caps = allowControl ? [Capability.VIEW, Capability.CONTROL] : [Capability.VIEW];
  host.signaling?.send(makeAccept(peer, caps));
  const viewer = {
    peer, name: req.name, address: req.address, control: allowControl, controlRequested: false,
    state: 'connecting', pc: null, channel: null, inputEvents: 0, pendingIce: [], element: null,
  };
  host.viewers.set(peer, viewer);
  renderViewer(viewer);
  connectViewer(viewer).catch((e) => {
    console.warn('GhostView: could not offer to', peer, e);
    viewer.state = 'failed';
    renderViewer(viewer);
  });
}

// ---- media, one RTCPeerConnection per viewer ----

function preferCodecs(transceiver) {
  // VP8 first: every browser and the native receiver/recorder decode it in
  // software, and it is the codec the native host uses by default.
  if (!transceiver.setCodecPreferences || !RTCRtpSender.getCapabilities) return;
  const caps = RTCRtpSender.getCapabilities('video');
  if (!caps) return;
  const rank = (c) => (/vp8/i.test(c.mimeType) ? 0 : /h264/i.test(c.mimeType) ? 1 : /vp9/i.test(c.mimeType) ? 2 : 3);
  const codecs = caps.codecs.slice().sort((a, b) => rank(a) - rank(b));
  try {
    transceiver.setCodecPreferences(codecs);
  } catch { /* keep the browser's order */ }
}

async function connectViewer(viewer) {
  const pc = new RTCPeerConnection({ iceServers: host.iceServers });
  viewer.pc = pc;
  pc.addEventListener('icecandidate', (ev) => {
    if (ev.candidate && ev.candidate.candidate) host.signaling?.send(makeIce(viewer.peer, ev.candidate));
  });
  pc.addEventListener('connectionstatechange', () => {
    const s = pc.connectionState;
    viewer.state = s === 'connected' ? 'watching' : s === 'failed' ? 'failed' : s === 'disconnected' ? 'reconnecting' : viewer.state;
    renderViewer(viewer);
  });

  const channel = pc.createDataChannel(INPUT_CHANNEL_LABEL, { ordered: true });
  viewer.channel = channel;
  channel.addEventListener('message', (ev) => onViewerInput(viewer, ev.data));

  for (const track of host.stream.getVideoTracks()) {
    const t = pc.addTransceiver(track, { direction: 'sendonly', streams: [host.stream] });
    preferCodecs(t);
  }
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  host.signaling?.send(makeSdp(viewer.peer, 'offer', pc.localDescription.sdp));
}

async function onRemoteSdp(msg) {
  const viewer = host.viewers.get(msg.peer);
  if (!viewer || !viewer.pc || msg.sdp_type !== 'answer') return;
  try {
    await viewer.pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
    for (const c of viewer.pendingIce.splice(0)) await viewer.pc.addIceCandidate(c).catch(() => {});
  } catch (e) {
    console.warn('GhostView: bad answer from', msg.peer, e);
    viewer.state = 'failed';
    renderViewer(viewer);
  }
}

function onRemoteIce(msg) {
  const viewer = host.viewers.get(msg.peer);
  const init = iceCandidateInit(msg);
  if (!viewer || !viewer.pc || !init) return;
  if (!viewer.pc.remoteDescription) {
    viewer.pendingIce.push(init);
    return;
  }
  viewer.pc.addIceCandidate(init).catch((e) => console.debug('GhostView: candidate ignored', e.message));
}

function onViewerInput(viewer, data) {
  if (typeof data !== 'string' || data.length > MAX_INPUT_MESSAGE_BYTES) return;
  let msg;
  try {
    msg = JSON.parse(data);
  } catch {
    return;
  }
  if (msg && msg.t === Input.REQUEST_CONTROL) {
    if (!viewer.control) {
      viewer.controlRequested = true;
      renderViewer(viewer);
      notify(`${displayName(viewer.name)} asks for control`);
    }
    return;
  }
  // A browser cannot inject OS input: count what arrives, apply nothing.
  viewer.inputEvents++;
  if (viewer.inputEvents === 1 || viewer.inputEvents % 50 === 0) renderViewer(viewer);
}

// ---- viewers ----

function setControl(viewer, on) {
  viewer.control = on;
  viewer.controlRequested = false;
  host.signaling?.send(makeGrant(viewer.peer, on ? [Capability.VIEW, Capability.CONTROL] : [Capability.VIEW]));
  renderViewer(viewer);
}

function removeViewer(viewer) {
  host.signaling?.send(makeKick(viewer.peer, 'removed by the host'));
  dropViewer(viewer.peer);
}

function dropViewer(peer) {
  const viewer = host.viewers.get(peer);
  if (!viewer) return;
  host.viewers.delete(peer);
  if (viewer.pc) viewer.pc.close();
  viewer.element?.remove();
  renderLists();
}

function onPeerLeft(msg) {
  const req = host.requests.get(msg.peer);
  if (req) { // left while the person was still deciding
    host.requests.delete(msg.peer);
    req.element.remove();
  }
  dropViewer(msg.peer);
  renderLists();
}

const STATE_TEXT = {
  connecting: 'Connecting…', watching: 'Watching', reconnecting: 'Connection unstable…', failed: 'Connection failed',
};

function renderViewer(viewer) {
  if (!host.viewers.has(viewer.peer)) return;
  if (!viewer.element) {
    const el = ui.viewerTemplate.content.firstElementChild.cloneNode(true);
    el.dataset.peer = viewer.peer;
    el.querySelector('.name').textContent = displayName(viewer.name);
    el.querySelector('.address').textContent = viewer.address ? `(${viewer.address})` : '';
    el.querySelector('.control').addEventListener('click', () => setControl(viewer, !viewer.control));
    el.querySelector('.remove').addEventListener('click', () => removeViewer(viewer));
    viewer.element = el;
    ui.viewers.append(el);
  }
  const el = viewer.element;
  el.dataset.state = viewer.state;
  el.querySelector('.state').textContent = STATE_TEXT[viewer.state] || viewer.state;
  const note = viewer.controlRequested ? ' · asks for control'
    : viewer.control ? ` · may control${viewer.inputEvents ? ` (${viewer.inputEvents} events, not applied)` : ''}` : '';
  el.querySelector('.control-note').textContent = note;
  el.classList.toggle('asking', viewer.controlRequested);
  const button = el.querySelector('.control');
  button.textContent = viewer.control ? 'Revoke control' : viewer.controlRequested ? 'Grant control' : 'Allow control';
  button.classList.toggle('primary', viewer.controlRequested);
  renderLists();
}

function renderLists() {
  ui.noRequests.hidden = host.requests.size > 0;
  ui.noViewers.hidden = host.viewers.size > 0;
  if (host.state === 'sharing') {
    const n = host.viewers.size;
    ui.status.textContent = `Sharing — ${n} ${n === 1 ? 'viewer' : 'viewers'}`;
  }
}

// ---- stopping ----

function releaseCapture() {
  if (host.stream) for (const t of host.stream.getTracks()) t.stop();
  host.stream = null;
  ui.preview.srcObject = null;
}

function stopSharing(text = 'Nobody can see your screen now.') {
  if (host.state === 'stopped' || host.state === 'idle') return;
  host.signaling?.send(makeEnd());
  host.signaling?.close();
  host.signaling = null;
  for (const peer of [...host.viewers.keys()]) dropViewer(peer);
  for (const req of host.requests.values()) req.element.remove();
  host.requests.clear();
  clearInterval(host.expiryTimer);
  releaseCapture();
  ui.pin.classList.remove('expired');
  ui.stoppedText.textContent = text;
  setState('stopped');
}

function onSignalingClosed({ byUs }) {
  if (byUs) return;
  if (host.state === 'registering') {
    releaseCapture();
    setState('idle');
    showStartError('The connection to the server was lost. Try again.');
    return;
  }
  stopSharing('The connection to the server was lost, so the session ended. Share again for a new PIN.');
}

// ---- wiring ----

ui.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  startSharing();
});
ui.stop.addEventListener('click', () => stopSharing());
ui.restart.addEventListener('click', () => {
  setState('idle');
  ui.startButton.focus();
});
ui.copyUrl.addEventListener('click', async () => {
  try {
    await navigator.clipboard.writeText(ui.viewerUrl.value);
    ui.copyUrl.textContent = 'Copied';
  } catch {
    ui.viewerUrl.select();
    ui.copyUrl.textContent = 'Press Ctrl+C';
  }
  setTimeout(() => { ui.copyUrl.textContent = 'Copy link'; }, 2000);
});
window.addEventListener('pagehide', () => {
  // Closing the tab ends the session at once (the server would notice anyway).
  if (host.signaling) host.signaling.send(makeEnd());
});

try {
  ui.hostName.value = localStorage.getItem('ghostview.hostName') || '';
  const saved = parseInt(localStorage.getItem('ghostview.maxViewers') || '', 10);
  if (saved >= 1 && saved <= MAX_VIEWERS_LIMIT) ui.maxViewers.value = String(saved);
} catch { /* private mode */ }
setState('idle');

// For tests and debugging.
window.ghostviewHost = {
  get state() { return host.state; },
  get pin() { return host.pin; },
  get viewers() {
    return [...host.viewers.values()].map((v) => ({
      peer: v.peer, name: v.name, state: v.state, control: v.control,
      controlRequested: v.controlRequested, inputEvents: v.inputEvents,
    }));
  },
  get requests() { return [...host.requests.keys()]; },
};
