// GhostView assistance channel, the browser's side: chat now; clipboard and
// file transfer reserve their kinds. One ordered, reliable data channel
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
});

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
    case AssistKind.REFUSED:
      if (!Object.values(RefusedWhat).includes(m.what)) return null;
      if (typeof m.message !== 'string' || byteLength(m.message) > 256) return null;
      return { t: m.t, what: m.what, message: m.message };
    default:
      return null;
  }
}
