// GhostView file-transfer channel, the browser's side: the messages of the
// data channel labelled "file" (both ways: the host offers files to a
// viewer, a viewer to the host). Defined once in C++
// (plugins/webrtc/gvfilejson.h, where the protocol is described); this
// module mirrors it and tests/protocol/file-parity.test.mjs holds the two
// together.
// SPDX-License-Identifier: LGPL-2.1-or-later

export const FILE_CHANNEL_LABEL = 'file';
export const MAX_FILE_CONTROL_BYTES = 4096;
export const FILE_CHUNK_HEADER_BYTES = 8;
export const MAX_FILE_CHUNK_BYTES = 60 * 1024;
export const MAX_FILE_NAME_BYTES = 1024;
export const MAX_FILE_TEXT_BYTES = 256;
export const MAX_FILE_BYTES = Number.MAX_SAFE_INTEGER; // 2^53 - 1

export const FileKind = Object.freeze({
  OFFER: 'offer',
  ACCEPT: 'accept',
  REJECT: 'reject',
  PROGRESS: 'progress',
  DONE: 'done',
  FAILED: 'failed',
  CANCEL: 'cancel',
});

export const FileCode = Object.freeze({
  TOO_LARGE: 'TOO_LARGE',
  NOT_ALLOWED: 'NOT_ALLOWED',
  DISK_FULL: 'DISK_FULL',
  DAMAGED: 'DAMAGED',
  CANCELLED: 'CANCELLED',
  BUSY: 'BUSY',
  BAD_MESSAGE: 'BAD_MESSAGE',
  FAILED: 'FAILED',
});

const encoder = new TextEncoder();
const bytesOf = (s) => encoder.encode(s).length;
const isHex = (s) => typeof s === 'string' && /^[0-9a-f]+$/.test(s);
// No lone surrogate ("\ud800"): not UTF-8 text, refused by the C++ side too.
const wellFormed = (s) => !/[\ud800-\udbff](?![\udc00-\udfff])|(?:^|[^\ud800-\udbff])[\udc00-\udfff]/.test(s);

export function isTransferId(id) {
  return isHex(id) && id.length >= 16 && id.length <= 64;
}

export function isSha256Hex(hex) {
  return isHex(hex) && hex.length === 64;
}

/** A fresh transfer id: 32 hex characters from the browser's CSPRNG. */
export function newTransferId() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

const isSize = (n) => Number.isSafeInteger(n) && n >= 0 && n <= MAX_FILE_BYTES;

export const makeOffer = (id, name, size, sha256) => JSON.stringify({ t: FileKind.OFFER, id, name, size, sha256 });
export const makeAccept = (id, offset = 0) => JSON.stringify({ t: FileKind.ACCEPT, id, offset });
export const makeReject = (id, code, message = '') => JSON.stringify({ t: FileKind.REJECT, id, code, message });
export const makeProgress = (id, received) => JSON.stringify({ t: FileKind.PROGRESS, id, received });
export const makeDone = (id, name) => JSON.stringify({ t: FileKind.DONE, id, name });
export const makeFailed = (id, code, message = '') => JSON.stringify({ t: FileKind.FAILED, id, code, message });
export const makeCancel = (id) => JSON.stringify({ t: FileKind.CANCEL, id });

// The longest extension offerName keeps when it cuts (gvincomingfile.cpp's).
const MAX_KEPT_EXTENSION_CHARS = 16;

/**
 * `name` as an offer can carry it: at most MAX_FILE_NAME_BYTES of UTF-8,
 * in an offer of at most MAX_FILE_CONTROL_BYTES (a control character takes
 * six bytes of JSON), cut at a character, a short extension kept. An offer
 * over either limit is not a message to the receiver (it cannot even say
 * which transfer to refuse), so a longer name would leave the sender
 * waiting for an answer that never comes. A NUL is a '_': the C++ end
 * reads a string up to its first NUL ("\u0000a" would be empty there).
 */
export function offerName(offered) {
  const name = offered.replaceAll('\u0000', '_');
  const worst = (n) => makeOffer('f'.repeat(64), n, MAX_FILE_BYTES, 'f'.repeat(64));
  const fits = (n) => bytesOf(n) <= MAX_FILE_NAME_BYTES && bytesOf(worst(n)) <= MAX_FILE_CONTROL_BYTES;
  if (fits(name)) return name;
  const dot = name.lastIndexOf('.');
  const ext = dot > 0 && name.length - dot <= MAX_KEPT_EXTENSION_CHARS ? name.slice(dot) : '';
  const stem = Array.from(ext ? name.slice(0, dot) : name); // by code point
  let lo = 0;
  let hi = stem.length;
  while (lo < hi) { // the longest prefix of stem that fits with ext
    const mid = (lo + hi + 1) >> 1;
    if (fits(stem.slice(0, mid).join('') + ext)) lo = mid;
    else hi = mid - 1;
  }
  return stem.slice(0, lo).join('') + ext || 'download';
}

/** One control message (a string), or null when the C++ side would refuse it. */
export function parseFileMessage(data) {
  if (typeof data !== 'string' || data.length === 0 || bytesOf(data) > MAX_FILE_CONTROL_BYTES) return null;
  let m;
  try {
    m = JSON.parse(data);
  } catch {
    return null;
  }
  if (!m || typeof m !== 'object' || Array.isArray(m) || !isTransferId(m.id)) return null;
  const str = (v, min, max) => typeof v === 'string' && wellFormed(v) && bytesOf(v) >= min && bytesOf(v) <= max;
  switch (m.t) {
    case FileKind.OFFER:
      if (!str(m.name, 1, MAX_FILE_NAME_BYTES) || !isSize(m.size) || !isSha256Hex(m.sha256)) return null;
      return { t: m.t, id: m.id, name: m.name, size: m.size, sha256: m.sha256 };
    case FileKind.ACCEPT:
      return isSize(m.offset) ? { t: m.t, id: m.id, offset: m.offset } : null;
    case FileKind.PROGRESS:
      return isSize(m.received) ? { t: m.t, id: m.id, received: m.received } : null;
    case FileKind.DONE:
      return str(m.name, 1, MAX_FILE_NAME_BYTES) ? { t: m.t, id: m.id, name: m.name } : null;
    case FileKind.REJECT:
    case FileKind.FAILED:
      if (!Object.values(FileCode).includes(m.code) || !str(m.message, 0, MAX_FILE_TEXT_BYTES)) return null;
      return { t: m.t, id: m.id, code: m.code, message: m.message };
    case FileKind.CANCEL:
      return { t: m.t, id: m.id };
    default:
      return null;
  }
}

/** A binary message: the 8-byte big-endian offset, then `bytes` (a Uint8Array). */
export function makeChunk(offset, bytes) {
  const out = new Uint8Array(FILE_CHUNK_HEADER_BYTES + bytes.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(offset));
  out.set(bytes, FILE_CHUNK_HEADER_BYTES);
  return out;
}

/** {offset, bytes} of a binary message (ArrayBuffer or Uint8Array), or null. */
export function parseChunk(data) {
  const b = data instanceof Uint8Array ? data : new Uint8Array(data);
  if (b.length < FILE_CHUNK_HEADER_BYTES || b.length > FILE_CHUNK_HEADER_BYTES + MAX_FILE_CHUNK_BYTES) return null;
  const offset = new DataView(b.buffer, b.byteOffset, b.byteLength).getBigUint64(0);
  if (offset > BigInt(MAX_FILE_BYTES)) return null;
  return { offset: Number(offset), bytes: b.subarray(FILE_CHUNK_HEADER_BYTES) };
}
