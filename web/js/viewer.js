// GhostView — the browser viewer (/): join by PIN, watch, take control when
// the host gives it.
// SPDX-License-Identifier: LGPL-2.1-or-later
import {
  Capability, ErrorCode, errorMessage, HostMessage, iceCandidateInit, Input, INPUT_CHANNEL_LABEL, inputKind,
  isValidPin, JOIN_FATAL_ERRORS, makeIce, makeJoin, makeJoinByInvite, makeLeave, makeRequestControl, makeRestart, makeSdp,
  MAX_INPUT_MESSAGE_BYTES, MAX_INVITE_TOKEN_BYTES, normalisePin, parseHostMessage, Problem, Reason, sessionEndedMessage, Type,
} from './protocol.js';
import { ASSIST_CHANNEL, makeResize, MAX_RESIZE, MIN_RESIZE } from './assist.js';
import { describe, stallSeconds } from './diagnose.js';
import { ViewerChat } from './viewer-chat.js';
import { PictureWatch, refuseCodecs } from './stall.js';
import { Signalling } from './signalling.js';
import { RemoteInput } from './input.js';
import { StatsOverlay } from './stats.js';
import { TouchView } from './touch.js'; // touch and small screens (issue 19)
import { FILE_CHANNEL_LABEL } from './filetransfer.js';
import { FileEndpoint } from './files.js';
import { FilePanel } from './filepanel.js';
import { openPartialStore } from './filepartials.js';
import { ViewerClipboard } from './viewer-clipboard.js';
import { ViewerSource } from './viewer-source.js';
import { ViewerCursor } from './viewer-cursor.js';
import { fallbackSeconds, ViewerFallback } from './viewer-fallback.js';
import { ViewerTerminal } from './viewer-terminal.js';
import { TERMINAL_CHANNEL } from './terminal-protocol.js';

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), actions: $('session-actions'), requestControl: $('request-control'),
  controlBadge: $('control-badge'), fitDisplay: $('fit-display'), toggleStats: $('toggle-stats'), fullscreen: $('fullscreen'),
  leave: $('leave'), join: $('join'), form: $('join-form'), pin: $('pin'), name: $('name'),
  joinHint: $('join-hint'), inviteNote: $('invite-note'), pinLabel: $('pin-label'),
  connect: $('connect'), joinError: $('join-error'), stage: $('stage'), surface: $('surface'),
  video: $('video'), stageMessage: $('stage-message'), stageText: $('stage-text'),
  stats: $('stats'), toast: $('toast'), ended: $('ended'), endedText: $('ended-text'),
  rejoin: $('rejoin'), mute: $('mute'),
  problem: $('problem'), problemTitle: $('problem-title'), problemText: $('problem-text'), retry: $('retry'),
  filesToggle: $('files-toggle'), filesPanel: $('files-panel'), filesNote: $('files-note'),
  filePick: $('file-pick'), fileInput: $('file-input'), fileList: $('file-list'),
  fallbackCanvas: $('fallback-canvas'), fallbackLabel: $('fallback-label'),
};

// idle -> connecting -> waiting -> joining -> live -> ended
const STATUS_TEXT = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  waiting: 'Waiting for the host to accept…',
  joining: 'Starting the video…',
  live: 'Live',
  ended: 'Session ended',
};
// While the host's pictures come over the signalling connection (viewer-fallback.js).
const FALLBACK_STATUS = 'Fallback (no WebRTC)';
const FALLBACK_ASKING = 'WebRTC could not connect: asking the host for pictures over the server connection…';

const session = {
  state: 'idle',
  signalling: null,
  pc: null,
  channel: null,
  capabilities: [],
  controlRequested: false,
  controlTimer: 0,
  pendingIce: [],
  endReason: '',
  pin: '', // the PIN of the last join, offered again when the host disconnected
  lastError: null, // {code, message}
  iceServers: [], // from `joined`, for each new peer connection (Retry)
  refusedCodecs: [], // tests: video codecs this page behaves as if it cannot decode
  files: null, // the file channel's end (files.js)
};

// Files: a transfer a lost connection cut goes on from here when the same
// file is sent again (files.js keeps what arrived; the host keeps its own).
const filePartials = new Map();
// ...and what arrived of a file from the host is kept in this origin's
// private file system too, so that a reload (or a closed tab) does not lose
// it: the host sending the same file again goes on from there.
// (Old partials are removed first, before a transfer can take one up.)
const filePartialStore = openPartialStore().then(async (store) => {
  await store?.removeOld().catch(() => {});
  return store;
});
const filePanel = new FilePanel(ui.fileList, { onCancel: () => session.files?.cancel('cancelled by the viewer') });
const receivedFiles = new Map(); // name -> Blob, for window.ghostviewViewer
function onFileEvent(e) {
  if (e.direction === 'incoming' && e.state === 'done' && e.blob) receivedFiles.set(e.name, e.blob);
  filePanel.update(e);
}
// Protocol.js names the capability once the C++ table has it.
const CHAT = Capability.CHAT;

const input = new RemoteInput(ui.video, ui.surface, sendInput);
// Pinch/pan zoom of the picture, taps as clicks, the on-screen keyboard.
new TouchView(ui.video, ui.surface, input);
const stats = new StatsOverlay(ui.stats, () => session.pc);
// Chat on the host's "assist" channel, when the host offers it.
const chat = new ViewerChat({
  buttonParent: ui.actions, buttonBefore: ui.leave, mount: document.body,
  onClipboard: (p) => clipboard.onPiece(p), onClipboardRefused: (m) => clipboard.onRefused(m),
  onSource: (m) => {
    source.onMessage(m);
    cursor.remeasure(); // a `shared` gives the size the pointer's images are drawn at
  },
  onCursor: (m) => cursor.onMessage(m),
});
const clipboard = new ViewerClipboard({
  sendButton: $('clipboard-send'), takeButton: $('clipboard-take'), send: (text) => chat.sendRaw(text),
  toast: (t, ms) => toast(t, ms),
});
// What the host shares, and with `source` the picker (viewer-source.js).
const source = new ViewerSource({
  line: $('sharing-line'), picker: $('source-picker'), select: $('source-select'),
  shareButton: $('source-share'), refreshButton: $('source-refresh'),
  send: (text) => chat.sendRaw(text), channelOpen: () => chat.channelState === 'open',
  toast: (t, ms) => toast(t, ms),
});
// The host's pointer, when it sends it rather than drawing it into the frames (viewer-cursor.js).
const cursor = new ViewerCursor({
  overlay: $('remote-cursor'), video: ui.video, surface: ui.surface, sharedSize: () => source.shared,
});
// The host's shared terminal, when it shares one (viewer-terminal.js).
const terminal = new ViewerTerminal(
  { panel: $('terminal-panel'), screen: $('terminal-screen'), note: $('terminal-note') },
  {
    onOpen: () => {
      if (session.state === 'joining') setState('live'); // a terminal-only host sends no frames
      terminal.setControl(hasControl());
    },
    toast: (t) => toast(t),
  },
);
document.addEventListener('paste', (ev) => {
  if (session.state === 'live') clipboard.onPaste(ev);
});
// No silent stalls: why there is no picture, with a Retry; the host is told.
const STALL_SECONDS = stallSeconds(window.location.search);
// `?relay=1`: relayed candidates only (iceTransportPolicy 'relay'), through
// the TURN servers the signalling server gives: tests of a TURN deployment,
// and viewers who would rather the host never saw their address.
const RELAY_ONLY = new URLSearchParams(window.location.search).get('relay') === '1';
const offersRelay = (iceServers) => iceServers.some((s) =>
  [].concat(s && s.urls).some((u) => typeof u === 'string' && /^turns?:/.test(u)));
const pictures = new PictureWatch({
  ui: { panel: ui.problem, title: ui.problemTitle, text: ui.problemText },
  stallMs: STALL_SECONDS * 1000,
  getPc: () => session.pc,
  send: (msg) => session.signalling?.send(msg),
  onChange: (problem) => {
    ui.stageMessage.hidden = session.state === 'live' || !!problem;
    renderStatus();
    if (problem) document.body.dataset.problem = problem.problem;
    else delete document.body.dataset.problem;
  },
});
// No connection: pictures over the signalling WebSocket (`?fallback=S`, 0: never).
const fallback = new ViewerFallback({
  canvas: ui.fallbackCanvas,
  label: ui.fallbackLabel,
  seconds: fallbackSeconds(window.location.search),
  send: (msg) => session.signalling?.send(msg) ?? false,
  restart: () => {
    if (!session.signalling) return;
    session.signalling.send(makeRestart());
    replacePeerConnection();
  },
  getPc: () => session.pc,
  onChange: onFallbackChange,
});
let picturesPaused = false; // the stall watch rests while the fallback's pictures show

/** The fallback started, showed its first picture, went back to WebRTC, or was refused. */
function onFallbackChange() {
  const showing = fallback.showing;
  if (showing && !picturesPaused) {
    picturesPaused = true;
    pictures.pause(); // no reports while pictures show; `resolved` once WebRTC plays again
  } else if (!showing && picturesPaused) {
    picturesPaused = false;
    if (['joining', 'live'].includes(session.state)) pictures.start();
  }
  input.setTarget(showing ? ui.fallbackCanvas : ui.video);
  const state = fallback.active ? (showing ? 'showing' : 'asking') : fallback.unavailable ? 'unavailable' : '';
  if (state) document.body.dataset.fallback = state;
  else delete document.body.dataset.fallback;
  if (session.state === 'joining') {
    if (fallback.active && !showing) ui.stageText.textContent = FALLBACK_ASKING;
    else if (ui.stageText.textContent === FALLBACK_ASKING) ui.stageText.textContent = STATUS_TEXT.joining;
  }
  if (showing && session.state === 'joining') {
    setState('live');
    return;
  }
  renderStatus();
  updateControlUi();
}

/** The top bar's words: the session's state, or why there is no picture, or the fallback. */
function renderStatus() {
  let text = STATUS_TEXT[session.state];
  if (fallback.showing) text = FALLBACK_STATUS;
  else if (pictures.problem) text = 'No picture'; // the alert says why
  if (!fallback.active && fallback.unavailable && ['joining', 'live'].includes(session.state)) {
    text = `${text} · no fallback: ${fallback.unavailable}`;
  }
  ui.status.textContent = text;
  ui.status.title = text;
}

function setState(state, detail) {
  session.state = state;
  document.body.dataset.state = state;
  renderStatus();
  ui.join.hidden = state !== 'idle';
  ui.stage.hidden = !['connecting', 'waiting', 'joining', 'live'].includes(state);
  ui.ended.hidden = state !== 'ended';
  ui.actions.hidden = ui.stage.hidden;
  const watching = state === 'joining' || state === 'live';
  ui.toggleStats.hidden = !watching;
  ui.fullscreen.hidden = !watching;
  ui.leave.textContent = watching ? 'Leave' : 'Cancel';
  ui.stageMessage.hidden = state === 'live' || !!pictures.problem;
  ui.stageText.textContent = detail || STATUS_TEXT[state];
  ui.connect.disabled = false;
  updateControlUi();
  chat.set({ watching, mayChat: hasChat() });
  source.set({ watching, allowed: session.capabilities.includes(Capability.SOURCE) });
  cursor.set({ watching });
  updateAudioUi();
}

function showJoinError(text, detail = '') {
  ui.joinError.textContent = text;
  if (detail && detail !== text) {
    const d = document.createElement('span');
    d.className = 'detail';
    d.textContent = detail;
    ui.joinError.append(d);
  }
  ui.joinError.hidden = !text;
  ui.pin.setAttribute('aria-invalid', text ? 'true' : 'false');
}

let toastTimer = 0;
function toast(text, ms = 4000) {
  delete ui.toast.dataset.hint;
  ui.toast.textContent = text;
  ui.toast.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { ui.toast.hidden = true; }, ms);
}

function hasControl() {
  return session.capabilities.includes(Capability.CONTROL);
}

// Sending needs the host's `file` capability; receiving does not (the
// person saves what the host sends, or not).
function updateFilesUi() {
  const live = session.state === 'live';
  clipboard.set({ watching: live, allowed: session.capabilities.includes(Capability.CLIPBOARD) });
  const allowed = session.capabilities.includes(Capability.FILE);
  ui.filesToggle.hidden = !live;
  ui.fileInput.disabled = !allowed || !session.files;
  ui.filePick.classList.toggle('disabled', ui.fileInput.disabled);
  ui.filesNote.textContent = !session.files ? 'Files start once the video does.'
    : allowed ? 'Send a file to the host, or drop one on the picture.'
      : 'The host has not allowed you to send files (files from the host still arrive here).';
}

async function sendFile(file) {
  if (!file || !session.files) return;
  ui.filesPanel.hidden = false;
  ui.filesToggle.setAttribute('aria-expanded', 'true');
  try {
    await session.files.offer(file);
  } catch (e) {
    toast(`Could not send ${file.name}: ${e.message}`);
  }
}

function hasChat() {
  return session.capabilities.includes(CHAT);
}

function updateControlUi() {
  updateFilesUi();
  const live = session.state === 'live';
  // In the fallback, input goes in `input` messages over the signalling connection.
  const viaFallback = fallback.showing;
  const channelOpen = !!session.channel && session.channel.readyState === 'open';
  const control = live && hasControl() && (viaFallback || channelOpen);
  // (Asking for control needs the data channel.)
  ui.requestControl.hidden = !live || hasControl() || viaFallback;
  ui.requestControl.disabled = session.controlRequested;
  ui.requestControl.textContent = session.controlRequested ? 'Control requested…' : 'Request control';
  ui.controlBadge.hidden = !live || !hasControl();
  ui.fitDisplay.hidden = !live || !hasControl();
  input.setEnabled(!!control);
  terminal.setControl(live && hasControl());
  if (live && hasControl() && document.body.dataset.media === 'none') terminal.focus();
}

// ---- joining ----

// Codes whose server message says something ours does not (which limit, the
// server is refusing); for the others the server's text would only repeat ours.
const SERVER_DETAIL_CODES = new Set(['RATE_LIMITED', 'INTERNAL', 'BAD_MESSAGE', 'NOT_ALLOWED']);

// An invite link (/?invite=TOKEN): joins with the token instead of a PIN.
// The token is the server's to check; the page only bounds its length.
const INVITE = (new URLSearchParams(window.location.search).get('invite') || '').slice(0, MAX_INVITE_TOKEN_BYTES);

function start(pin) {
  showJoinError('');
  if (!INVITE && !isValidPin(pin)) {
    showJoinError('A PIN is 6 digits, or 9.');
    ui.pin.focus();
    return;
  }
  const name = ui.name.value.trim();
  try {
    localStorage.setItem('ghostview.name', name);
  } catch { /* private mode */ }
  Object.assign(session, {
    capabilities: [], controlRequested: false, pendingIce: [], endReason: '', lastError: null, pin,
  });
  chat.reset();
  source.reset();
  cursor.reset();
  fallback.reset();
  setState('connecting', 'Connecting to the server…');
  ui.connect.disabled = true;
  const signalling = new Signalling({
    onMessage, onClose: onSignallingClosed, onBinary: (data) => fallback.onPicture(data),
  });
  session.signalling = signalling;
  signalling.open().then(
    () => signalling.send(INVITE ? makeJoinByInvite(INVITE, name) : makeJoin(pin, name)),
    () => {
      if (session.signalling === signalling) fail('Could not reach the GhostView server. Check your connection and try again.');
    },
  );
}

function onMessage(msg) {
  switch (msg.type) {
    case Type.WAITING:
      setState('waiting', 'Waiting for the host to accept…');
      break;
    case Type.JOINED:
      session.capabilities = Array.isArray(msg.capabilities) ? msg.capabilities : [Capability.VIEW];
      session.iceServers = Array.isArray(msg.ice_servers) ? msg.ice_servers : [];
      chat.reset(typeof msg.peer === 'string' ? msg.peer : '');
      if (RELAY_ONLY && !offersRelay(session.iceServers)) {
        session.signalling?.send(makeLeave());
        end('This page was opened with relay=1 (video through a TURN relay only), but the server offers no TURN relay, so no video can reach you. Open it without relay=1, or ask the server\'s operator for TURN.', 'failed');
        break;
      }
      createPeerConnection(session.iceServers);
      setState('joining', 'The host accepted. Starting the video…');
      pictures.start();
      break;
    case Type.SDP:
      onRemoteSdp(msg);
      break;
    case Type.ICE:
      onRemoteIce(msg);
      break;
    case Type.FALLBACK:
      fallback.onMessage(msg);
      break;
    case Type.CAPABILITIES:
      onCapabilities(Array.isArray(msg.capabilities) ? msg.capabilities : [Capability.VIEW]);
      break;
    case Type.SESSION_ENDED:
      // An operator's own words (the session API's end or removal) when the
      // server gives them; otherwise the sentence for the reason.
      end(typeof msg.message === 'string' && msg.message
        ? msg.message.slice(0, 300) : endedText(msg.reason), msg.reason);
      break;
    case Type.ERROR:
      onError(msg);
      break;
    default:
      break;
  }
}

function onError(msg) {
  // A report the server dropped (over its limit) is nothing the viewer can
  // act on; a refused Retry says, in the server's words, when to try again.
  if (msg.ref === Type.REPORT) {
    console.warn('GhostView: report not relayed', msg.code, msg.message);
    return;
  }
  if (msg.ref === Type.RESTART) {
    // The fallback asks every 15 s on its own; a refusal there is no news.
    if (fallback.active) console.debug('GhostView: restart refused', msg.code, msg.message);
    else toast(msg.message || errorMessage(msg.code));
    return;
  }
  if (msg.ref === Type.FALLBACK) {
    // Over the message limit (an ack, say): not the end of it. Anything
    // else (a server that does not relay it): no fallback on this connection.
    if (msg.code === ErrorCode.RATE_LIMITED) console.warn('GhostView: fallback message refused', msg.code, msg.message);
    else fallback.refuse(msg.message || errorMessage(msg.code));
    return;
  }
  if (msg.ref === Type.INPUT) { // control taken back meanwhile, or over the message limit
    console.warn('GhostView: input not relayed', msg.code, msg.message);
    return;
  }
  session.lastError = { code: msg.code, message: msg.message };
  const text = errorMessage(msg.code, msg.message);
  const joining = ['connecting', 'waiting'].includes(session.state);
  if (joining && (JOIN_FATAL_ERRORS.has(msg.code) || msg.ref === Type.JOIN)) {
    fail(text, msg.code, SERVER_DETAIL_CODES.has(msg.code) ? msg.message : '');
  } else {
    console.warn('GhostView: server error', msg.code, msg.message);
    toast(text);
  }
}

/** Back to the PIN form with an error (the join did not happen). */
function fail(text, code = '', detail = '') {
  teardown();
  setState('idle');
  showJoinError(text, detail);
  ui.join.dataset.error = code;
  ui.pin.focus();
  ui.pin.select();
}

function onSignallingClosed({ byUs }) {
  if (byUs || session.state === 'idle' || session.state === 'ended') return;
  if (session.lastError && session.state !== 'live') {
    fail(errorMessage(session.lastError.code, session.lastError.message), session.lastError.code);
    return;
  }
  if (session.state === 'live' && session.pc && session.pc.connectionState === 'connected') {
    // The picture never passed through the server: keep watching. Without
    // the server there is no Retry; if the picture stops, joining again is.
    session.signalling = null;
    toast('The connection to the server was lost. The picture goes on; if it stops, join again.', 10000);
    return;
  }
  if (session.state === 'live' || session.state === 'joining') {
    end('The connection to the server was lost, so the session is over.', 'disconnected');
  } else {
    fail('The connection to the server was lost. Try again.', 'disconnected');
  }
}

// ---- media ----

function createPeerConnection(iceServers) {
  const pc = new RTCPeerConnection({ iceServers, iceTransportPolicy: RELAY_ONLY ? 'relay' : 'all' });
  session.pc = pc;
  fallback.watch(pc);
  pc.addEventListener('icecandidate', (ev) => {
    if (ev.candidate && ev.candidate.candidate) session.signalling?.send(makeIce('', ev.candidate));
  });
  pc.addEventListener('track', (ev) => onRemoteTrack(ev.track));
  pc.addEventListener('datachannel', (ev) => adoptChannel(ev.channel));
  pc.addEventListener('connectionstatechange', () => {
    if (pc !== session.pc) return;
    if (pc.connectionState === 'failed') {
      pictures.check(); // says why at once, with a Retry
    } else if (pc.connectionState === 'disconnected' && session.state === 'live') {
      toast('The connection is unstable…');
    }
  });
}

function adoptChannel(channel) {
  if (channel.label === FILE_CHANNEL_LABEL) {
    session.files?.detach();
    session.files = new FileEndpoint(channel, { onEvent: onFileEvent, partials: filePartials, store: filePartialStore });
    channel.addEventListener('close', () => {
      if (session.files?.channel === channel) {
        session.files.detach();
        session.files = null;
      }
      updateFilesUi();
    });
    updateFilesUi();
    return;
  }
  if (channel.label === TERMINAL_CHANNEL) {
    terminal.adopt(channel);
    return;
  }
  if (channel.label === ASSIST_CHANNEL) {
    chat.adopt(channel);
    const opened = () => source.channelOpened();
    if (channel.readyState === 'open') opened();
    else channel.addEventListener('open', opened);
    channel.addEventListener('close', () => {
      source.update();
      if (chat.channel === null) cursor.reset(); // (the host sends the pointer again on the next channel)
    });
    return;
  }
  if (channel.label !== INPUT_CHANNEL_LABEL) return;
  session.channel = channel;
  channel.addEventListener('open', updateControlUi);
  channel.addEventListener('message', (ev) => {
    const msg = parseHostMessage(ev.data);
    if (msg && msg.kind === HostMessage.LINK && session.channel === channel) stats.setLink(msg);
  });
  channel.addEventListener('close', () => {
    if (session.channel === channel) session.channel = null;
    updateControlUi();
  });
  if (channel.readyState === 'open') updateControlUi();
}

async function onRemoteSdp(msg) {
  if (!session.pc || msg.sdp_type !== 'offer') return;
  // Every offer of ours is a fresh webrtcbin (after a Retry): a fresh peer connection.
  if (session.pc.remoteDescription) replacePeerConnection();
  const pc = session.pc;
  try {
    await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
    for (const c of session.pendingIce.splice(0)) await pc.addIceCandidate(c).catch(() => {});
    // A host sharing a terminal alone offers no video: no picture to watch for.
    const video = /^m=video /m.test(msg.sdp);
    if (video) delete document.body.dataset.media;
    else document.body.dataset.media = 'none';
    if (!video) pictures.stop();
    else if (pictures.offered(msg.sdp)) return; // no video codec this browser decodes: said so
    refuseCodecs(pc, session.refusedCodecs);
    const answer = await pc.createAnswer();
    if (pc !== session.pc) return;
    if (video && pictures.answered(answer.sdp)) return; // the answer would reject the video: said so
    await pc.setLocalDescription(answer);
    session.signalling?.send(makeSdp('', 'answer', pc.localDescription.sdp));
  } catch (e) {
    console.warn('GhostView: negotiation failed', e);
    end(`Could not set up the video with the host (${e.message || e}).`, 'failed');
  }
}

/**
 * Why the session ended, for people. A native host removes a viewer whose
 * connection failed: when the page already knows the network is to blame,
 * it says that rather than "the host removed you".
 */
function endedText(reason) {
  const p = pictures.problem;
  const network = p && [Problem.CONNECTION_BLOCKED, Problem.CONNECTION_LOST].includes(p.problem);
  return reason === Reason.REMOVED && network ? `${describe(p).text} The host closed the connection.` : sessionEndedMessage(reason);
}

/** A new RTCPeerConnection in place of the current one (the session goes on). */
function replacePeerConnection() {
  if (session.pc) session.pc.close();
  session.channel = null;
  chat.drop();
  cursor.reset();
  terminal.drop();
  delete document.body.dataset.media;
  session.pendingIce = [];
  ui.video.srcObject = null;
  createPeerConnection(session.iceServers);
  updateControlUi();
  updateAudioUi();
}

/**
 * Retry: the host makes a fresh offer on a fresh webrtcbin for this same
 * admitted session (`restart`); a new PIN join would be refused, the PIN
 * being single-use.
 */
function retry() {
  if (!['joining', 'live'].includes(session.state)) return;
  if (!session.signalling) { // the server went away while the picture went on
    end('The connection to the server was lost and the picture stopped.', 'disconnected');
    return;
  }
  session.signalling.send(makeRestart());
  replacePeerConnection();
  pictures.start();
  setState('joining', 'Asking the host for the video again…');
}

function onRemoteIce(msg) {
  const init = iceCandidateInit(msg);
  if (!init || !session.pc) return;
  if (!session.pc.remoteDescription) {
    session.pendingIce.push(init);
    return;
  }
  session.pc.addIceCandidate(init).catch((e) => console.debug('GhostView: candidate ignored', e.message));
}

/**
 * Every received track (video, and audio when the host sends it, whichever
 * streams the offer put them in) plays in the one <video>, muted at first:
 * browsers refuse sound that starts by itself.
 */
function onRemoteTrack(track) {
  const current = ui.video.srcObject ? ui.video.srcObject.getTracks() : [];
  if (current.includes(track)) return;
  // A new stream object rather than addTrack: the element reliably picks up
  // tracks that are there when srcObject is set.
  ui.video.srcObject = new MediaStream([...current, track]);
  ui.video.play().catch(() => {});
  track.addEventListener('ended', updateAudioUi);
  if (track.kind === 'audio') {
    updateAudioUi();
    if (ui.video.muted) {
      toast('This share has sound. Select "Unmute" to hear it.', 6000);
      ui.toast.dataset.hint = 'unmute';
    }
  }
}

function hasAudio() {
  const stream = ui.video.srcObject;
  return !!stream && stream.getAudioTracks().some((t) => t.readyState === 'live');
}

function updateAudioUi() {
  const watching = session.state === 'joining' || session.state === 'live';
  ui.mute.hidden = !watching || !hasAudio();
  const muted = ui.video.muted;
  ui.mute.textContent = muted ? 'Unmute' : 'Mute';
  ui.mute.setAttribute('aria-label', muted ? 'Unmute audio' : 'Mute audio');
  ui.mute.title = muted ? 'The shared audio is muted' : 'You hear the shared audio';
}

async function toggleMute() {
  if (!ui.video.muted) {
    ui.video.muted = true;
    updateAudioUi();
    return;
  }
  ui.video.muted = false;
  updateAudioUi();
  if (ui.toast.dataset.hint === 'unmute') ui.toast.hidden = true; // done what it said
  try {
    await ui.video.play();
  } catch {
    ui.video.muted = true;
    updateAudioUi();
    toast('The browser blocked the sound. Select "Unmute" again.');
  }
}

function onFirstFrame() {
  if (session.state === 'joining') setState('live');
}
ui.video.addEventListener('playing', onFirstFrame);
ui.video.addEventListener('resize', onFirstFrame);

// ---- control ----

function sendInput(msg) {
  const text = JSON.stringify(msg);
  if (text.length > MAX_INPUT_MESSAGE_BYTES) return false;
  if (fallback.showing) return fallback.sendInput(msg); // batched into `input` messages
  const ch = session.channel;
  if (!ch || ch.readyState !== 'open') return false;
  // Back-pressure: drop moves rather than queue seconds of them.
  if (inputKind(msg) === Input.MOUSE_MOVE && ch.bufferedAmount > 64 * 1024) return false;
  ch.send(text);
  return true;
}

function requestControl() {
  const ch = session.channel;
  if (!ch || ch.readyState !== 'open') {
    toast('This host does not offer remote control.');
    return;
  }
  ch.send(JSON.stringify(makeRequestControl()));
  session.controlRequested = true;
  toast('Asked the host for control…');
  updateControlUi();
  // The host may never answer (a native host without control-on-request):
  // let the person ask again later.
  clearTimeout(session.controlTimer);
  session.controlTimer = setTimeout(() => {
    if (!session.controlRequested || hasControl()) return;
    session.controlRequested = false;
    toast('The host has not given you control.');
    updateControlUi();
  }, 30000);
}

function onCapabilities(caps) {
  const had = hasControl();
  session.capabilities = caps;
  const has = hasControl();
  if (has && !had) {
    session.controlRequested = false;
    toast('The host gave you control: your mouse and keyboard now act on the shared screen.');
  } else if (!has && had) {
    toast('The host took back control.');
  }
  updateControlUi();
  chat.set({ mayChat: hasChat() });
  source.set({ allowed: session.capabilities.includes(Capability.SOURCE) });
}

// ---- leaving ----

function teardown() {
  picturesPaused = false; // (nothing to watch again)
  fallback.end();
  input.setTarget(ui.video);
  delete document.body.dataset.fallback;
  pictures.stop();
  input.setEnabled(false);
  stats.stop();
  ui.toggleStats.setAttribute('aria-pressed', 'false');
  if (session.pc) session.pc.close();
  session.pc = null;
  session.channel = null;
  session.files?.detach();
  session.files = null;
  chat.drop();
  cursor.reset();
  if (session.signalling) session.signalling.close();
  session.signalling = null;
  ui.video.srcObject = null;
  ui.video.muted = true; // the next session starts muted too
  updateAudioUi();
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
}

// A host that lost its connection (or was restarted) comes back with the
// same PIN when it can (PROTOCOL.md "Keeping a PIN"): offer that PIN again.
const HOST_MAY_RETURN = 'If the host comes back with the same PIN, you can join again.';

function end(text, reason) {
  if (session.state === 'ended') return;
  session.endReason = reason || '';
  teardown();
  const hostLeft = session.endReason === Reason.HOST_DISCONNECTED;
  const sameSession = hostLeft || session.endReason === 'disconnected'; // the server, not the host
  ui.endedText.textContent = hostLeft ? `${text} ${HOST_MAY_RETURN}` : text;
  ui.ended.dataset.reason = session.endReason;
  ui.rejoin.textContent = sameSession ? 'Rejoin' : 'Join another session';
  ui.rejoin.dataset.pin = sameSession ? session.pin : '';
  setState('ended');
}

function leave() {
  session.signalling?.send(makeLeave());
  if (session.state === 'connecting' || session.state === 'waiting') {
    teardown(); // cancelled before the host answered: back to the PIN
    setState('idle');
    ui.pin.focus();
    return;
  }
  end('You left the session.', 'left');
}

// ---- wiring ----

ui.pin.addEventListener('input', () => {
  const digits = normalisePin(ui.pin.value);
  if (digits !== ui.pin.value) ui.pin.value = digits;
  showJoinError('');
});
ui.form.addEventListener('submit', (ev) => {
  ev.preventDefault();
  start(normalisePin(ui.pin.value));
});
ui.requestControl.addEventListener('click', requestControl);
// With control: the host's display takes the size of the picture's area here (even CSS pixels;
// the host refuses with the reason when its display cannot change size).
ui.fitDisplay.addEventListener('click', () => {
  const fit = (v) => Math.min(MAX_RESIZE, Math.max(MIN_RESIZE, Math.round(v) & ~1));
  const width = fit(ui.surface.clientWidth);
  const height = fit(ui.surface.clientHeight);
  const text = makeResize(width, height);
  if (text && chat.sendRaw(text)) toast(`Asked the host's display for ${width}×${height}.`);
});
ui.filesToggle.addEventListener('click', () => {
  ui.filesPanel.hidden = !ui.filesPanel.hidden;
  ui.filesToggle.setAttribute('aria-expanded', String(!ui.filesPanel.hidden));
});
ui.fileInput.addEventListener('change', () => {
  // (Enabled only with the `file` capability; the host checks it again.)
  const [file] = ui.fileInput.files;
  ui.fileInput.value = '';
  sendFile(file);
});
ui.surface.addEventListener('dragover', (ev) => {
  if (!ev.dataTransfer?.types.includes('Files')) return;
  ev.preventDefault();
  ui.surface.classList.add('drop-target');
});
ui.surface.addEventListener('dragleave', () => ui.surface.classList.remove('drop-target'));
ui.surface.addEventListener('drop', (ev) => {
  ui.surface.classList.remove('drop-target');
  if (!ev.dataTransfer?.files.length) return;
  ev.preventDefault();
  if (session.capabilities.includes(Capability.FILE)) sendFile(ev.dataTransfer.files[0]);
  else toast('The host has not allowed you to send files.');
});
ui.toggleStats.addEventListener('click', () => {
  const shown = stats.toggle();
  ui.toggleStats.setAttribute('aria-pressed', String(shown));
});
ui.fullscreen.addEventListener('click', toggleFullscreen);
ui.mute.addEventListener('click', toggleMute);
ui.video.addEventListener('volumechange', updateAudioUi);
ui.video.addEventListener('dblclick', () => { if (!input.enabled) toggleFullscreen(); });
ui.leave.addEventListener('click', leave);
ui.retry.addEventListener('click', retry);
ui.rejoin.addEventListener('click', () => {
  setState('idle');
  showJoinError('');
  ui.pin.value = ui.rejoin.dataset.pin || '';
  if (ui.pin.value) ui.connect.focus(); // the same PIN: one press to join again
  else ui.pin.focus();
});
window.addEventListener('pagehide', () => {
  if (session.signalling) session.signalling.send(makeLeave());
});

function toggleFullscreen() {
  if (document.fullscreenElement) {
    document.exitFullscreen().catch(() => {});
  } else if (ui.stage.requestFullscreen) {
    ui.stage.requestFullscreen().catch(() => toast('Fullscreen is not available here.'));
  } else if (ui.video.webkitEnterFullscreen) {
    ui.video.webkitEnterFullscreen(); // iOS Safari: only the video can go fullscreen
  }
}
document.addEventListener('fullscreenchange', () => {
  ui.fullscreen.textContent = document.fullscreenElement ? 'Exit fullscreen' : 'Fullscreen';
});

function init() {
  try {
    ui.name.value = localStorage.getItem('ghostview.name') || '';
  } catch { /* private mode */ }
  const fromUrl = normalisePin(new URLSearchParams(window.location.search).get('pin'));
  setState('idle');
  if (INVITE) {
    // No PIN to type: the link is the way in.
    for (const el of [ui.pin, ui.pinLabel, ui.joinHint]) el.hidden = true;
    ui.pin.required = false;
    ui.inviteNote.hidden = false;
    ui.connect.focus();
  } else if (fromUrl) {
    ui.pin.value = fromUrl;
    ui.connect.focus();
  } else {
    ui.pin.focus();
  }
}
init();

// For tests and debugging (no secrets here: the PIN is what the user typed).
window.ghostviewViewer = {
  get state() { return session.state; },
  /**
   * Clipboard contents exchanged with the host: {received, sent, refused,
   * last: {mime, text, size, at}} (at: when it was whole here, Unix ms).
   */
  get clipboard() {
    const last = clipboard.lastReceived;
    return {
      received: clipboard.received, sent: clipboard.sent, refused: clipboard.refused,
      last: last ? {
        mime: last.mime, text: new TextDecoder().decode(last.bytes), size: last.bytes.length,
        at: performance.timeOrigin + last.at,
      } : null,
    };
  },
  /** The bytes of the host's last clipboard content, base64 (tests: images). */
  get clipboardBase64() {
    const last = clipboard.lastReceived;
    return last ? btoa(Array.from(last.bytes, (b) => String.fromCharCode(b)).join('')) : '';
  },
  /**
   * Sends `text` as clipboard content (tests: no clipboard read needed);
   * `evenIfNotAllowed`: whatever the page thinks it may (the host decides).
   */
  sendClipboardText(text, { evenIfNotAllowed = false } = {}) {
    return clipboard.sendContent('text/plain;charset=utf-8', new TextEncoder().encode(text), { evenIfNotAllowed });
  },
  /** The SHA-256 (hex) of a file received from the host, by name; '' if none. */
  async receivedSha256(name) {
    const blob = receivedFiles.get(name);
    if (!blob) return '';
    const digest = await crypto.subtle.digest('SHA-256', await blob.arrayBuffer());
    return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
  },
  /** Ids of the partial files from the host kept for a reload. */
  async partialFileIds() { return (await filePartialStore)?.ids() ?? []; },
  get pc() { return session.pc; },
  /** The shared terminal's screen, one string a row ([] when none is shared). */
  get terminalText() { return terminal.screenText(); },
  /** The terminal's size here: {cols, rows}, or null. */
  get terminalSize() { return terminal.size(); },
  /**
   * Keystroke to echo, measured here (tests): types `count` times `key`
   * into the terminal (as xterm.js hands a keystroke on) and resolves the
   * milliseconds from each to the next output from the host.
   */
  async terminalEchoMs(count, key = 'x') {
    const out = [];
    for (let i = 0; i < count; i++) {
      const seen = terminal.outputs;
      const t0 = performance.now();
      terminal.type(key);
      while (terminal.outputs === seen) {
        if (performance.now() - t0 > 2000) throw new Error('no echo in 2 s');
        await new Promise((r) => setTimeout(r, 0));
      }
      out.push(performance.now() - t0);
    }
    return out;
  },
  /** Typing the host refused (no control), as counted by its answers. */
  get terminalRefusals() { return terminal.refusals; },
  /** What the terminal's note line says. */
  get terminalNote() { return $('terminal-note').textContent; },
  get capabilities() { return session.capabilities.slice(); },
  get channelState() { return session.channel ? session.channel.readyState : 'none'; },
  get assistState() { return chat.channelState; },
  /**
   * What the host shares and the picker: {allowed, items, current, shared,
   * line, notice, refused, lastRefusal, sharesSent, pickerShown}.
   */
  get source() { return source.snapshot(); },
  /** Asks the host to share `id` (evenIfNotAllowed: whatever the page thinks it may; the host decides). */
  shareSource: (id, { evenIfNotAllowed = false } = {}) => source.share(id, { evenIfNotAllowed }),
  /**
   * The host's pointer: {received: {cursor, shape}, position: {x, y, visible,
   * shape}, shapes, drawn, hot: {x, y}, shown}; the overlay is #remote-cursor.
   */
  get cursor() { return cursor.snapshot(); },
  /** Sends a chat line whatever the page thinks it may do (the host decides); false if it could not leave. */
  sendChat: (text) => chat.send(text),
  get inputSent() { return input.sent; },
  get endReason() { return session.endReason; },
  get hasAudio() { return hasAudio(); },
  get muted() { return ui.video.muted; },
  stats: () => stats.latest,
  link: () => stats.link,
  /** Why there is no picture ({problem, ...}), or null; and what the host was told. */
  get problem() { return pictures.problem; },
  /**
   * The fallback (pictures over the signalling connection, #fallback-canvas
   * labelled by #fallback-label): {active, showing, seconds, unavailable
   * (the host's reason, ''), starts, framesDrawn, framesDropped,
   * decodeErrors, upgrades, restarts, lastFrame, lastWidth, lastHeight,
   * inputMessages, inputEvents}; body[data-fallback] is "asking",
   * "showing" or "unavailable".
   */
  get fallback() { return fallback.snapshot(); },
  get reports() { return pictures.reports.slice(); },
  get stallSeconds() { return STALL_SECONDS; },
  /** Behave as a browser that cannot decode these video codecs (RTP names, "H264"); [] undoes it. */
  refuseCodecs(names) { session.refusedCodecs = Array.isArray(names) ? names.map(String) : []; },
};
