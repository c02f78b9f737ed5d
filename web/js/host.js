// GhostView — the zero-install browser host (/host.html): share a screen from
// a tab, admit viewers one by one, with the person's consent.
// SPDX-License-Identifier: LGPL-2.1-or-later
import {
  Capability, ErrorCode, errorMessage, iceCandidateInit, INPUT_CHANNEL_LABEL, Input, inputKind,
  makeAccept, makeDecline, makeEnd, makeGrant, makeIce, makeInvite, makeKick, makeRegister, makeSnapshotRefusal,
  makeSdp, MAX_INPUT_MESSAGE_BYTES, MAX_VIEWERS_LIMIT, Problem, Type,
} from './protocol.js';
import { FILE_CHANNEL_LABEL } from './filetransfer.js';
import { FileEndpoint } from './files.js';
import { FilePanel } from './filepanel.js';
import { hostText } from './diagnose.js';
import { HostChat } from './host-chat.js';
import { HostClipboard } from './host-clipboard.js';
import { HostFallback } from './host-fallback.js';
import { HostSource } from './host-source.js';
import { Signalling } from './signalling.js';

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
  newPin: $('new-pin'), newPinError: $('new-pin-error'),
  newControl: $('new-control'), newChat: $('new-chat'), newClipboard: $('new-clipboard'), newSource: $('new-source'),
  switchSource: $('switch-source'), sourceStatus: $('source-status'),
  clipboardSend: $('clipboard-send'), clipboardTake: $('clipboard-take'), clipboardHint: $('clipboard-hint'),
  clipboardStatus: $('clipboard-status'),
  inviteCaps: $('invite-caps'), makeInvite: $('make-invite'), inviteRow: $('invite-row'),
  inviteUrl: $('invite-url'), copyInvite: $('copy-invite'), hostFiles: $('host-files'),
};

// Files, one "file" channel per viewer (files.js): what viewers with `file`
// send lands here for the person to save; the person sends any viewer one.
const filePanel = new FilePanel(ui.hostFiles, {
  onCancel: (e) => { for (const v of host.viewers.values()) if (v.files?.outgoing?.id === e.id || v.files?.incoming?.id === e.id) v.files.cancel('cancelled by the host'); },
});
const receivedFiles = new Map(); // name -> Blob, for window.ghostviewHost

// Protocol.js names the capability once the C++ table has it.
const CHAT = Capability.CHAT ?? 'chat';

// idle -> capturing -> registering -> sharing -> stopped
const STATUS_TEXT = {
  idle: 'Not sharing',
  capturing: 'Choose what to share…',
  registering: 'Getting a PIN…',
  sharing: 'Sharing',
  stopped: 'Not sharing',
};

// How long the server may take to answer a `register` before we give up.
const REGISTER_TIMEOUT_MS = 10000;
// After a lost server connection: the first retry soon (a restarted server
// is back within a second or two), then less often.
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30000;

/*
 * One signalling connection is one session with one PIN: the server gives a
 * connection its role for life, so a new PIN means a new connection. The
 * current connection's PIN is the one shown and takes new viewers. When a new
 * PIN replaces it, the old connection stays open (retired) only while viewers
 * or requests it brought in are still there, so they keep watching; anyone who
 * still tries the old PIN is declined. When the current connection is lost
 * the page reconnects by itself with the session's resume token and keeps
 * its PIN (PROTOCOL.md "Keeping a PIN"), or says it got a new one; viewers
 * watching stay throughout (their media never passes through the server).
 */
const host = {
  state: 'idle',
  stream: null,
  conn: null, // the current session (null after the server connection is lost)
  pending: null, // a connection whose `register` is in flight
  retired: new Set(),
  renewing: false,
  newPinHadFocus: false,
  // newControl/newChat/newClipboard/newSource: what a join request offers ticked (the person still decides).
  settings: { maxViewers: 1, name: '', newControl: false, newChat: false, newClipboard: false, newSource: false },
  expiryTimer: 0,
  viewers: new Map(), // peer -> Viewer (admitted)
  requests: new Map(), // peer -> {peer, conn, name, address, element}
};

// Pictures over the server for viewers whose peer connection did not connect.
const fallback = new HostFallback({ video: ui.preview, isViewer: (conn, peer) => !!viewerOf(conn, peer) });
const chat = new HostChat({
  // Docked under the viewers' rows: the host sees who says what beside who may.
  buttonParent: ui.actions, buttonBefore: ui.stop, mount: document.querySelector('.card.people'), docked: true,
  viewers: () => host.viewers.values(),
  mayChat: (viewer) => viewer.caps.has(CHAT),
  nameOf: (viewer) => displayName(viewer.name),
  onRefused: (viewer) => renderViewer(viewer),
  onClipboard: (viewer, piece) => clipboard.onPiece(viewer, piece),
  onSource: (viewer, msg) => source.onRequest(viewer, msg),
});

// The clipboard, on the same channel: both ways with viewers who have `clipboard`.
const clipboard = new HostClipboard({
  sendButton: ui.clipboardSend, takeButton: ui.clipboardTake, hint: ui.clipboardHint, status: ui.clipboardStatus,
  viewers: () => host.viewers.values(),
  mayShare: (viewer) => viewer.caps.has(Capability.CLIPBOARD),
  nameOf: (viewer) => displayName(viewer.name),
  sendLine: (viewer, line) => chat.send(viewer, line),
  onRefused: (viewer) => renderViewer(viewer),
  notify: (text) => notify(text),
});

// What is shared: "Share something else", and viewers' requests (refused: only the person picks here).
const source = new HostSource({
  button: ui.switchSource,
  viewers: () => host.viewers.values(),
  maySource: (viewer) => viewer.caps.has(Capability.SOURCE),
  sendLine: (viewer, line) => chat.send(viewer, line),
  capture: () => requestCapture(),
  adopt: (stream) => {
    adoptCapture(stream);
    return previewShown(2000);
  },
  stream: () => host.stream,
  say: (text) => { ui.sourceStatus.textContent = text; },
  onRefused: (viewer) => renderViewer(viewer),
});

function setState(state) {
  host.state = state;
  source.setSharing(state === 'sharing');
  chat.setSharing(state === 'sharing');
  clipboard.setSharing(state === 'sharing');
  document.body.dataset.state = state;
  ui.start.hidden = !['idle', 'capturing', 'registering'].includes(state);
  ui.sharing.hidden = state !== 'sharing';
  ui.actions.hidden = state !== 'sharing';
  ui.stopped.hidden = state !== 'stopped';
  ui.startButton.disabled = state === 'capturing' || state === 'registering';
  if (state === 'sharing') {
    renderPin();
  } else {
    setStatus(STATUS_TEXT[state]);
  }
}

function setStatus(text) {
  // #status is a live region: rewriting the same words would announce them again.
  if (ui.status.textContent !== text) ui.status.textContent = text;
}

function showStartError(text) {
  ui.startError.textContent = text;
  ui.startError.hidden = !text;
}

function showNewPinError(text) {
  ui.newPinError.textContent = text;
  ui.newPinError.hidden = !text;
}

function displayName(name) {
  return name && name.trim() ? name.trim() : 'A viewer';
}

/** Moves focus to `target` when it would otherwise be lost (on a hidden element or the body). */
function keepFocus(target) {
  const active = document.activeElement;
  if (!active || active === document.body || active.closest('[hidden]') || active.disabled) {
    target.focus({ preventScroll: true });
  }
}

// ---- capture ----

function captureLive() {
  return !!host.stream && host.stream.getVideoTracks().some((t) => t.readyState === 'live');
}

/** Asks the person for a screen, window or tab; resolves {stream} or {error}: what went wrong. */
async function requestCapture() {
  if (!navigator.mediaDevices || !navigator.mediaDevices.getDisplayMedia) {
    return { error: 'This browser cannot share its screen (it needs a current Chrome, Edge or Firefox on a computer, over HTTPS or localhost).' };
  }
  try {
    return {
      stream: await navigator.mediaDevices.getDisplayMedia({
        video: { frameRate: { ideal: 30, max: 30 } },
        audio: false,
      }),
    };
  } catch (e) {
    return {
      error: e && e.name === 'NotAllowedError'
        ? 'Screen sharing was not allowed. Click "Start sharing" and pick a screen, window or tab.'
        : `Could not capture the screen (${(e && e.message) || e}).`,
    };
  }
}

/** Asks for a screen and makes it what is shared; resolves '' or what went wrong. */
async function captureScreen() {
  const { stream, error } = await requestCapture();
  if (error) return error;
  releaseCapture();
  adoptCapture(stream);
  return '';
}

/** Resolves once the preview shows a frame of its stream, or after `ms`. */
function previewShown(ms) {
  return new Promise((resolve) => {
    if (ui.preview.readyState >= HTMLMediaElement.HAVE_CURRENT_DATA) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      ui.preview.removeEventListener('loadeddata', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    ui.preview.addEventListener('loadeddata', done);
  });
}

/** Makes `stream` the capture viewers get and the preview shows (the one it replaces is the caller's). */
function adoptCapture(stream) {
  host.stream = stream;
  const track = stream.getVideoTracks()[0];
  if (track) {
    // Screens are text and edges: keep them sharp rather than smooth.
    if ('contentHint' in track) track.contentHint = 'detail';
    track.addEventListener('ended', () => {
      if (host.stream === stream) stopSharing('You stopped sharing from the browser.');
    });
  }
  ui.preview.srcObject = stream;
}

// ---- sessions ----

function openConnection() {
  const conn = {
    signalling: null, pin: '', expiresAtMs: 0, maxViewers: host.settings.maxViewers, accepted: 0,
    iceServers: [], viewerUrl: '', retired: false, settle: null, registerTimer: 0,
    // Keeping the PIN across a lost connection: the server's latest token
    // (a secret: never shown or logged), and the reconnection in progress.
    resumeToken: '', reconnecting: false, reconnectTimer: 0, backoffMs: RECONNECT_MIN_MS,
    refusal: '', note: '',
  };
  connectSignalling(conn);
  return conn;
}

/** A new WebSocket for `conn` (its first, or the next after a lost one). */
function connectSignalling(conn) {
  conn.signalling = new Signalling({
    onMessage: (msg) => onMessage(conn, msg),
    onClose: (info) => onConnectionClosed(conn, info),
  });
}

/** Ends a registration in flight: with the `registered` message, or an error text. */
function settleRegistration(conn, error, msg) {
  const settle = conn.settle;
  if (!settle) return;
  conn.settle = null;
  clearTimeout(conn.registerTimer);
  if (host.pending === conn) host.pending = null;
  if (error) {
    conn.signalling.close();
    settle.reject(new Error(error));
  } else {
    settle.resolve(conn);
  }
}

/** Registers a new session on a new connection; resolves the connection once it has a PIN. */
function register() {
  const conn = openConnection();
  host.pending = conn;
  const registered = new Promise((resolve, reject) => { conn.settle = { resolve, reject }; });
  conn.registerTimer = setTimeout(
    () => settleRegistration(conn, 'The server did not answer. Try again.'), REGISTER_TIMEOUT_MS);
  conn.signalling.open().then(
    () => conn.signalling.send(makeRegister(host.settings)),
    () => settleRegistration(conn, 'Could not reach the GhostView server. Check your connection and try again.'),
  );
  return registered;
}

/** The session a `registered` message describes, kept on `conn`. */
function applyRegistration(conn, msg) {
  conn.pin = String(msg.pin || '');
  conn.resumeToken = String(msg.resume_token || '');
  conn.iceServers = Array.isArray(msg.ice_servers) ? msg.ice_servers : [];
  // Counted from now with the server's TTL, so a wrong clock here does not matter.
  const ttl = Number(msg.pin_ttl);
  conn.expiresAtMs = ttl > 0 ? Date.now() + ttl * 1000 : (Number(msg.expires_at) || 0) * 1000;
  conn.maxViewers = Number(msg.max_viewers) || conn.maxViewers;
  conn.viewerUrl = msg.viewer_url || `${window.location.origin}/?pin=${conn.pin}`;
}

function onRegistered(conn, msg) {
  if (conn.reconnecting) {
    onRegisteredAgain(conn, msg);
    return;
  }
  if (!conn.settle) {
    // A reconnection that finished after "New PIN" replaced this session.
    if (conn.retired) endRetiredIfIdle(conn);
    return;
  }
  applyRegistration(conn, msg);
  settleRegistration(conn, '', msg);
}

/** Tries to register `conn` again after `conn.backoffMs`, doubling it for next time. */
function scheduleReconnect(conn) {
  conn.reconnecting = true;
  clearTimeout(conn.reconnectTimer);
  const delay = conn.backoffMs;
  conn.backoffMs = Math.min(conn.backoffMs * 2, RECONNECT_MAX_MS);
  conn.reconnectTimer = setTimeout(() => {
    if (conn !== host.conn || host.state !== 'sharing') return;
    connectSignalling(conn);
    conn.signalling.open().then(
      () => conn.signalling.send(makeRegister({ ...host.settings, resumeToken: conn.resumeToken })),
      () => {}, // its onClose schedules the next try
    );
  }, delay);
}

/** Back on the server: the same PIN (resumed) or, when it could not be kept, a new one. */
function onRegisteredAgain(conn, msg) {
  const before = conn.pin;
  conn.reconnecting = false;
  conn.backoffMs = RECONNECT_MIN_MS;
  applyRegistration(conn, msg);
  if (conn.pin !== before) {
    conn.accepted = 0; // a new session: its uses start again
    conn.note = `The server could not keep PIN ${before}${conn.refusal ? ` (${conn.refusal})` : ''}, so this is a new PIN.`;
    notify(`New PIN ${conn.pin}`);
  } else {
    conn.note = '';
  }
  conn.refusal = '';
  if (conn === host.conn) showPin(conn);
  renderPin();
}

/** Makes `conn` the session whose PIN is shown; the one it replaces is retired. */
function adopt(conn) {
  const old = host.conn;
  host.conn = conn;
  if (old && old !== conn) retire(old);
  showPin(conn);
  clearInterval(host.expiryTimer);
  host.expiryTimer = setInterval(renderPin, 1000);
  setState('sharing');
  renderLists();
}

function showPin(conn) {
  const pin = conn.pin;
  // Groups of three, as people read them out: "123 456", "123 456 789" (a
  // 9-digit PIN: the server saw a flood of wrong PINs when this session began).
  ui.pin.textContent = pin.length % 3 === 0 ? pin.match(/\d{3}/g).join(' ') : pin;
  ui.pin.classList.toggle('long', pin.length > 6);
  ui.pin.dataset.pin = pin;
  ui.viewerUrl.value = conn.viewerUrl;
  ui.joinOrigin.textContent = new URL(conn.viewerUrl, window.location.href).host;
  showNewPinError('');
}

function retire(conn) {
  clearTimeout(conn.reconnectTimer); // a replaced PIN is not worth reconnecting for
  conn.reconnecting = false;
  conn.retired = true;
  host.retired.add(conn);
  endRetiredIfIdle(conn);
}

/** A retired session ends once nobody it admitted (or who is asking) remains. */
function endRetiredIfIdle(conn) {
  if (!conn || !conn.retired || !host.retired.has(conn)) return;
  const inUse = [...host.viewers.values(), ...host.requests.values()].some((x) => x.conn === conn);
  if (inUse) return;
  host.retired.delete(conn);
  conn.signalling.send(makeEnd());
  conn.signalling.close();
}

async function startSharing() {
  showStartError('');
  host.settings = {
    maxViewers: Math.min(MAX_VIEWERS_LIMIT, Math.max(1, parseInt(ui.maxViewers.value, 10) || 1)),
    name: ui.hostName.value.trim(),
    newControl: ui.newControl.checked,
    newChat: ui.newChat.checked,
    newClipboard: ui.newClipboard.checked,
    newSource: ui.newSource.checked,
  };
  try {
    localStorage.setItem('ghostview.hostName', host.settings.name);
    localStorage.setItem('ghostview.maxViewers', String(host.settings.maxViewers));
    localStorage.setItem('ghostview.newViewerCaps', JSON.stringify({
      control: ui.newControl.checked, chat: ui.newChat.checked, clipboard: ui.newClipboard.checked,
      source: ui.newSource.checked,
    }));
  } catch { /* private mode */ }
  setState('capturing');
  const captureError = await captureScreen();
  if (captureError) {
    setState('idle');
    showStartError(captureError);
    keepFocus(ui.startButton);
    return;
  }
  setState('registering');
  let conn;
  try {
    conn = await register();
  } catch (e) {
    if (host.state !== 'registering') return; // stopped meanwhile
    releaseCapture();
    setState('idle');
    showStartError(e.message);
    keepFocus(ui.startButton);
    return;
  }
  if (host.state !== 'registering') {
    conn.signalling.close();
    return;
  }
  adopt(conn);
  keepFocus(ui.copyUrl);
}

/**
 * "New PIN": registers a new session for the capture that is live (there is
 * one whenever this button shows: when the capture ends, sharing stops, and
 * "Share again with a new PIN" asks for a screen again). Viewers already
 * watching stay.
 */
async function renewPin() {
  if (host.renewing || host.state !== 'sharing' || !captureLive()) return;
  setRenewing(true);
  showNewPinError('');
  try {
    const conn = await register();
    if (host.state !== 'sharing') {
      conn.signalling.close();
      return;
    }
    adopt(conn);
  } catch (e) {
    if (host.state === 'sharing') showNewPinError(`No new PIN: ${e.message}`);
  } finally {
    setRenewing(false);
  }
}

function setRenewing(on) {
  const hadFocus = document.activeElement === ui.newPin;
  host.renewing = on;
  ui.newPin.disabled = on;
  ui.newPin.setAttribute('aria-busy', String(on));
  ui.newPin.textContent = on ? 'Getting a new PIN…' : 'New PIN';
  if (on && hadFocus) host.newPinHadFocus = true;
  if (!on && host.newPinHadFocus) {
    host.newPinHadFocus = false;
    if (host.state === 'sharing') keepFocus(ui.newPin);
  }
}

function onMessage(conn, msg) {
  switch (msg.type) {
    case Type.REGISTERED:
      onRegistered(conn, msg);
      break;
    case Type.RESUME_TOKEN:
      conn.resumeToken = String(msg.resume_token || '');
      break;
    case Type.JOIN_REQUEST:
      onJoinRequest(conn, msg);
      break;
    case Type.SDP:
      onRemoteSdp(conn, msg);
      break;
    case Type.ICE:
      onRemoteIce(conn, msg);
      break;
    case Type.PEER_LEFT:
      onPeerLeft(conn, msg);
      break;
    case Type.REPORT:
      onReport(conn, msg);
      break;
    case Type.RESTART:
      onRestart(conn, msg);
      break;
    case Type.FALLBACK:
      fallback.onMessage(conn, msg); // (PROTOCOL.md "Fallback")
      break;
    case Type.SNAPSHOT:
      // The session API asks for a still (PROTOCOL.md "Snapshot"): refused
      // at once, rather than left to time out.
      if (conn === host.conn && typeof msg.request === 'string') {
        conn.signalling.send(makeSnapshotRefusal(msg.request, SNAPSHOT_REFUSED));
      }
      break;
    case Type.SESSION_ENDED:
      // The session's operator ended it through the session API: nothing
      // more will come on it, so sharing stops, with the server's words.
      if (conn === host.conn) {
        stopSharing(typeof msg.message === 'string' && msg.message
          ? msg.message.slice(0, 300) : 'The server ended the session.');
      }
      break;
    case Type.INVITE_LINK:
      if (conn === host.conn) {
        ui.inviteUrl.value = String(msg.url || '');
        ui.inviteRow.hidden = false;
        ui.makeInvite.disabled = false;
      }
      break;
    case Type.ERROR:
      if (conn.reconnecting && msg.code === ErrorCode.RESUME_REFUSED) {
        // The old PIN is gone for good (say, a server restarted without its
        // key file): register anew on this connection, and say so once done.
        conn.resumeToken = '';
        conn.refusal = String(msg.message || '');
        conn.signalling.send(makeRegister(host.settings));
      } else if (conn.settle) {
        settleRegistration(conn, errorMessage(msg.code, msg.message));
      } else {
        console.warn('GhostView: server error', msg.code, msg.message);
      }
      break;
    default:
      break;
  }
}

// ---- the PIN's state ----

/**
 * Why nobody new can join with the PIN shown: '' (they can), 'reconnecting',
 * 'expired', 'used' or 'offline'.
 */
function pinProblem() {
  const c = host.conn;
  if (!c) return 'offline';
  if (c.reconnecting) return 'reconnecting';
  if (c.expiresAtMs && Date.now() >= c.expiresAtMs) return 'expired';
  if (c.accepted >= c.maxViewers) return 'used';
  return '';
}

function describeDuration(seconds) {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  if (h) return m ? `${h} h ${m} min` : `${h} h`;
  if (m) return s ? `${m} min ${s} s` : `${m} min`;
  return `${s} s`;
}

function clockTime(ms) {
  return new Date(ms).toLocaleTimeString([], { hour: 'numeric', minute: '2-digit' });
}

const STATUS_NOTE = { expired: ' · PIN expired', used: ' · PIN used up' };

function renderPin() {
  if (host.state !== 'sharing') return;
  const c = host.conn;
  const problem = pinProblem();
  const again = 'Click "New PIN" to let more people join.';
  let text;
  if (problem === 'reconnecting') {
    text = 'The connection to the server was lost. Reconnecting… Viewers already watching stay; '
      + 'nobody new can join until the server is back.';
  } else if (problem === 'offline') {
    text = 'The connection to the server was lost, so this PIN no longer works and anyone watching was '
      + 'disconnected. Your screen is still captured: click "New PIN" to share it again.';
  } else if (problem === 'expired') {
    text = `This PIN expired at ${clockTime(c.expiresAtMs)}: nobody new can join with it. Viewers already watching stay. ${again}`;
  } else if (problem === 'used') {
    const n = c.accepted;
    text = `This PIN has let in ${n} ${n === 1 ? 'viewer' : 'viewers'}, as many as it allows: nobody new can join with it. ${again}`;
  } else if (!c.expiresAtMs) {
    text = '';
  } else {
    const left = Math.max(1, Math.ceil((c.expiresAtMs - Date.now()) / 1000));
    text = left <= 60
      ? `This PIN stops working in ${describeDuration(left)} (at ${clockTime(c.expiresAtMs)}). Anyone who has not joined by then will need a new PIN.`
      : `New viewers can join with this PIN for another ${describeDuration(left)} (until ${clockTime(c.expiresAtMs)}).`;
  }
  if (!problem && c.note) text = `${c.note} ${text}`;
  const warn = !!problem || (!!c && !!c.expiresAtMs && c.expiresAtMs - Date.now() <= 60000);
  ui.expiry.classList.toggle('warn', warn);
  ui.expiry.textContent = text;
  ui.expiry.dataset.problem = problem;
  ui.pin.classList.toggle('expired', !!problem);
  ui.newPin.classList.toggle('primary', !!problem);
  ui.newPin.classList.toggle('ghost', !problem);
  ui.copyUrl.disabled = !!problem; // the link would not let anyone in
  document.body.dataset.pinProblem = problem;
  const n = host.viewers.size;
  setStatus(problem === 'offline' ? 'Offline — get a new PIN to share again'
    : problem === 'reconnecting' ? 'Reconnecting to the server…'
    : `Sharing — ${n} ${n === 1 ? 'viewer' : 'viewers'}${STATUS_NOTE[problem] || ''}`);
}

// ---- consent ----

function onJoinRequest(conn, msg) {
  const peer = String(msg.peer || '');
  if (!peer || host.requests.has(peer) || host.viewers.has(peer)) return;
  if (conn.retired) {
    // The person replaced this PIN: whoever still has it must ask for the new one.
    conn.signalling.send(makeDecline(peer, 'The host has a new PIN now. Ask them for it.'));
    return;
  }
  const el = ui.requestTemplate.content.firstElementChild.cloneNode(true);
  el.dataset.peer = peer;
  el.querySelector('.name').textContent = displayName(msg.name);
  el.querySelector('.address').textContent = msg.address ? `(${msg.address})` : '';
  // Came with an invite link: the link's capabilities, which the person
  // can still change before accepting.
  const invited = Array.isArray(msg.capabilities) ? msg.capabilities : null;
  el.querySelector('.allow-control').checked = invited ? invited.includes(Capability.CONTROL) : host.settings.newControl;
  el.querySelector('.allow-chat').checked = invited ? invited.includes(CHAT) : host.settings.newChat;
  el.querySelector('.allow-clipboard').checked = invited
    ? invited.includes(Capability.CLIPBOARD) : host.settings.newClipboard;
  el.querySelector('.allow-source').checked = invited ? invited.includes(Capability.SOURCE) : host.settings.newSource;
  // A WHEP player (PROTOCOL.md, "WHEP") sends its own offer and can only watch.
  const offers = msg.offers === true;
  if (invited || offers) {
    const note = el.querySelector('.invited');
    note.textContent = offers ? '(a WHEP player: it can only watch)' : '(with your invite link)';
    note.hidden = false;
  }
  if (offers) for (const box of el.querySelectorAll('label.check')) box.hidden = true;
  el.querySelector('.accept').addEventListener('click', () => {
    accept(peer, {
      control: el.querySelector('.allow-control').checked,
      chat: el.querySelector('.allow-chat').checked,
      clipboard: el.querySelector('.allow-clipboard').checked,
      source: el.querySelector('.allow-source').checked,
    });
  });
  el.querySelector('.decline').addEventListener('click', () => decline(peer));
  host.requests.set(peer, { peer, conn, name: msg.name || '', address: msg.address || '', element: el, offers });
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
  req.conn.signalling.send(makeDecline(peer));
  renderLists();
  endRetiredIfIdle(req.conn);
}

/** Admits `peer` with view and what the person ticked: {control, chat, clipboard, source}. */
function accept(peer, allow) {
  const req = host.requests.get(peer);
  if (!req) return;
  host.requests.delete(peer);
  req.element.remove();
  const caps = new Set([Capability.VIEW]);
  if (!req.offers) {
    if (allow.control) caps.add(Capability.CONTROL);
    if (allow.chat) caps.add(CHAT);
    if (allow.clipboard) caps.add(Capability.CLIPBOARD);
    if (allow.source) caps.add(Capability.SOURCE);
  }
  const { conn } = req;
  conn.signalling.send(makeAccept(peer, capabilityList(caps)));
  conn.accepted++;
  const viewer = {
    peer, conn, name: req.name, address: req.address, caps, controlRequested: false,
    state: 'connecting', pc: null, channel: null, assist: null, inputEvents: 0, chatRefused: 0, clipboardRefused: 0,
    sourceRefused: 0,
    files: null, filePartials: new Map(),
    pendingIce: [], element: null, problem: null, restarts: 0, offers: req.offers,
  };
  host.viewers.set(peer, viewer);
  renderViewer(viewer);
  chat.update();
  clipboard.update();
  renderPin();
  if (viewer.offers) return; // its offer comes next (onRemoteSdp)
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

/** The viewer's peer connection; its candidates trickle unless they go in the answer (`trickle` false). */
function newViewerPeer(viewer, { trickle = true } = {}) {
  const pc = new RTCPeerConnection({ iceServers: viewer.conn.iceServers });
  viewer.pc = pc;
  pc.addEventListener('icecandidate', (ev) => {
    if (trickle && ev.candidate && ev.candidate.candidate) viewer.conn.signalling.send(makeIce(viewer.peer, ev.candidate));
  });
  pc.addEventListener('connectionstatechange', () => {
    const s = pc.connectionState;
    viewer.state = s === 'connected' ? 'watching' : s === 'failed' ? 'failed' : s === 'disconnected' ? 'reconnecting' : viewer.state;
    renderViewer(viewer);
  });
  return pc;
}

async function connectViewer(viewer) {
  const pc = newViewerPeer(viewer);

  const channel = pc.createDataChannel(INPUT_CHANNEL_LABEL, { ordered: true });
  viewer.channel = channel;
  channel.addEventListener('message', (ev) => onViewerInput(viewer, ev.data));
  chat.open(viewer, pc);
  viewer.assist.addEventListener('open', () => source.channelOpened(viewer));
  viewer.files?.detach();
  viewer.files = new FileEndpoint(pc.createDataChannel(FILE_CHANNEL_LABEL, { ordered: true }), {
    mayReceive: () => viewer.caps.has(Capability.FILE),
    partials: viewer.filePartials,
    onEvent: (e) => {
      if (e.direction === 'incoming' && e.state === 'done' && e.blob) receivedFiles.set(e.name, e.blob);
      filePanel.update({ ...e, name: `${e.name} (${displayName(viewer.name)})` });
      renderViewer(viewer);
    },
  });

  for (const track of host.stream.getVideoTracks()) {
    const t = pc.addTransceiver(track, { direction: 'sendonly', streams: [host.stream] });
    preferCodecs(t);
  }
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  viewer.conn.signalling.send(makeSdp(viewer.peer, 'offer', pc.localDescription.sdp));
}

/** Resolves once `pc` gathered its candidates, or after `ms`. */
function gathered(pc, ms) {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); }
    });
  });
}

/**
 * A WHEP player's offer (PROTOCOL.md, "WHEP"): its video sections get the
 * shared screen, its audio sections the shared sound (inactive without),
 * and the answer goes with every candidate in it (WHEP has no trickle
 * towards the player).
 */
async function answerPlayer(viewer, sdp) {
  const pc = newViewerPeer(viewer, { trickle: false });
  await pc.setRemoteDescription({ type: 'offer', sdp });
  for (const c of viewer.pendingIce.splice(0)) await pc.addIceCandidate(c).catch(() => {});
  for (const t of pc.getTransceivers()) {
    const kind = t.receiver.track.kind;
    const [track] = kind === 'video' ? host.stream.getVideoTracks() : host.stream.getAudioTracks();
    if (!track) {
      t.direction = 'inactive';
      continue;
    }
    t.direction = 'sendonly';
    await t.sender.replaceTrack(track);
    t.sender.setStreams?.(host.stream);
  }
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc, 3000);
  viewer.conn.signalling.send(makeSdp(viewer.peer, 'answer', pc.localDescription.sdp));
}

/** The admitted viewer `peer` of session `conn`, if any. */
function viewerOf(conn, peer) {
  const viewer = host.viewers.get(peer);
  return viewer && viewer.conn === conn ? viewer : null;
}

async function onRemoteSdp(conn, msg) {
  const viewer = viewerOf(conn, msg.peer);
  if (viewer && viewer.offers && !viewer.pc && msg.sdp_type === 'offer') {
    answerPlayer(viewer, msg.sdp).catch((e) => {
      console.warn('GhostView: could not answer the WHEP player', msg.peer, e);
      viewer.state = 'failed';
      renderViewer(viewer);
    });
    return;
  }
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

function onRemoteIce(conn, msg) {
  const viewer = viewerOf(conn, msg.peer);
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
  if (inputKind(msg) === Input.REQUEST_CONTROL) {
    if (!viewer.caps.has(Capability.CONTROL)) {
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

// ---- a viewer's reports and Retry ----

// What this page answers a snapshot request of the session API.
const SNAPSHOT_REFUSED = 'the browser host page does not offer snapshots';

/** The viewer says why it sees no picture (or that it is back). */
function onReport(conn, msg) {
  const viewer = viewerOf(conn, msg.peer);
  if (!viewer || !Object.values(Problem).includes(msg.problem)) return;
  viewer.problem = msg.problem === Problem.RESOLVED ? null
    : { problem: msg.problem, detail: String(msg.detail || ''), codec: String(msg.codec || '') };
  renderViewer(viewer);
}

/** The viewer asks for the video again: a fresh peer connection and offer. */
function onRestart(conn, msg) {
  const viewer = viewerOf(conn, msg.peer);
  if (!viewer || !captureLive()) return;
  if (viewer.pc) viewer.pc.close();
  Object.assign(viewer, { pc: null, channel: null, assist: null, pendingIce: [], state: 'connecting', problem: null });
  viewer.restarts++;
  renderViewer(viewer);
  connectViewer(viewer).catch((e) => {
    console.warn('GhostView: could not offer again to', viewer.peer, e);
    viewer.state = 'failed';
    renderViewer(viewer);
  });
}

// ---- viewers ----

const CAPABILITY_ORDER = [...new Set([...Object.values(Capability), CHAT])];

/** Capabilities on the wire, in the protocol's order. */
function capabilityList(caps) {
  return CAPABILITY_ORDER.filter((c) => caps.has(c));
}

/** Gives `viewer` capability `cap`, or takes it back: `grant` replaces the viewer's whole set. */
function setCapability(viewer, cap, on) {
  if (viewer.caps.has(cap) === on) return;
  if (on) viewer.caps.add(cap);
  else viewer.caps.delete(cap);
  viewer.conn.signalling.send(makeGrant(viewer.peer, capabilityList(viewer.caps)));
  if (cap === CHAT) chat.chatChanged(viewer, on);
  if (cap === Capability.CLIPBOARD) clipboard.capabilityChanged(viewer, on);
  renderViewer(viewer);
}

function setControl(viewer, on) {
  viewer.controlRequested = false;
  setCapability(viewer, Capability.CONTROL, on);
  renderViewer(viewer);
}

function removeViewer(viewer) {
  viewer.conn.signalling.send(makeKick(viewer.peer, 'removed by the host'));
  dropViewer(viewer.peer);
}

function dropViewer(peer) {
  const viewer = host.viewers.get(peer);
  if (!viewer) return;
  host.viewers.delete(peer);
  fallback.forget(peer);
  viewer.files?.detach();
  if (viewer.pc) viewer.pc.close();
  viewer.element?.remove();
  renderLists();
  chat.update();
  clipboard.update();
  endRetiredIfIdle(viewer.conn);
}

function onPeerLeft(conn, msg) {
  const req = host.requests.get(msg.peer);
  if (req && req.conn === conn) { // left while the person was still deciding
    host.requests.delete(msg.peer);
    req.element.remove();
    endRetiredIfIdle(conn);
  }
  if (viewerOf(conn, msg.peer)) dropViewer(msg.peer);
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
    el.querySelector('.control').addEventListener('click', () => setControl(viewer, !viewer.caps.has(Capability.CONTROL)));
    const chatBox = el.querySelector('.allow-chat');
    chatBox.addEventListener('change', () => setCapability(viewer, CHAT, chatBox.checked));
    const clipboardBox = el.querySelector('.allow-clipboard');
    clipboardBox.addEventListener('change', () => setCapability(viewer, Capability.CLIPBOARD, clipboardBox.checked));
    const sourceBox = el.querySelector('.allow-source');
    sourceBox.addEventListener('change', () => setCapability(viewer, Capability.SOURCE, sourceBox.checked));
    const fileBox = el.querySelector('.allow-file');
    fileBox.addEventListener('change', () => setCapability(viewer, Capability.FILE, fileBox.checked));
    const picker = el.querySelector('.send-file');
    picker.addEventListener('change', async () => {
      const [file] = picker.files;
      picker.value = '';
      if (!file || !viewer.files) return;
      try {
        await viewer.files.offer(file);
      } catch (e) {
        console.warn('GhostView: could not send', file.name, e);
      }
    });
    el.querySelector('.remove').addEventListener('click', () => removeViewer(viewer));
    viewer.element = el;
    ui.viewers.append(el);
  }
  const el = viewer.element;
  const control = viewer.caps.has(Capability.CONTROL);
  el.dataset.state = viewer.state;
  el.querySelector('.state').textContent = STATE_TEXT[viewer.state] || viewer.state;
  const note = viewer.controlRequested ? ' · asks for control'
    : control ? ` · may control${viewer.inputEvents ? ` (${viewer.inputEvents} events, not applied)` : ''}` : '';
  el.querySelector('.control-note').textContent = note;
  el.querySelector('.allow-chat').checked = viewer.caps.has(CHAT);
  el.querySelector('.allow-clipboard').checked = viewer.caps.has(Capability.CLIPBOARD);
  el.querySelector('.allow-file').checked = viewer.caps.has(Capability.FILE);
  el.querySelector('.allow-source').checked = viewer.caps.has(Capability.SOURCE);
  const n = viewer.chatRefused;
  const c = viewer.clipboardRefused;
  const r = viewer.sourceRefused;
  el.querySelector('.refused-note').textContent = (n ? ` · ${n} chat ${n === 1 ? 'message' : 'messages'} refused` : '')
    + (c ? ` · ${c} clipboard ${c === 1 ? 'copy' : 'copies'} refused` : '')
    + (r ? ` · asked ${r} ${r === 1 ? 'time' : 'times'} to pick what is shared` : '');
  el.classList.toggle('asking', viewer.controlRequested);
  const problem = el.querySelector('.problem');
  problem.textContent = viewer.problem ? hostText(viewer.problem.problem, viewer.problem.codec) : '';
  problem.title = viewer.problem ? viewer.problem.detail : '';
  problem.hidden = !viewer.problem;
  const button = el.querySelector('.control');
  button.textContent = control ? 'Revoke control' : viewer.controlRequested ? 'Grant control' : 'Allow control';
  button.classList.toggle('primary', viewer.controlRequested);
  renderLists();
}

function renderLists() {
  ui.noRequests.hidden = host.requests.size > 0;
  ui.noViewers.hidden = host.viewers.size > 0;
  renderPin();
}

// ---- stopping ----

function releaseCapture() {
  if (host.stream) for (const t of host.stream.getTracks()) t.stop();
  host.stream = null;
  ui.preview.srcObject = null;
}

/** Every session this page holds: the current one, one being registered, retired ones. */
function allConnections() {
  return [host.conn, host.pending, ...host.retired].filter(Boolean);
}

function stopSharing(text = 'Nobody can see your screen now.') {
  if (host.state === 'stopped' || host.state === 'idle') return;
  const conns = allConnections();
  host.conn = null;
  host.retired.clear();
  for (const conn of conns) {
    clearTimeout(conn.reconnectTimer);
    if (conn.pin) conn.signalling.send(makeEnd());
    conn.signalling.close(); // a registration in flight is cancelled by this
  }
  for (const peer of [...host.viewers.keys()]) dropViewer(peer);
  for (const req of host.requests.values()) req.element.remove();
  host.requests.clear();
  clearInterval(host.expiryTimer);
  releaseCapture();
  ui.pin.classList.remove('expired');
  showNewPinError('');
  ui.stoppedText.textContent = text;
  setState('stopped');
  keepFocus(ui.restart);
}

/** A session's connection to the server is gone: the server forgot the session. */
function onConnectionClosed(conn, { byUs, wasOpen }) {
  if (conn.settle) {
    settleRegistration(conn, byUs ? 'Cancelled.'
      : wasOpen ? 'The connection to the server was lost. Try again.'
        : 'Could not reach the GhostView server. Check your connection and try again.');
    return;
  }
  if (byUs) return;
  if (conn === host.conn && host.state === 'sharing') {
    // Keep the viewers: their media never passed through the server. Their
    // pending requests are asked again if the server still has them.
    for (const req of [...host.requests.values()]) {
      if (req.conn !== conn) continue;
      host.requests.delete(req.peer);
      req.element.remove();
    }
    scheduleReconnect(conn);
    renderLists();
    return;
  }
  host.retired.delete(conn);
  for (const req of [...host.requests.values()]) {
    if (req.conn !== conn) continue;
    host.requests.delete(req.peer);
    req.element.remove();
  }
  for (const viewer of [...host.viewers.values()]) if (viewer.conn === conn) dropViewer(viewer.peer);
  if (conn === host.conn) {
    // Keep the capture: "New PIN" registers again without asking for a screen.
    host.conn = null;
    clearInterval(host.expiryTimer);
  }
  renderLists();
}

// ---- wiring ----

ui.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  startSharing();
});
ui.stop.addEventListener('click', () => stopSharing());
ui.newPin.addEventListener('click', renewPin);
// Asks for a screen again (the capture ended with the session) and registers.
ui.restart.addEventListener('click', startSharing);
ui.makeInvite.addEventListener('click', () => {
  if (!host.conn || host.state !== 'sharing') return;
  ui.makeInvite.disabled = true;
  host.conn.signalling.send(makeInvite(ui.inviteCaps.value.split(','), 1));
  // The answer (invite-link) fills the link in; a refusal leaves it as it was.
  setTimeout(() => { ui.makeInvite.disabled = false; }, 3000);
});
ui.copyInvite.addEventListener('click', async () => {
  ui.inviteUrl.select();
  try {
    await navigator.clipboard.writeText(ui.inviteUrl.value);
    ui.copyInvite.textContent = 'Copied';
  } catch {
    ui.copyInvite.textContent = 'Press Ctrl+C';
  }
  setTimeout(() => { ui.copyInvite.textContent = 'Copy'; }, 2000);
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
// A paste into the page (not into a text field) shares what it carries.
document.addEventListener('paste', (ev) => {
  if (host.state === 'sharing') clipboard.onPaste(ev);
});
window.addEventListener('pagehide', () => {
  // Closing the tab ends the sessions at once (the server would notice anyway).
  for (const conn of allConnections()) if (conn.pin) conn.signalling.send(makeEnd());
});

try {
  ui.hostName.value = localStorage.getItem('ghostview.hostName') || '';
  const saved = parseInt(localStorage.getItem('ghostview.maxViewers') || '', 10);
  if (saved >= 1 && saved <= MAX_VIEWERS_LIMIT) ui.maxViewers.value = String(saved);
  const caps = JSON.parse(localStorage.getItem('ghostview.newViewerCaps') || '{}');
  ui.newControl.checked = caps && caps.control === true;
  ui.newChat.checked = caps && caps.chat === true;
  ui.newClipboard.checked = caps && caps.clipboard === true;
  ui.newSource.checked = caps && caps.source === true;
} catch { /* private mode, or a saved value that is not JSON */ }
setState('idle');

// For tests and debugging.
window.ghostviewHost = {
  get state() { return host.state; },
  get pin() { return host.conn ? host.conn.pin : ''; },
  /** Why nobody new can join with the PIN shown: '', 'reconnecting', 'expired', 'used' or 'offline'. */
  get pinProblem() { return host.state === 'sharing' ? pinProblem() : ''; },
  get renewing() { return host.renewing; },
  /** Sessions this page holds open: the current one and retired ones still in use. */
  get sessions() { return allConnections().filter((c) => c.pin).map((c) => ({ pin: c.pin, retired: c.retired })); },
  /** Viewers on the fallback, and the pictures sent them. */
  get fallback() { return { viewers: fallback.count, pictures: fallback.sent }; },
  get viewers() {
    return [...host.viewers.values()].map((v) => ({
      peer: v.peer, name: v.name, state: v.state, control: v.caps.has(Capability.CONTROL),
      capabilities: capabilityList(v.caps), controlRequested: v.controlRequested, inputEvents: v.inputEvents,
      chatRefused: v.chatRefused, clipboardRefused: v.clipboardRefused, sourceRefused: v.sourceRefused,
      assistState: v.assist ? v.assist.readyState : 'none',
      problem: v.problem ? v.problem.problem : '', restarts: v.restarts,
    }));
  },
  get requests() { return [...host.requests.keys()]; },
  /** The SHA-256 (hex) of a file a viewer sent, by name; '' if none. */
  async receivedSha256(name) {
    const blob = receivedFiles.get(name);
    if (!blob) return '';
    const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  },
  /** Malformed messages viewers sent on their assist channels (dropped). */
  get assistDropped() { return chat.dropped; },
  /**
   * The clipboard: counts (sent, received, refused, suppressed, invalid),
   * whether content waits for "Copy viewer's clipboard", and the last
   * content each way ({mime, size, text, base64, ...}).
   */
  get clipboard() { return clipboard.snapshot(); },
  /** "Share something else": how many times the capture was replaced, and the last `shared` sent. */
  get source() { return { switches: source.switches, lastShared: source.lastShared }; },
};
