// GhostView assistance channel, the browser's side: chat and the clipboard
// (file transfer has its own channel, filetransfer.js). One ordered, reliable data channel
// named "assist" per viewer, beside the input channel ("control"), opened by
// the host (native gvwebrtcsink or the browser host page). Every message is
// one JSON text of at most MAX_ASSIST_MESSAGE_BYTES.
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
//
// TEXT: UTF-8, 1 to MAX_CHAT_BYTES bytes, no control characters but
// newline and tab; anything else is refused as malformed.

export const ASSIST_CHANNEL = 'assist';
export const MAX_ASSIST_MESSAGE_BYTES = 64 * 1024;
export const MAX_CHAT_BYTES = 4000;
export const MAX_CHAT_NAME_BYTES = 64;

export const AssistKind = Object.freeze({
  CHAT: 'chat',
  REFUSED: 'refused',
  CLIPBOARD: 'clipboard',
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

/** What a refusal is about: the capability the message needed. */
export const RefusedWhat = Object.freeze({
  CHAT: 'chat',
  CLIPBOARD: 'clipboard',
  FILE: 'file',
});

const encoder = new TextEncoder();

function byteLength(text) {
  return encoder.encode(text).length;
}

/** True when `text` is chat text the host accepts. */
export function validChatText(text) {
  if (typeof text !== 'string' || text.length === 0) return false;
  if (byteLength(text) > MAX_CHAT_BYTES) return false;
  // No lone surrogate ("\ud800": not UTF-8 text, which the host refuses).
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/.test(text)) return false;
  // eslint-disable-next-line no-control-regex
  return !/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text);
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
      if (typeof m.last !== 'boolean' || typeof m.data !== 'string') return null;
      if (m.data.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(m.data)) return null;
      const pad = m.data.endsWith('==') ? 2 : m.data.endsWith('=') ? 1 : 0;
      const n = (m.data.length / 4) * 3 - pad;
      if (n > CLIPBOARD_CHUNK_BYTES || m.offset + n > m.size || m.last !== (m.offset + n === m.size)) return null;
      return { t: m.t, id: m.id, mime: m.mime, size: m.size, offset: m.offset, data: m.data, last: m.last };
    }
    case AssistKind.REFUSED:
      if (!Object.values(RefusedWhat).includes(m.what)) return null;
      if (typeof m.message !== 'string' || byteLength(m.message) > 256) return null;
      return { t: m.t, what: m.what, message: m.message };
    default:
      return null;
  }
}

const toBase64 = (bytes) => {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) bin += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(bin);
};

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
