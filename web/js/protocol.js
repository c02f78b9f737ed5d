// GhostView wire protocols, the browser's side: signalling (version 1) and
// the input data channel's compact form (the viewer's input, the host's
// link reports).
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Both are defined once in C++: signalling in signaling/protocol.h (prose:
// signaling/PROTOCOL.md), capabilities in signaling/capabilities.h, the input
// data channel in plugins/webrtc/gvnavjson.h (kKinds, kFields). This module
// mirrors them for the viewer page (/) and the browser host (/host.html);
// tests/protocol/parity.test.mjs holds it to the C++ definitions both ways
// and runs every builder below through the C++ parsers, so a change on one
// side fails the build until the other follows.

export const VERSION = 1;
// A PIN is 6 digits, or 9 for sessions created while the server sees a flood
// of wrong PINs; every PIN field takes anything in between.
export const PIN_MIN_DIGITS = 6;
export const PIN_MAX_DIGITS = 9;
export const MAX_MESSAGE_BYTES = 64 * 1024;
export const MAX_SDP_BYTES = 60 * 1024;
export const MAX_CANDIDATE_BYTES = 1024;
export const MAX_NAME_BYTES = 64;
export const MAX_REASON_BYTES = 256;
export const MAX_VIEWERS_LIMIT = 64;
/** A viewer's `report`: its `detail` (one line for people) and `codec`. */
export const MAX_DETAIL_BYTES = 256;
export const MAX_CODEC_BYTES = 32;
/** A host's resume token (opaque; the server's to check). */
export const MAX_RESUME_TOKEN_BYTES = 256;
/** An invite link's token (opaque), how many viewers one link admits, and
 * how long (seconds) it may live. */
export const MAX_INVITE_TOKEN_BYTES = 256;
export const MAX_INVITE_USES = 64;
export const MIN_INVITE_TTL = 60;
export const MAX_INVITE_TTL = 24 * 3600;

/** Message "type" names, both directions. */
export const Type = Object.freeze({
  // client -> server
  REGISTER: 'register', // host: create a session
  JOIN: 'join', // viewer: join by PIN or invite link
  ACCEPT: 'accept', // host: admit a viewer, granting capabilities
  DECLINE: 'decline', // host: refuse a viewer
  GRANT: 'grant', // host: replace a viewer's capabilities
  KICK: 'kick', // host: remove a viewer
  END: 'end', // host: end the session
  INVITE: 'invite', // host: make an invite link
  LEAVE: 'leave', // viewer: leave
  PING: 'ping',
  // both directions (relayed between a host and one viewer)
  SDP: 'sdp',
  ICE: 'ice',
  // viewer -> host (relayed)
  REPORT: 'report', // why the viewer sees no picture (or that it is back)
  RESTART: 'restart', // the viewer asks for a new peer connection (Retry)
  INPUT: 'input', // the fallback's input: a batch of the input data channel's messages
  // both directions, relayed: the fallback (pictures over this WebSocket)
  FALLBACK: 'fallback',
  // server -> host: asks for one still (the server's snapshot API); host -> server: refuses it
  SNAPSHOT: 'snapshot',
  // server -> client
  REGISTERED: 'registered',
  WAITING: 'waiting',
  JOIN_REQUEST: 'join-request',
  JOINED: 'joined',
  CAPABILITIES: 'capabilities',
  PEER_LEFT: 'peer-left',
  RESUME_TOKEN: 'resume-token', // to host: a fresh resume token after a viewer was admitted
  INVITE_LINK: 'invite-link', // to host: the invite link it asked for
  SESSION_ENDED: 'session-ended',
  PONG: 'pong',
  ERROR: 'error',
});

/** Stable error codes (PROTOCOL.md "Error codes"). */
export const ErrorCode = Object.freeze({
  PIN_INVALID: 'PIN_INVALID',
  PIN_EXPIRED: 'PIN_EXPIRED',
  PIN_USED: 'PIN_USED',
  SESSION_FULL: 'SESSION_FULL',
  RATE_LIMITED: 'RATE_LIMITED',
  DECLINED: 'DECLINED',
  BAD_MESSAGE: 'BAD_MESSAGE',
  TOO_LARGE: 'TOO_LARGE',
  ORIGIN_REJECTED: 'ORIGIN_REJECTED',
  UNSUPPORTED_VERSION: 'UNSUPPORTED_VERSION',
  NOT_ALLOWED: 'NOT_ALLOWED',
  UNKNOWN_PEER: 'UNKNOWN_PEER',
  RESUME_REFUSED: 'RESUME_REFUSED',
  INVITE_INVALID: 'INVITE_INVALID',
  INVITE_EXPIRED: 'INVITE_EXPIRED',
  INVITE_USED: 'INVITE_USED',
  INTERNAL: 'INTERNAL',
});

// What a person reads for each code. The server's `message` may be more
// specific, but these are what the pages show, so that every code has a
// sentence that tells the person what to do next.
const ERROR_MESSAGES = Object.freeze({
  PIN_INVALID: 'No session has this PIN. Check the digits and try again.',
  PIN_EXPIRED: 'This PIN has expired. Ask the host for a new one.',
  PIN_USED: 'This PIN has already been used. Ask the host for a new one.',
  SESSION_FULL: 'The session has no room for another viewer right now. Try again in a moment.',
  RATE_LIMITED: 'Too many attempts. Wait a minute and try again.',
  DECLINED: 'The host declined your request to join.',
  BAD_MESSAGE: 'The server did not understand a message from this page. Reload the page and try again.',
  TOO_LARGE: 'A message from this page was too large for the server.',
  ORIGIN_REJECTED: 'This page is not allowed to connect to the server (origin rejected).',
  UNSUPPORTED_VERSION: 'This page and the server speak different protocol versions. Reload the page.',
  NOT_ALLOWED: 'That action is not allowed right now.',
  UNKNOWN_PEER: 'That viewer is no longer in the session.',
  RESUME_REFUSED: 'The session\'s PIN could not be kept after the server reconnected; a new PIN is on its way.',
  INVITE_INVALID: 'This invite link is not valid (it may have been cut short or changed). Ask the host for a new one.',
  INVITE_EXPIRED: 'This invite link has expired, or its session has ended. Ask the host for a new one.',
  INVITE_USED: 'This invite link has already been used. Ask the host for a new one.',
  INTERNAL: 'The server could not handle the request. Try again later.',
});

/** A sentence a person understands for `code` (falls back to the server's). */
export function errorMessage(code, serverMessage = '') {
  return ERROR_MESSAGES[code] || serverMessage || `Unexpected error (${code || 'unknown'}).`;
}

/** Errors after which a viewer's join is over (it may retry with a PIN). */
export const JOIN_FATAL_ERRORS = Object.freeze(new Set([
  ErrorCode.PIN_INVALID, ErrorCode.PIN_EXPIRED, ErrorCode.PIN_USED, ErrorCode.SESSION_FULL,
  ErrorCode.RATE_LIMITED, ErrorCode.DECLINED, ErrorCode.ORIGIN_REJECTED,
  ErrorCode.INVITE_INVALID, ErrorCode.INVITE_EXPIRED, ErrorCode.INVITE_USED,
  ErrorCode.UNSUPPORTED_VERSION,
]));

export const Capability = Object.freeze({
  VIEW: 'view',
  CONTROL: 'control', // mouse, keyboard, touch
  CLIPBOARD: 'clipboard', // clipboard both ways (web/js/assist.js)
  FILE: 'file', // send files to the host (web/js/filetransfer.js)
  CHAT: 'chat', // chat on the "assist" channel (web/js/assist.js)
  SOURCE: 'source', // list the host's displays and windows and switch between them (assist.js)
});

/** session-ended / peer-left reasons. */
export const Reason = Object.freeze({
  LEFT: 'left',
  DISCONNECTED: 'disconnected',
  REMOVED: 'removed',
  HOST_ENDED: 'host-ended',
  HOST_DISCONNECTED: 'host-disconnected',
});

const END_REASON_MESSAGES = Object.freeze({
  [Reason.HOST_ENDED]: 'The host ended the session.',
  [Reason.HOST_DISCONNECTED]: 'The host disconnected.',
  [Reason.REMOVED]: 'The host removed you from the session.',
});

/** Why a viewer's session ended, for people. */
export function sessionEndedMessage(reason) {
  return END_REASON_MESSAGES[reason] || 'The session has ended.';
}

/** A `report`'s `problem` (PROTOCOL.md "Reports and retries"). */
export const Problem = Object.freeze({
  NO_COMMON_CODEC: 'no-common-codec', // the browser decodes none of the video codecs offered
  CONNECTION_BLOCKED: 'connection-blocked', // ICE/DTLS never connected
  CONNECTION_LOST: 'connection-lost', // connected, then failed or stayed down
  NO_MEDIA: 'no-media', // connected (or no offer yet), no video arrived
  MEDIA_STOPPED: 'media-stopped', // video played, then nothing arrived
  CANNOT_DECODE: 'cannot-decode', // packets arrive, no frame decodes
  RESOLVED: 'resolved', // frames decode again
});

/**
 * A `fallback` message's `action` (PROTOCOL.md "Fallback"): a viewer whose
 * peer connection does not connect gets JPEG pictures over the signalling
 * WebSocket instead, and sends its input back as `input`.
 */
export const FallbackAction = Object.freeze({
  START: 'start', // viewer: send me pictures
  STOP: 'stop', // viewer: WebRTC delivers video now
  ACK: 'ack', // viewer: picture `frame` is drawn
  UNAVAILABLE: 'unavailable', // host: it cannot; `reason` says why
});

/** Most events (input data channel messages) in one `input` message. */
export const MAX_INPUT_EVENTS = 64;

/** The first bytes of a fallback picture (a binary WebSocket message). */
export const FALLBACK_MAGIC = 'GVJ1';
/** The largest picture message, header included. */
export const MAX_FALLBACK_FRAME_BYTES = 1000 * 1024;

/** WebSocket close codes the server uses. */
export const CloseCode = Object.freeze({
  NORMAL: 1000,
  GOING_AWAY: 1001, // idle timeout or server shutting down
  POLICY: 1008, // origin rejected, flooding, unsupported version
  TOO_BIG: 1009,
});

export function isValidPin(pin) {
  return typeof pin === 'string' && /^[0-9]+$/.test(pin) &&
    pin.length >= PIN_MIN_DIGITS && pin.length <= PIN_MAX_DIGITS;
}

/** Keeps the digits of whatever was typed or pasted ("123 456", "123-456"). */
export function normalisePin(text) {
  return String(text || '').replace(/\D/g, '').slice(0, PIN_MAX_DIGITS);
}

/** Cuts a UTF-8 string to at most `bytes` bytes without splitting a character. */
export function truncateUtf8(text, bytes) {
  const s = String(text || '');
  const enc = new TextEncoder();
  if (enc.encode(s).length <= bytes) return s;
  let out = '';
  for (const ch of s) {
    if (enc.encode(out + ch).length > bytes) break;
    out += ch;
  }
  return out;
}

/** The signalling WebSocket of the server that served this page. */
export function signallingUrl(loc = window.location) {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}/ws`;
}

// ---- builders: each returns the object to send (JSON.stringify it) ----

/**
 * `resumeToken`: the last one the server gave (in `registered` or
 * `resume-token`), to keep the session and its PIN after a lost connection.
 */
export function makeRegister({ maxViewers = 1, pinTtl = 0, name = '', resumeToken = '' } = {}) {
  const m = { type: Type.REGISTER, version: VERSION, max_viewers: maxViewers };
  if (pinTtl > 0) m.pin_ttl = pinTtl;
  if (name) m.name = truncateUtf8(name, MAX_NAME_BYTES);
  if (resumeToken) m.resume_token = resumeToken;
  return m;
}

export function makeJoin(pin, name = '') {
  const m = { type: Type.JOIN, version: VERSION, pin };
  if (name) m.name = truncateUtf8(name, MAX_NAME_BYTES);
  return m;
}

/** Join with an invite link's token instead of a PIN. */
export function makeJoinByInvite(token, name = '') {
  const m = { type: Type.JOIN, version: VERSION, invite: token };
  if (name) m.name = truncateUtf8(name, MAX_NAME_BYTES);
  return m;
}

/** Host: an invite link for `capabilities`, admitting `uses` viewers,
 * valid `ttl` seconds (0: the server's default, an hour). */
export function makeInvite(capabilities = [Capability.VIEW], uses = 1, ttl = 0) {
  const m = { type: Type.INVITE, capabilities, uses };
  if (ttl > 0) m.ttl = ttl;
  return m;
}

export function makeAccept(peer, capabilities = [Capability.VIEW]) {
  return { type: Type.ACCEPT, peer, capabilities };
}

export function makeDecline(peer, reason = '') {
  return { type: Type.DECLINE, peer, reason: truncateUtf8(reason, MAX_REASON_BYTES) };
}

export function makeGrant(peer, capabilities) {
  return { type: Type.GRANT, peer, capabilities };
}

export function makeKick(peer, reason = '') {
  return { type: Type.KICK, peer, reason: truncateUtf8(reason, MAX_REASON_BYTES) };
}

export const makeEnd = () => ({ type: Type.END });
export const makeLeave = () => ({ type: Type.LEAVE });
export const makePing = () => ({ type: Type.PING });

/** `peer`: the addressee (a host must name a viewer; a viewer leaves it out). */
export function makeSdp(peer, sdpType, sdp) {
  const m = { type: Type.SDP, sdp_type: sdpType, sdp };
  if (peer) m.peer = peer;
  return m;
}

/** From an RTCIceCandidate (or null: end of candidates, sent as ""). */
export function makeIce(peer, candidate) {
  const m = {
    type: Type.ICE,
    candidate: candidate ? candidate.candidate : '',
    sdp_mline_index: candidate && candidate.sdpMLineIndex != null ? candidate.sdpMLineIndex : 0,
    sdp_mid: (candidate && candidate.sdpMid) || '',
  };
  if (peer) m.peer = peer;
  return m;
}

// One line of text: control characters (and line separators) become spaces,
// as the server refuses them in a report.
const oneLine = (text) => String(text || '').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();

/**
 * Viewer -> host: why there is no picture (a Problem). `detail` (one line
 * for people) and `codec` (an RTP codec name) are cut to their limits.
 */
export function makeReport(problem, detail = '', codec = '') {
  const m = { type: Type.REPORT, problem };
  const line = oneLine(detail);
  if (line) m.detail = truncateUtf8(line, MAX_DETAIL_BYTES);
  const name = oneLine(codec);
  if (name) m.codec = truncateUtf8(name, MAX_CODEC_BYTES);
  return m;
}

/** Viewer -> host: a new peer connection, please (a fresh offer). */
export const makeRestart = () => ({ type: Type.RESTART });

/** Viewer -> host: a FallbackAction (START, STOP; ACK with the picture's `frame`). */
export function makeFallback(action, frame = 0) {
  const m = { type: Type.FALLBACK, action };
  if (frame > 0) m.frame = frame;
  return m;
}

/** Host -> viewer `peer`: no fallback pictures, and why (one line for people). */
export function makeFallbackUnavailable(peer, reason = '') {
  const m = { type: Type.FALLBACK, peer, action: FallbackAction.UNAVAILABLE };
  const line = oneLine(reason);
  if (line) m.reason = truncateUtf8(line, MAX_REASON_BYTES);
  return m;
}

/** Host -> server: snapshot request `request` refused, and why (PROTOCOL.md "Snapshot"). */
export function makeSnapshotRefusal(request, reason = '') {
  const m = { type: Type.SNAPSHOT, request: String(request) };
  const line = oneLine(reason);
  if (line) m.reason = truncateUtf8(line, MAX_REASON_BYTES);
  return m;
}

/**
 * Viewer -> host, in the fallback: `events` (1 to MAX_INPUT_EVENTS), each
 * one message of the input data channel as the builders below make it.
 */
export function makeInput(events) {
  return { type: Type.INPUT, events };
}

const FALLBACK_HEADER_BYTES = FALLBACK_MAGIC.length + 1 + 4 + 2 + 2;

/**
 * A fallback picture (a binary message: ArrayBuffer or a view of one):
 *   "GVJ1" | peer length (u8) | peer | frame (u32) | width (u16) | height (u16) | JPEG
 * (big-endian) as {peer, frame, width, height, jpeg: Uint8Array (a view, not
 * a copy)}; null when it is not one: wrong magic, cut short, over
 * MAX_FALLBACK_FRAME_BYTES, a zero size, or no JPEG start (FF D8). The
 * same checks as signaling/fallback_frame.cpp.
 */
export function parseFallbackFrame(data) {
  let bytes;
  if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
  else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  else return null;
  if (bytes.length < FALLBACK_HEADER_BYTES || bytes.length > MAX_FALLBACK_FRAME_BYTES) return null;
  for (let i = 0; i < FALLBACK_MAGIC.length; i++) {
    if (bytes[i] !== FALLBACK_MAGIC.charCodeAt(i)) return null;
  }
  const peerLength = bytes[FALLBACK_MAGIC.length];
  if (bytes.length < FALLBACK_HEADER_BYTES + peerLength + 2) return null;
  let at = FALLBACK_MAGIC.length + 1;
  const peer = new TextDecoder().decode(bytes.subarray(at, at + peerLength));
  at += peerLength;
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, 8);
  const frame = view.getUint32(0);
  const width = view.getUint16(4);
  const height = view.getUint16(6);
  const jpeg = bytes.subarray(at + 8);
  if (!width || !height || jpeg[0] !== 0xff || jpeg[1] !== 0xd8) return null;
  return { peer, frame, width, height, jpeg };
}

/**
 * Host -> viewer `peer`: a fallback picture message (Uint8Array) holding
 * `jpeg` (bytes starting FF D8) of `width`x`height`; null when it would be
 * over MAX_FALLBACK_FRAME_BYTES, the peer over 255 bytes, or a size out of
 * range. What signaling/fallback_frame.cpp's make_fallback_frame makes.
 */
export function makeFallbackFrame(peer, frame, width, height, jpeg) {
  const peerBytes = new TextEncoder().encode(peer);
  const size = FALLBACK_HEADER_BYTES + peerBytes.length + jpeg.length;
  if (peerBytes.length > 255 || size > MAX_FALLBACK_FRAME_BYTES || width > 0xffff || height > 0xffff) {
    return null;
  }
  const out = new Uint8Array(size);
  for (let i = 0; i < FALLBACK_MAGIC.length; i++) out[i] = FALLBACK_MAGIC.charCodeAt(i);
  out[FALLBACK_MAGIC.length] = peerBytes.length;
  let at = FALLBACK_MAGIC.length + 1;
  out.set(peerBytes, at);
  at += peerBytes.length;
  const view = new DataView(out.buffer, at, 8);
  view.setUint32(0, frame >>> 0);
  view.setUint16(4, width);
  view.setUint16(6, height);
  out.set(jpeg, at + 8);
  return out;
}

/** A received `ice` message as RTCIceCandidateInit, or null for end-of-candidates. */
export function iceCandidateInit(msg) {
  if (!msg.candidate) return null;
  const init = { candidate: msg.candidate, sdpMLineIndex: msg.sdp_mline_index ?? 0 };
  if (msg.sdp_mid) init.sdpMid = msg.sdp_mid;
  return init;
}

// ---- the input data channel (gvwebrtcsink "Input data channel") ----
// plugins/webrtc/gvnavjson.h is the definition; the names here follow its
// tables (kind "mouse-down" -> Input.MOUSE_DOWN, field "delta-x" ->
// InputField.DELTA_X).

/** Label of the data channel the host opens to every viewer. */
export const INPUT_CHANNEL_LABEL = 'control';
/** Largest message the host accepts on that channel. */
export const MAX_INPUT_MESSAGE_BYTES = 4096;
/** Touch point identifiers the host accepts: 0..MAX_TOUCH_ID. */
export const MAX_TOUCH_ID = 64;

/** Compact input message kinds (InputField.KIND), coordinates normalised to 0..1. */
export const Input = Object.freeze({
  MOUSE_MOVE: 'mm', // x, y
  MOUSE_DOWN: 'md', // x, y, b
  MOUSE_UP: 'mu',
  WHEEL: 'wh', // x, y, dx, dy
  KEY_DOWN: 'kd', // k
  KEY_UP: 'ku',
  TOUCH_DOWN: 'td', // id, x, y, p
  TOUCH_MOVE: 'tm',
  TOUCH_UP: 'tu', // id, x, y
  TOUCH_FRAME: 'tf',
  TOUCH_CANCEL: 'tc',
  REQUEST_CONTROL: 'request-control',
});

/** Member names of the compact form. */
export const InputField = Object.freeze({
  KIND: 't', // an Input value
  X: 'x', // 0..1 of the picture's width
  Y: 'y', // 0..1 of its height
  BUTTON: 'b', // an InputButton
  DELTA_X: 'dx', // wheel notches; positive dx scrolls left
  DELTA_Y: 'dy', // positive dy scrolls up
  KEY: 'k', // an X keysym name ("a", "Return", "Shift_L")
  TOUCH_ID: 'id', // 0..MAX_TOUCH_ID
  PRESSURE: 'p', // 0..1
  MODIFIER_STATE: 'modifier_state', // InputModifier values joined by '+'
});

/** Mouse buttons, numbered as X11 and GstNavigation number them. */
export const InputButton = Object.freeze({ LEFT: 1, MIDDLE: 2, RIGHT: 3, BACK: 8, FORWARD: 9 });

/** Modifier names for InputField.MODIFIER_STATE (GstNavigationModifierType nicks). */
export const InputModifier = Object.freeze({
  SHIFT: 'shift-mask',
  CONTROL: 'control-mask',
  ALT: 'mod1-mask',
  META: 'meta-mask',
});

// ---- input builders: each returns the object to send (JSON.stringify it) ----

export function makeMouseMove(x, y) {
  return { [InputField.KIND]: Input.MOUSE_MOVE, [InputField.X]: x, [InputField.Y]: y };
}

export function makeMouseButton(down, x, y, button) {
  return {
    [InputField.KIND]: down ? Input.MOUSE_DOWN : Input.MOUSE_UP,
    [InputField.X]: x,
    [InputField.Y]: y,
    [InputField.BUTTON]: button,
  };
}

/** `dx`, `dy` in notches, positive dy scrolling up. */
export function makeWheel(x, y, dx, dy) {
  return {
    [InputField.KIND]: Input.WHEEL,
    [InputField.X]: x,
    [InputField.Y]: y,
    [InputField.DELTA_X]: dx,
    [InputField.DELTA_Y]: dy,
  };
}

export function makeKey(down, key) {
  return { [InputField.KIND]: down ? Input.KEY_DOWN : Input.KEY_UP, [InputField.KEY]: key };
}

/** `kind`: Input.TOUCH_DOWN, TOUCH_MOVE or TOUCH_UP (which carries no pressure). */
export function makeTouch(kind, id, x, y, pressure) {
  const m = { [InputField.KIND]: kind, [InputField.TOUCH_ID]: id, [InputField.X]: x, [InputField.Y]: y };
  if (kind !== Input.TOUCH_UP && pressure !== undefined) m[InputField.PRESSURE] = pressure;
  return m;
}

export const makeTouchFrame = () => ({ [InputField.KIND]: Input.TOUCH_FRAME });
export const makeTouchCancel = () => ({ [InputField.KIND]: Input.TOUCH_CANCEL });
export const makeRequestControl = () => ({ [InputField.KIND]: Input.REQUEST_CONTROL });

/** Adds the held InputModifier values to `msg`, when there are any. */
export function withModifierState(msg, modifiers) {
  if (modifiers.length) msg[InputField.MODIFIER_STATE] = modifiers.join('+');
  return msg;
}

/** The Input kind of a received message (undefined if it has none). */
export function inputKind(msg) {
  return msg?.[InputField.KIND];
}

// ---- the host's messages on the same channel (host -> viewer) ----
// Kinds of gvnavjson.h's kKinds with Direction::HostToViewer; a host never
// accepts them from a viewer.

/** Kinds the host sends (InputField.KIND). */
export const HostMessage = Object.freeze({
  LINK: 'link', // about once a second: what the host knows of the link to this viewer
});

/** Member names of the host's messages. */
export const HostField = Object.freeze({
  ESTIMATE: 'estimate', // bit/s: the host's bandwidth estimate of the link
  LAYER: 'layer', // the video layer sent: 0 full size, 1 half, 2 quarter; absent without video
  BITRATE: 'bitrate', // bit/s the host sent lately
});

/** Largest bit/s a link report carries. */
export const MAX_LINK_BPS = 10e9;
/** Layers a link report names: 0..MAX_LINK_LAYER. */
export const MAX_LINK_LAYER = 2;

const linkInteger = (value, max) => Number.isInteger(value) && value >= 0 && value <= max;

/**
 * A message from the host (a data channel message's `data`) as
 * {kind: HostMessage.LINK, estimate, layer, bitrate} (layer -1 when absent);
 * null when it is not one: not text, malformed, or not a kind the host sends.
 */
export function parseHostMessage(data) {
  if (typeof data !== 'string' || !data || new TextEncoder().encode(data).length > MAX_INPUT_MESSAGE_BYTES) return null;
  let msg;
  try {
    msg = JSON.parse(data);
  } catch {
    return null;
  }
  if (!msg || typeof msg !== 'object' || Array.isArray(msg) || msg[InputField.KIND] !== HostMessage.LINK) return null;
  const estimate = msg[HostField.ESTIMATE];
  const bitrate = msg[HostField.BITRATE];
  const hasLayer = Object.hasOwn(msg, HostField.LAYER);
  const layer = hasLayer ? msg[HostField.LAYER] : -1;
  if (!linkInteger(estimate, MAX_LINK_BPS) || !linkInteger(bitrate, MAX_LINK_BPS)) return null;
  if (hasLayer && !linkInteger(layer, MAX_LINK_LAYER)) return null;
  return { kind: HostMessage.LINK, estimate, layer, bitrate };
}
