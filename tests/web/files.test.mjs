// web/js/files.js on its own (node, no browser): two ends joined by a fake
// data channel that keeps order, counts bufferedAmount and fires
// "bufferedamountlow": 5 MiB each way arrive whole (SHA-256 checked by the
// receiver), the sender held under the high-water mark; a transfer cut by
// a lost channel resumes; refusal without the capability; a damaged chunk;
// cancel. And the partial store (web/js/filepartials.js) on a fake Origin
// Private File System: pieces kept up to a gap, another file under the same
// id starts over, old partials removed, a transfer cut by a reload (nothing
// in memory) resumes from it.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = process.env.GHOSTVIEW_WEB_DIR || path.resolve(here, '../../web');
const { FileEndpoint, HIGH_WATER } = await import(pathToFileURL(path.join(webDir, 'js', 'files.js')).href);

/** Two fake channel ends; `tamper(bytes)` may change binary messages a -> b. */
function channelPair({ tamper = null } = {}) {
  const make = () => ({
    binaryType: 'blob', bufferedAmount: 0, bufferedAmountLowThreshold: 0, mostBuffered: 0,
    listeners: { message: [], bufferedamountlow: [] }, closed: false,
    addEventListener(type, fn) { this.listeners[type].push(fn); },
  });
  const a = make();
  const b = make();
  for (const [from, to, t] of [[a, b, tamper], [b, a, null]]) {
    from.send = (data) => {
      if (from.closed) return;
      const size = typeof data === 'string' ? data.length : data.byteLength;
      from.bufferedAmount += size;
      from.mostBuffered = Math.max(from.mostBuffered, from.bufferedAmount);
      setImmediate(() => {
        if (from.closed) return;
        const wasAbove = from.bufferedAmount > from.bufferedAmountLowThreshold;
        from.bufferedAmount -= size;
        let out = data;
        if (typeof data !== 'string') {
          const copy = new Uint8Array(data);
          if (t) t(copy);
          out = copy.buffer;
        }
        for (const fn of to.listeners.message) fn({ data: out });
        if (wasAbove && from.bufferedAmount <= from.bufferedAmountLowThreshold) {
          for (const fn of from.listeners.bufferedamountlow) fn();
        }
      });
    };
  }
  return [a, b];
}

function blobOf(size, name, seed = 1) {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    bytes[i] = x & 0xff;
  }
  return Object.assign(new Blob([bytes]), { name });
}

const sha = async (blob) => createHash('sha256').update(Buffer.from(await blob.arrayBuffer())).digest('hex');

function ends(pair, options = [{}, {}]) {
  const events = { a: [], b: [] };
  const a = new FileEndpoint(pair[0], { onEvent: (e) => events.a.push(e), ...options[0] });
  const b = new FileEndpoint(pair[1], { onEvent: (e) => events.b.push(e), ...options[1] });
  return { a, b, events };
}

function until(fn, ms = 20000) {
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const tick = () => {
      const v = fn();
      if (v) resolve(v);
      else if (Date.now() - start > ms) reject(new Error('timed out'));
      else setTimeout(tick, 5);
    };
    tick();
  });
}

const last = (list, direction, state) => list.filter((e) => e.direction === direction && (!state || e.state === state)).at(-1);

test('5 MiB each way, whole, under the high-water mark', async () => {
  const pair = channelPair();
  const { a, b, events } = ends(pair);
  const up = blobOf(5 * 1024 * 1024, 'to-b.bin', 7);
  const down = blobOf(5 * 1024 * 1024 - 333, 'to-a.bin', 9);
  await a.offer(up);
  await b.offer(down);
  const inB = await until(() => last(events.b, 'incoming', 'done'));
  const inA = await until(() => last(events.a, 'incoming', 'done'));
  assert.equal(await sha(inB.blob), await sha(up));
  assert.equal(await sha(inA.blob), await sha(down));
  assert.equal(inB.name, 'to-b.bin');
  await until(() => last(events.a, 'outgoing', 'done'));
  assert.ok(events.a.filter((e) => e.direction === 'outgoing' && e.state === 'progress').length >= 4);
  assert.ok(pair[0].mostBuffered <= HIGH_WATER + 64 * 1024, `${pair[0].mostBuffered} buffered at most`);
});

test('a transfer cut by a lost channel resumes where it stopped', async () => {
  const partials = new Map();
  let pair = channelPair();
  // The channel is lost at the first progress report, before the rest of
  // the file can arrive (a poll could come too late on a busy machine).
  let cutAt = 0;
  const cutOnProgress = (ev) => {
    if (cutAt || ev.direction !== 'incoming' || ev.state !== 'progress') return;
    cutAt = ev.bytes;
    pair[0].closed = true;
    pair[1].closed = true;
  };
  let e = ends(pair, [{}, { partials, onEvent: cutOnProgress }]);
  const file = blobOf(3 * 1024 * 1024 + 5, 'big.bin', 3);
  const id = await e.a.offer(file);
  await until(() => cutAt);
  e.b.detach();
  assert.equal(partials.size, 1);

  pair = channelPair();
  e = ends(pair, [{}, { partials }]);
  await e.a.offer(file, id);
  const done = await until(() => last(e.events.b, 'incoming', 'done'));
  assert.equal(await sha(done.blob), await sha(file));
  const accepted = last(e.events.a, 'outgoing', 'accepted');
  assert.ok(accepted.bytes >= 1024 * 1024, `resumed at ${accepted.bytes}`);
});

test('refused without the capability; a damaged file; cancel', async () => {
  let e = ends(channelPair(), [{}, { mayReceive: () => false }]);
  await e.a.offer(blobOf(100, 'x.txt'));
  const refused = await until(() => last(e.events.a, 'outgoing', 'failed'));
  assert.equal(refused.code, 'NOT_ALLOWED');
  assert.match(refused.message, /not allowed/);
  assert.equal(e.b.refused, 1);

  e = ends(channelPair({ tamper: (bytes) => { if (bytes.length > 100) bytes[100] ^= 1; } }));
  await e.a.offer(blobOf(40000, 'd.bin'));
  const damaged = await until(() => last(e.events.a, 'outgoing', 'failed'));
  assert.equal(damaged.code, 'DAMAGED');
  assert.equal(last(e.events.b, 'incoming', 'failed').code, 'DAMAGED');

  // Cancelled at the first progress report, while most of the file is
  // still to come.
  let cancelled = null;
  let sender = null;
  const cancelOnProgress = (ev) => {
    if (ev.direction !== 'incoming') return;
    if (ev.state === 'progress' && sender) {
      sender.cancel('the viewer stopped it');
      sender = null;
    }
    if (ev.state === 'failed') cancelled = ev;
  };
  e = ends(channelPair(), [{}, { onEvent: cancelOnProgress }]);
  sender = e.a;
  await e.a.offer(blobOf(4 * 1024 * 1024, 'c.bin'));
  await until(() => cancelled);
  assert.equal(cancelled.code, 'CANCELLED');
});

// ---- the partial store (web/js/filepartials.js) on a fake Origin Private
// File System: directories and files in memory; a writable's bytes show
// only once closed, as with createWritable (a page killed mid-write leaves
// the file as it was).
const { PartialStore } = await import(pathToFileURL(path.join(webDir, 'js', 'filepartials.js')).href);

class FakeFile {
  constructor() { this.blob = new Blob([]); }
  getFile() { return Promise.resolve(this.blob); }
  createWritable() {
    const parts = [];
    return Promise.resolve({
      write: async (data) => { parts.push(data); },
      close: async () => { this.blob = new Blob(parts); },
      abort: async () => {},
    });
  }
}

class FakeDir {
  constructor() { this.children = new Map(); this.kind = 'directory'; }
  async getDirectoryHandle(name, { create = false } = {}) { return this.child(name, create, FakeDir); }
  async getFileHandle(name, { create = false } = {}) { return this.child(name, create, FakeFile); }
  child(name, create, Kind) {
    let c = this.children.get(name);
    if (!c && create) this.children.set(name, (c = new Kind()));
    if (!c || !(c instanceof Kind)) throw new DOMException(`${name}: not found`, 'NotFoundError');
    if (Kind === FakeFile) c.kind = 'file';
    return c;
  }
  async removeEntry(name) {
    if (!this.children.delete(name)) throw new DOMException(`${name}: not found`, 'NotFoundError');
  }
  async* entries() { for (const e of [...this.children]) yield e; }
  async* keys() { for (const k of [...this.children.keys()]) yield k; }
}

const MIB = 1024 * 1024;
const offerOf = (id, size, sha256 = 'ab'.repeat(32)) => ({ id, name: 'f.bin', size, sha256 });
const piece = (size, seed) => new Blob([new Uint8Array(size).fill(seed)]);

test('partial store: what was written is there for a page loaded again, up to a gap; another file starts over', async () => {
  const root = new FakeDir();
  const id = '0123456789abcdef0123456789abcdef';
  let store = new PartialStore(root);
  assert.deepEqual(await store.take(offerOf(id, 5 * MIB)), { received: 0, parts: [] });
  await store.write(id, 0, piece(MIB, 1));
  await store.write(id, MIB, piece(MIB, 2));
  // Killed while writing the third: that file was made, its bytes never put in place.
  await (await root.getDirectoryHandle(id)).getFileHandle(String(2 * MIB).padStart(16, '0'), { create: true });

  store = new PartialStore(root); // the page loaded again
  let kept = await store.take(offerOf(id, 5 * MIB));
  assert.equal(kept.received, 2 * MIB);
  assert.deepEqual(new Uint8Array(await new Blob(kept.parts).arrayBuffer()).slice(MIB - 1, MIB + 1), Uint8Array.of(1, 2));

  // A gap (the piece at 1 MiB lost): only what comes before it counts, what follows goes.
  await (await root.getDirectoryHandle(id)).removeEntry(String(MIB).padStart(16, '0'));
  await store.write(id, 3 * MIB, piece(MIB, 4));
  kept = await store.take(offerOf(id, 5 * MIB));
  assert.equal(kept.received, MIB);
  assert.deepEqual([...(await root.getDirectoryHandle(id)).children.keys()].sort(), ['0000000000000000', 'meta.json']);

  // The same id for another file (another size or hash): nothing of the old one is used.
  kept = await store.take(offerOf(id, 5 * MIB, 'cd'.repeat(32)));
  assert.equal(kept.received, 0);
  assert.deepEqual([...(await root.getDirectoryHandle(id)).children.keys()], ['meta.json']);

  await store.remove(id);
  assert.deepEqual(await store.ids(), []);
  await assert.rejects(store.take(offerOf('../x', 1)));
});

test('partial store: partials older than a day are removed', async () => {
  const root = new FakeDir();
  const store = new PartialStore(root);
  await store.take(offerOf('aaaaaaaaaaaaaaaa', 10));
  await store.take(offerOf('bbbbbbbbbbbbbbbb', 10));
  await store.removeOld(-1); // everything is older than -1 ms
  assert.deepEqual(await store.ids(), []);
  await store.take(offerOf('cccccccccccccccc', 10));
  await store.removeOld();
  assert.deepEqual(await store.ids(), ['cccccccccccccccc']);
});

test('a transfer cut by a reload (nothing in memory) resumes from the store', async () => {
  const root = new FakeDir();
  let pair = channelPair();
  let cutAt = 0;
  const cutLate = (ev) => { // cut once a few MiB arrived (and the store had time to write)
    if (cutAt || ev.direction !== 'incoming' || ev.state !== 'progress' || ev.bytes < 3 * MIB) return;
    cutAt = ev.bytes;
    pair[0].closed = true;
    pair[1].closed = true;
  };
  let e = ends(pair, [{}, { store: Promise.resolve(new PartialStore(root)), onEvent: cutLate }]);
  const file = blobOf(6 * MIB + 7, 'big.bin', 5);
  await e.a.offer(file);
  await until(() => cutAt);
  await new Promise((r) => setTimeout(r, 50)); // the write under way finishes

  // The page loaded again: a new endpoint, no partial in memory, the same store.
  pair = channelPair();
  e = ends(pair, [{}, { store: new PartialStore(root) }]);
  await e.a.offer(file); // no id: the same file has the same id
  const done = await until(() => last(e.events.b, 'incoming', 'done'));
  assert.equal(await sha(done.blob), await sha(file));
  const accepted = last(e.events.a, 'outgoing', 'accepted');
  assert.ok(accepted.bytes >= MIB && accepted.bytes <= cutAt, `resumed at ${accepted.bytes} (cut at ${cutAt})`);
  await until(() => root.children.size === 0, 2000); // the partial is gone once the file arrived
});
