// GhostView assistance channel, the browser's side: chat, the clipboard,
// choosing what the host shares and the host's mouse pointer drawn by the
// page (file transfer has its own channel,
// filetransfer.js). One ordered, reliable data channel named "assist" per
// viewer, beside the input channel ("control"), opened by the host (native
// gvwebrtcsink or the browser host page). Every message is one JSON text of
// at most MAX_ASSIST_MESSAGE_BYTES.
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Defined once in C++ (plugins/webrtc/gvassistjson.h); this module mirrors
// it and tests/protocol/parity.test.mjs holds the two together.
//
//   viewer -> host   {"t":"chat","text":TEXT}
//   host -> viewer   {"t":"chat","from":NAME,"peer":PEER,"text":TEXT,"time":MS}
//                    (PEER is "host" for the host's own lines; MS is Unix
//                    time in milliseconds, the host's clock)
//   host -> viewer   {"t":"refused","what":KIND,"message":SENTENCE}
//                    (a message that needs a capability the viewer lacks)
//   both ways        {"t":"clipboard","id":ID,"mime":MIME,"size":N,"offset":O,
//                     "data":BASE64,"last":BOOL}
//                    (clipboard content in pieces; see gvassistjson.h)
//   viewer -> host   {"t":"list-sources"}
//   host -> viewer   {"t":"sources","current":ID,"items":[{"id":ID,"kind":KIND,
//                     "name":NAME,"width":W,"height":H}, ...]}
//                    (what the host can share; `current` is "" when what it
//                    shares is none of them)
//   viewer -> host   {"t":"share","source":ID}
//   host -> viewer   {"t":"shared","source":ID,"name":NAME,"width":W,"height":H,
//                     "by":BY,"reason":REASON}
//                    (to every viewer, each time what is shared changes)
//   host -> viewer   {"t":"cursor","x":X,"y":Y,"visible":BOOL,"shape":SHAPE}
//                    (the pointer's hot spot in the shared picture's pixels;
//                    visible false when it is outside what is shared or
//                    hidden; SHAPE 0 while no shape is known)
//   host -> viewer   {"t":"cursor-shape","shape":SHAPE,"width":W,"height":H,
//                     "hot_x":HX,"hot_y":HY,"rgba":BASE64}
//                    (a pointer image, before the first `cursor` using it)
//
// TEXT: UTF-8, 1 to MAX_CHAT_BYTES bytes, no control characters but
// newline and tab; anything else is refused as malformed.
// ID: "screen" (every monitor as one canvas), "display:N" (monitor N,
// 0..999) or "window:0xHEX" (lowercase, 1 to 16 digits); KIND the one of
// SourceKind its ID names; NAME UTF-8 of at most MAX_SOURCE_NAME_BYTES, may
// be empty; W and H whole numbers 0..65535; at most MAX_SOURCES items; BY a
// display name of at most MAX_CHAT_NAME_BYTES; REASON one of SharedReason.
// X, Y: integers -MAX_CURSOR_COORDINATE..MAX_CURSOR_COORDINATE; SHAPE an
// integer 0..4294967295 (1.. in `cursor-shape`); W, H: 1..MAX_CURSOR_SIZE;
// HX 0..W-1, HY 0..H-1; BASE64 standard base64 of exactly W*H*4 bytes, RGBA
// with straight alpha, rows top to bottom.

import { truncateUtf8 } from './protocol.js';

export const ASSIST_CHANNEL = 'assist';
export const MAX_ASSIST_MESSAGE_BYTES = 64 * 1024;
export const MAX_CHAT_BYTES = 4000;
export const MAX_CHAT_NAME_BYTES = 64;

export const AssistKind = Object.freeze({
  CHAT: 'chat',
  REFUSED: 'refused',
  CLIPBOARD: 'clipboard',
  LIST_SOURCES: 'list-sources',
  SOURCES: 'sources',
  SHARE: 'share',
  SHARED: 'shared',
  CURSOR: 'cursor',
  CURSOR_SHAPE: 'cursor-shape',
  RESIZE: 'resize',
});

/** Clipboard content: its kinds, its limit, the bytes of one piece. */
export const ClipboardMime = Object.freeze({
  TEXT: 'text/plain;charset=utf-8',
  PNG: 'image/png',
});
export const MAX_CLIPBOARD_BYTES = 10 * 1024 * 1024;
export const CLIPBOARD_CHUNK_BYTES = 32 * 1024;

/** The host's refusal sentences (the native host's, gvassistjson.h). */
export const CHAT_REFUSED_MESSAGE = 'The host has not allowed chat.';
export const CLIPBOARD_REFUSED_MESSAGE = 'The host has not allowed clipboard sharing.';
export const SOURCE_REFUSED_MESSAGE = 'The host has not allowed choosing what is shared.';

/** What a refusal is about: the capability the message needed. */
export const RefusedWhat = Object.freeze({
  CHAT: 'chat',
  CLIPBOARD: 'clipboard',
  FILE: 'file',
  SOURCE: 'source',
  RESIZE: 'resize', // a resize of the host's display (needs control, and a host that allows it)
});

/** A viewer's "make the host's display this size" (needs control). */
export const MIN_RESIZE = 64;
export const MAX_RESIZE = 8192;
export const RESIZE_REFUSED_MESSAGE = "Only a viewer with control may resize the host's display.";

/** What a host can share: its limits, the kinds, why what is shared changed. */
export const MAX_SOURCES = 200;
export const MAX_SOURCE_NAME_BYTES = 128;
export const MAX_SOURCE_ID_BYTES = 64;
const MAX_SOURCE_SIDE = 65535;
export const SourceKind = Object.freeze({
  SCREEN: 'screen',
  DISPLAY: 'display',
  WINDOW: 'window',
});
export const SharedReason = Object.freeze({
  NONE: '', // someone asked
  WINDOW_CLOSED: 'window-closed', // the shared window closed; the host fell back to its display
  RESIZED: 'resized', // a viewer (`by`) resized the host's display
});

/** The host's pointer: the largest image it sends, the bounds of a position. */
export const MAX_CURSOR_SIZE = 96;
export const MAX_CURSOR_COORDINATE = 65535;
const MAX_CURSOR_SHAPE_ID = 4294967295;

const encoder = new TextEncoder();

function byteLength(text) {
  return encoder.encode(text).length;
}

// A lone surrogate ("\ud800") is not UTF-8 text, which the host refuses.
function hasLoneSurrogate(text) {
  return /[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/.test(text);
}

/** True when `text` is chat text the host accepts. */
export function validChatText(text) {
  if (typeof text !== 'string' || text.length === 0) return false;
  if (byteLength(text) > MAX_CHAT_BYTES) return false;
  if (hasLoneSurrogate(text)) return false;
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text);
}

/** True when `id` names a source: "screen", "display:N" or "window:0xHEX". */
export function isValidSourceId(id) {
  return typeof id === 'string' && id.length <= MAX_SOURCE_ID_BYTES
    && /^(screen|display:\d{1,3}|window:0x[0-9a-f]{1,16})$/.test(id);
}

// A source's name (may be empty) or who switched: UTF-8 text of at most `max` bytes.
function validName(name, max) {
  return typeof name === 'string' && byteLength(name) <= max && !hasLoneSurrogate(name);
}

// A name as the host sends it: cut on a character boundary (pages show it as text, never markup).
function cleanName(name, max) {
  return truncateUtf8(name, max);
}

/** The kind of source a valid id names ("display:1" -> "display"). */
function sourceKindOf(id) {
  return id.split(':')[0];
}

function validSide(n) {
  return Number.isInteger(n) && n >= 0 && n <= MAX_SOURCE_SIDE;
}

// Strict base64 (what the host's parser takes): its alphabet, a multiple of 4, padding only at the end.
function isBase64(text) {
  return typeof text === 'string' && text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

// The number of bytes valid base64 stands for.
function base64Bytes(text) {
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  return (text.length / 4) * 3 - pad;
}

function fromBase64(text) {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

const inRange = (n, min, max) => Number.isInteger(n) && n >= min && n <= max;

// A `cursor` message's fields as parseAssist gives them, or null.
function parseCursor(m) {
  const c = MAX_CURSOR_COORDINATE;
  if (!inRange(m.x, -c, c) || !inRange(m.y, -c, c) || typeof m.visible !== 'boolean') return null;
  if (!inRange(m.shape, 0, MAX_CURSOR_SHAPE_ID)) return null;
  return { t: AssistKind.CURSOR, x: m.x, y: m.y, visible: m.visible, shape: m.shape };
}

// A `cursor-shape` message's fields as parseAssist gives them (rgba: a Uint8Array of W*H*4 bytes), or null.
function parseCursorShape(m) {
  if (!inRange(m.shape, 1, MAX_CURSOR_SHAPE_ID)) return null;
  if (!inRange(m.width, 1, MAX_CURSOR_SIZE) || !inRange(m.height, 1, MAX_CURSOR_SIZE)) return null;
  if (!inRange(m.hot_x, 0, m.width - 1) || !inRange(m.hot_y, 0, m.height - 1)) return null;
  if (!isBase64(m.rgba) || base64Bytes(m.rgba) !== m.width * m.height * 4) return null;
  return {
    t: AssistKind.CURSOR_SHAPE, shape: m.shape, width: m.width, height: m.height, hot_x: m.hot_x, hot_y: m.hot_y,
    rgba: fromBase64(m.rgba),
  };
}

// One of a `sources` message's items as parseAssist gives it, or null.
function parseSourceItem(item) {
  if (!item || typeof item !== 'object' || Array.isArray(item)) return null;
  if (!isValidSourceId(item.id) || item.kind !== sourceKindOf(item.id)) return null;
  if (!validName(item.name, MAX_SOURCE_NAME_BYTES) || !validSide(item.width) || !validSide(item.height)) return null;
  return { id: item.id, kind: item.kind, name: item.name, width: item.width, height: item.height };
}

/** A viewer's chat line, or null when `text` would be refused. */
export function makeChat(text) {
  return validChatText(text) ? JSON.stringify({ t: AssistKind.CHAT, text }) : null;
}

/** The host's chat line to viewers (the browser host page sends these). */
export function makeHostChat(from, peer, text, time = Date.now()) {
  if (!validChatText(text)) return null;
  return JSON.stringify({ t: AssistKind.CHAT, from, peer, text, time });
}

/** The host's refusal of a message that needed capability `what`. */
export function makeRefused(what, message) {
  return JSON.stringify({ t: AssistKind.REFUSED, what, message });
}

/** A viewer's request that the host's display take `width` x `height`; null out of range. */
export function makeResize(width, height) {
  const ok = (v) => Number.isInteger(v) && v >= MIN_RESIZE && v <= MAX_RESIZE;
  return ok(width) && ok(height) ? JSON.stringify({ t: AssistKind.RESIZE, width, height }) : null;
}

/** A viewer's request for what the host can share. */
export function makeListSources() {
  return JSON.stringify({ t: AssistKind.LIST_SOURCES });
}

/** A viewer's "share this" (a source id from `sources`), or null for a bad id. */
export function makeShare(id) {
  return isValidSourceId(id) ? JSON.stringify({ t: AssistKind.SHARE, source: id }) : null;
}

/**
 * What the host can share: `current` (an id, or '') and `items`
 * ([{id, kind, name, width, height}], `kind` the one its id names); names
 * are cut as the native host cuts them (on a character boundary past
 * their limit). Null when an id,
 * kind or size is not valid.
 */
export function makeSources(current, items) {
  if (current !== '' && !isValidSourceId(current)) return null;
  if (!Array.isArray(items) || items.length > MAX_SOURCES) return null;
  const list = [];
  for (const { id, kind, name = '', width, height } of items) {
    const item = parseSourceItem({ id, kind, name: cleanName(name, MAX_SOURCE_NAME_BYTES), width, height });
    if (!item) return null;
    list.push(item);
  }
  return JSON.stringify({ t: AssistKind.SOURCES, current, items: list });
}

/**
 * The host's word to every viewer that what it shares changed; `name` and
 * `by` are cleaned as makeSources cleans names. Null when `source`, a size
 * or `reason` is not valid.
 */
export function makeShared({ source, name = '', width, height, by, reason = SharedReason.NONE }) {
  const m = {
    t: AssistKind.SHARED, source, name: cleanName(name, MAX_SOURCE_NAME_BYTES), width, height,
    by: cleanName(by, MAX_CHAT_NAME_BYTES), reason,
  };
  return parseAssist(JSON.stringify(m)) ? JSON.stringify(m) : null;
}

/**
 * Parses one message (either direction). Returns {t, ...fields} for a
 * message of a known kind with valid fields, or null.
 */
export function parseAssist(data) {
  if (typeof data !== 'string' || byteLength(data) > MAX_ASSIST_MESSAGE_BYTES) return null;
  let m;
  try {
    m = JSON.parse(data);
  } catch {
    return null;
  }
  if (!m || typeof m !== 'object' || Array.isArray(m)) return null;
  switch (m.t) {
    case AssistKind.CHAT: {
      if (!validChatText(m.text)) return null;
      if (m.from === undefined && m.peer === undefined && m.time === undefined) {
        return { t: m.t, text: m.text }; // a viewer's line
      }
      if (typeof m.from !== 'string' || byteLength(m.from) > MAX_CHAT_NAME_BYTES) return null;
      if (typeof m.peer !== 'string' || m.peer.length === 0 || m.peer.length > 64) return null;
      if (!Number.isSafeInteger(m.time) || m.time < 0) return null;
      return { t: m.t, from: m.from, peer: m.peer, text: m.text, time: m.time };
    }
    case AssistKind.CLIPBOARD: {
      if (typeof m.id !== 'string' || !/^[0-9a-f]{16,64}$/.test(m.id)) return null;
      if (!Object.values(ClipboardMime).includes(m.mime)) return null;
      if (!Number.isSafeInteger(m.size) || m.size < 0 || m.size > MAX_CLIPBOARD_BYTES) return null;
      if (!Number.isSafeInteger(m.offset) || m.offset < 0 || m.offset > m.size) return null;
      if (typeof m.last !== 'boolean' || !isBase64(m.data)) return null;
      const n = base64Bytes(m.data);
      if (n > CLIPBOARD_CHUNK_BYTES || m.offset + n > m.size || m.last !== (m.offset + n === m.size)) return null;
      return { t: m.t, id: m.id, mime: m.mime, size: m.size, offset: m.offset, data: m.data, last: m.last };
    }
    case AssistKind.REFUSED:
      if (!Object.values(RefusedWhat).includes(m.what)) return null;
      if (typeof m.message !== 'string' || byteLength(m.message) > 256) return null;
      return { t: m.t, what: m.what, message: m.message };
    case AssistKind.LIST_SOURCES:
      return { t: m.t };
    case AssistKind.SHARE:
      return isValidSourceId(m.source) ? { t: m.t, source: m.source } : null;
    case AssistKind.SOURCES: {
      if (m.current !== '' && !isValidSourceId(m.current)) return null;
      if (!Array.isArray(m.items) || m.items.length > MAX_SOURCES) return null;
      const items = m.items.map(parseSourceItem);
      if (items.includes(null)) return null;
      return { t: m.t, current: m.current, items };
    }
    case AssistKind.SHARED:
      if (!isValidSourceId(m.source) || !validName(m.name, MAX_SOURCE_NAME_BYTES)) return null;
      if (!validSide(m.width) || !validSide(m.height)) return null;
      if (!validName(m.by, MAX_CHAT_NAME_BYTES) || !Object.values(SharedReason).includes(m.reason)) return null;
      return {
        t: m.t, source: m.source, name: m.name, width: m.width, height: m.height, by: m.by, reason: m.reason,
      };
    case AssistKind.RESIZE: {
      const ok = (v) => Number.isInteger(v) && v >= MIN_RESIZE && v <= MAX_RESIZE;
      return ok(m.width) && ok(m.height) ? { t: m.t, width: m.width, height: m.height } : null;
    }
    case AssistKind.CURSOR:
      return parseCursor(m);
    case AssistKind.CURSOR_SHAPE:
      return parseCursorShape(m);
    default:
      return null;
  }
}

const toBase64 = (bytes) => {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
};

/**
 * The host's pointer at `x`, `y` (its hot spot, in the shared picture's
 * pixels), `visible` or not, drawn with shape `shape` (0: none known). Null
 * when a number is out of bounds.
 */
export function makeCursor({ x, y, visible, shape }) {
  return parseCursor({ x, y, visible, shape }) ? JSON.stringify({ t: AssistKind.CURSOR, x, y, visible, shape }) : null;
}

/**
 * A pointer image: `rgba` a Uint8Array of width*height*4 bytes (straight
 * alpha, rows top to bottom), its hot spot at `hotX`, `hotY`. Null when a
 * size, the hot spot, the id or the bytes are not valid.
 */
export function makeCursorShape({ shape, width, height, hotX, hotY, rgba }) {
  if (!(rgba instanceof Uint8Array) || rgba.length !== width * height * 4) return null;
  const m = { t: AssistKind.CURSOR_SHAPE, shape, width, height, hot_x: hotX, hot_y: hotY, rgba: toBase64(rgba) };
  return parseCursorShape(m) ? JSON.stringify(m) : null;
}

/** Every piece of clipboard content `bytes` (a Uint8Array) of `mime`, or null. */
export function makeClipboard(id, mime, bytes) {
  if (!/^[0-9a-f]{16,64}$/.test(id) || !Object.values(ClipboardMime).includes(mime)) return null;
  if (!(bytes instanceof Uint8Array) || bytes.length > MAX_CLIPBOARD_BYTES) return null;
  const pieces = [];
  let offset = 0;
  do {
    const n = Math.min(CLIPBOARD_CHUNK_BYTES, bytes.length - offset);
    pieces.push(JSON.stringify({
      t: AssistKind.CLIPBOARD, id, mime, size: bytes.length, offset,
      data: toBase64(bytes.subarray(offset, offset + n)), last: offset + n === bytes.length,
    }));
    offset += n;
  } while (offset < bytes.length);
  return pieces;
}

/** Puts pieces (parseAssist results) back together; add() gives {mime, bytes} when whole. */
export class ClipboardAssembler {
  constructor() { this.active = null; }

  add(piece) {
    if (!this.active || piece.id !== this.active.id) {
      if (piece.offset !== 0) { this.active = null; return null; }
      this.active = { id: piece.id, mime: piece.mime, size: piece.size, parts: [], received: 0 };
    }
    const a = this.active;
    if (piece.offset !== a.received || piece.size !== a.size || piece.mime !== a.mime) {
      this.active = null;
      return null;
    }
    const bin = atob(piece.data);
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
    a.parts.push(bytes);
    a.received += bytes.length;
    if (!piece.last) return null;
    this.active = null;
    const out = new Uint8Array(a.received);
    let at = 0;
    for (const p of a.parts) { out.set(p, at); at += p.length; }
    return { mime: a.mime, bytes: out };
  }
}
