// GhostView file transfer in the browser: one end of a "file" data channel
// (web/js/filetransfer.js; the native end is plugins/webrtc/gvfiletransfer.h,
// which this follows step for step). Sends a File with backpressure
// (bufferedAmount under HIGH_WATER, going on at "bufferedamountlow"),
// receives into memory and checks the SHA-256 before handing the file over
// as a Blob. No DOM here: the pages show it (an event per step).
// SPDX-License-Identifier: LGPL-2.1-or-later
import {
  FileCode, FileKind, isTransferId, makeAccept, makeCancel, makeChunk, makeDone, makeFailed,
  makeOffer, makeProgress, makeReject, MAX_FILE_CHUNK_BYTES, MAX_FILE_TEXT_BYTES, offerName,
  parseChunk, parseFileMessage,
} from './filetransfer.js';

export const HIGH_WATER = 1024 * 1024;
export const PROGRESS_EVERY = 1024 * 1024;
// A receiver tells the sender what arrived this often (a native host paces
// a file to a viewer by it, plugins/webrtc/gvfilepace.h); the owner hears
// of progress every PROGRESS_EVERY.
export const ACK_EVERY = 32 * 1024;
// ... or, when something arrived since, this often (ms; a slow link).
export const ACK_EVERY_MS = 50;
/** An incoming file goes to the partial store (filepartials.js) in pieces of about this. */
export const STORE_EVERY = 1024 * 1024;
/** A page keeps a received file in memory: this is its limit. */
export const DEFAULT_MAX_FILE_BYTES = 512 * 1024 * 1024;

const hex = (digest) => Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');

async function sha256Hex(blob) {
  return hex(await crypto.subtle.digest('SHA-256', await blob.arrayBuffer()));
}

// The file is read this much at a time and sent in chunks cut from it: each
// read of a Blob is a round trip to the browser process, so one read per
// 1 MiB instead of one per 60 KiB chunk (no change in rate measured on a
// machine where Chromium's packet handling was the bound).
export const READ_AHEAD_BYTES = 1024 * 1024;

/** Bytes [start, end) of outgoing transfer `t`'s file, from its read-ahead block. */
async function readAhead(t, start, end) {
  const b = t.block;
  if (!b || start < b.start || end > b.start + b.bytes.length) {
    const stop = Math.min(t.size, Math.max(end, start + READ_AHEAD_BYTES));
    t.block = { start, bytes: new Uint8Array(await t.file.slice(start, stop).arrayBuffer()) };
  }
  return t.block.bytes.subarray(start - t.block.start, end - t.block.start);
}

/**
 * The transfer id of a file: the same file (name, size, content) has the
 * same id, so sending it again after the page was reloaded or the
 * connection lost resumes it where the receiver's partial stopped.
 */
async function transferIdOf(name, size, sha256) {
  const text = new TextEncoder().encode(`${sha256}:${size}:${name}`);
  return hex(await crypto.subtle.digest('SHA-256', text)).slice(0, 32);
}

const cut = (text) => {
  let t = String(text);
  while (new TextEncoder().encode(t).length > MAX_FILE_TEXT_BYTES) t = t.slice(0, -1);
  return t;
};

/**
 * One end of a file channel. `channel`: an RTCDataChannel (or anything with
 * send, bufferedAmount, bufferedAmountLowThreshold and addEventListener
 * for 'message' and 'bufferedamountlow'). `onEvent({direction, state, id,
 * name, size, bytes, code, message, blob})`: direction 'incoming' or
 * 'outgoing'; state 'offered', 'accepted', 'progress', 'done', 'failed'.
 * `mayReceive()`: whether the other end may send here now (the host page:
 * the viewer has `file`). `partials`: see below. `store`: a PartialStore
 * (web/js/filepartials.js), or a promise of one or of null: what arrives
 * is kept there too, so that a page loaded again takes the transfer up
 * when the sender offers it again.
 */
export class FileEndpoint {
  constructor(channel, {
    onEvent = () => {}, mayReceive = () => true, maxFileBytes = DEFAULT_MAX_FILE_BYTES, partials = new Map(),
    store = null,
  } = {}) {
    this.channel = channel;
    this.onEvent = onEvent;
    this.mayReceive = mayReceive;
    this.maxFileBytes = maxFileBytes;
    this.incoming = null; // {id, name, size, sha256, parts, received, reported}
    this.outgoing = null; // {id, file, size, offset, accepted}
    // id -> an incoming transfer a lost channel cut (detach ()), taken up
    // when the sender offers it again: a page passes the same map to the
    // endpoint of its next connection.
    this.partials = partials;
    this.store = store;
    this.refused = 0;
    channel.binaryType = 'arraybuffer';
    channel.bufferedAmountLowThreshold = HIGH_WATER / 2;
    channel.addEventListener('message', (ev) => this.onMessage(ev.data));
    channel.addEventListener('bufferedamountlow', () => this.pump());
  }

  emit(direction, state, t, extra = {}) {
    this.onEvent({ direction, state, id: t.id, name: t.name, size: t.size, bytes: 0, code: '', message: '', ...extra });
  }

  /** Offers `file` (a File or Blob with a name); its id is made from its
   * name, size and content unless given (see transferIdOf). */
  async offer(file, id = '') {
    if (this.outgoing) throw new Error('a file is already on its way');
    if (id && !isTransferId(id)) throw new Error('not a transfer id');
    // A name too long for an offer is cut here (the receiver sanitises it further).
    const t = { id, file, name: offerName(file.name || 'download'), size: file.size, offset: 0, accepted: false };
    t.sha256 = await sha256Hex(file);
    if (!t.id) t.id = await transferIdOf(t.name, t.size, t.sha256);
    this.outgoing = t;
    this.channel.send(makeOffer(t.id, t.name, t.size, t.sha256));
    this.emit('outgoing', 'offered', t);
    return t.id;
  }

  cancel(why = 'cancelled') {
    for (const t of [this.incoming, this.outgoing]) {
      if (!t) continue;
      this.channel.send(makeCancel(t.id));
      if (t === this.incoming) this.failIncoming(FileCode.CANCELLED, why, false);
      else this.failOutgoing(FileCode.CANCELLED, why, false);
    }
  }

  onMessage(data) {
    if (typeof data !== 'string') {
      this.onChunk(data);
      return;
    }
    const m = parseFileMessage(data);
    if (!m) return;
    const inT = this.incoming && this.incoming.id === m.id ? this.incoming : null;
    const outT = this.outgoing && this.outgoing.id === m.id ? this.outgoing : null;
    switch (m.t) {
      case FileKind.OFFER:
        this.onOffer(m);
        break;
      case FileKind.ACCEPT:
        if (!outT || outT.accepted) break;
        if (m.offset > outT.size) {
          this.failOutgoing(FileCode.BAD_MESSAGE, 'the receiver asked to resume past the end', true);
          break;
        }
        outT.offset = m.offset;
        outT.reported = m.offset;
        outT.accepted = true;
        this.emit('outgoing', 'accepted', outT, { bytes: m.offset });
        this.pump();
        break;
      case FileKind.PROGRESS:
        if (outT && m.received - (outT.reported || 0) >= PROGRESS_EVERY) {
          outT.reported = Math.min(m.received, outT.size);
          this.emit('outgoing', 'progress', outT, { bytes: outT.reported });
        }
        break;
      case FileKind.DONE:
        if (outT) {
          this.outgoing = null;
          this.emit('outgoing', 'done', outT, { bytes: outT.size, savedAs: m.name });
        }
        break;
      case FileKind.REJECT:
        if (outT) this.failOutgoing(m.code, m.message, false);
        break;
      case FileKind.FAILED:
      case FileKind.CANCEL: {
        const code = m.t === FileKind.CANCEL ? FileCode.CANCELLED : m.code;
        if (inT) this.failIncoming(code, m.t === FileKind.CANCEL ? 'cancelled by the sender' : m.message, false);
        if (outT) this.failOutgoing(code, m.t === FileKind.CANCEL ? 'cancelled by the receiver' : m.message, false);
        break;
      }
      default:
        break;
    }
  }

  onOffer(m) {
    const reject = (code, message) => {
      this.channel.send(makeReject(m.id, code, message));
      this.emit('incoming', 'failed', m, { code, message });
    };
    if (!this.mayReceive()) {
      this.refused++;
      reject(FileCode.NOT_ALLOWED, 'The host has not allowed file transfer.');
      return;
    }
    if (this.incoming) {
      reject(FileCode.BUSY, 'A file is already on its way; send this one after it.');
      return;
    }
    if (m.size > this.maxFileBytes) {
      reject(FileCode.TOO_LARGE, `Files over ${Math.floor(this.maxFileBytes / 1048576)} MiB are not accepted here.`);
      return;
    }
    // The same transfer again (a reconnection): go on from what arrived.
    const kept = this.partials.get(m.id);
    const t = kept && kept.size === m.size && kept.sha256 === m.sha256
      ? kept
      : {
        id: m.id, name: m.name, size: m.size, sha256: m.sha256, parts: [], received: 0, reported: 0,
        stored: null, storedParts: 0, storedBytes: 0, writing: Promise.resolve(),
      };
    this.partials.delete(m.id);
    this.incoming = t;
    t.detached = false;
    if (t === kept || !this.store) {
      this.acceptIncoming(t);
      return;
    }
    // What the store kept of it (this page was loaded again), then accept.
    Promise.resolve(this.store).then(async (store) => {
      if (!store) return;
      const kept = await store.take(m);
      t.parts = kept.parts;
      t.received = kept.received;
      t.reported = kept.received;
      t.storedParts = kept.parts.length;
      t.storedBytes = kept.received;
      t.stored = store;
    }).catch((e) => console.warn('GhostView: the partial file store failed', e))
      .then(() => { if (this.incoming === t) this.acceptIncoming(t); });
  }

  acceptIncoming(t) {
    this.emit('incoming', 'offered', t, { bytes: t.received });
    this.channel.send(makeAccept(t.id, t.received));
    this.emit('incoming', 'accepted', t, { bytes: t.received });
    if (t.received === t.size) this.finishIncoming();
  }

  /**
   * Hands what arrived since the last piece to the store: one write at a
   * time, each taking all that arrived while the one before was written
   * (a write per chunk would fall behind the channel).
   */
  storePiece(t) {
    const store = t.stored;
    if (!store || t.storing || t.received === t.storedBytes) return;
    const offset = t.storedBytes;
    const piece = new Blob(t.parts.slice(t.storedParts));
    t.storedParts = t.parts.length;
    t.storedBytes = t.received;
    t.storing = true;
    t.writing = t.writing.then(() => store.write(t.id, offset, piece)).then(() => {
      t.storing = false;
      const left = t.received - t.storedBytes;
      if (t.stored && (left >= STORE_EVERY || (t.detached && left > 0))) this.storePiece(t);
    }, (e) => {
      console.warn('GhostView: keeping the partial file failed; a reload will start it again', e);
      t.storing = false;
      t.stored = null;
    });
  }

  /** The transfer is over (arrived, or failed for good): its stored partial goes. */
  forget(t) {
    const store = t.stored;
    t.stored = null;
    if (store) t.writing.then(() => store.remove(t.id));
  }

  onChunk(data) {
    const t = this.incoming;
    if (!t) return;
    const c = parseChunk(data);
    if (!c) {
      this.failIncoming(FileCode.BAD_MESSAGE, 'a chunk of a bad size', true);
      return;
    }
    if (c.offset !== t.received || t.received + c.bytes.length > t.size) {
      this.failIncoming(FileCode.BAD_MESSAGE, 'a chunk out of order', true);
      return;
    }
    t.parts.push(c.bytes.slice());
    t.received += c.bytes.length;
    const now = Date.now();
    if (t.received < t.size && (t.received - (t.acked || 0) >= ACK_EVERY || now - (t.ackedAt || 0) >= ACK_EVERY_MS)) {
      t.acked = t.received;
      t.ackedAt = now;
      this.channel.send(makeProgress(t.id, t.received));
    }
    if (t.stored && t.received - t.storedBytes >= STORE_EVERY && t.received < t.size) this.storePiece(t);
    if (t.received - t.reported >= PROGRESS_EVERY && t.received < t.size) {
      t.reported = t.received;
      this.emit('incoming', 'progress', t, { bytes: t.received });
    }
    if (t.received === t.size) this.finishIncoming();
  }

  async finishIncoming() {
    const t = this.incoming;
    this.incoming = null;
    const blob = new Blob(t.parts);
    if ((await sha256Hex(blob)) !== t.sha256) {
      this.incoming = t;
      this.failIncoming(FileCode.DAMAGED, `${t.name} arrived damaged (its SHA-256 is not the sender's): not saved`, true);
      return;
    }
    this.forget(t);
    this.channel.send(makeDone(t.id, t.name));
    this.emit('incoming', 'done', t, { bytes: t.size, blob });
  }

  failIncoming(code, message, tellSender) {
    const t = this.incoming;
    if (!t) return;
    if (tellSender) this.channel.send(makeFailed(t.id, code, cut(message)));
    this.incoming = null;
    this.forget(t);
    this.emit('incoming', 'failed', t, { bytes: t.received, code, message });
  }

  failOutgoing(code, message, tellReceiver) {
    const t = this.outgoing;
    if (!t) return;
    if (tellReceiver) this.channel.send(makeFailed(t.id, code, cut(message)));
    this.outgoing = null;
    this.emit('outgoing', 'failed', t, { bytes: t.offset, code, message });
  }

  /** Keeps an incoming transfer for a resume (the channel is going). */
  detach() {
    if (this.incoming) {
      // Kept in memory for the next channel, and all of it in the store.
      this.partials.set(this.incoming.id, this.incoming);
      this.incoming.detached = true;
      this.storePiece(this.incoming);
    }
    this.incoming = null;
    this.outgoing = null;
  }

  async pump() {
    const t = this.outgoing;
    if (!t || !t.accepted || this.pumping) return;
    this.pumping = true;
    try {
      while (this.outgoing === t && t.offset < t.size && this.channel.bufferedAmount < HIGH_WATER) {
        const end = Math.min(t.offset + MAX_FILE_CHUNK_BYTES, t.size);
        const bytes = await readAhead(t, t.offset, end);
        if (this.outgoing !== t) break;
        this.channel.send(makeChunk(t.offset, bytes));
        t.offset = end;
      }
    } finally {
      this.pumping = false;
    }
  }
}
