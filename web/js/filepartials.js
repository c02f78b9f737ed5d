// GhostView — what has arrived of a file, kept where a reload does not lose
// it: the page's Origin Private File System (navigator.storage
// .getDirectory ()), one directory per transfer id, holding the offer
// (meta.json) and the bytes in pieces, each a file named by its offset (16
// digits). A piece is written whole or not at all (createWritable () writes
// a swap file that close () puts in place), so a page killed mid-write
// leaves the pieces before it; a page loaded again that is offered the same
// transfer (web/js/files.js) goes on after the last whole piece. Without
// OPFS (an insecure origin, an old browser) there is no store: files.js
// keeps partials in memory only, as before.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { isTransferId } from './filetransfer.js';

const ROOT = 'ghostview-partials';
const META = 'meta.json';
const PIECE = /^\d{16}$/;
/** A partial nobody came back for within a day is removed (gvfiletransfer.cpp's rule). */
export const PARTIAL_LIFETIME_MS = 24 * 3600 * 1000;

const pieceName = (offset) => String(offset).padStart(16, '0');

async function readMeta(dir) {
  try {
    const file = await (await dir.getFileHandle(META)).getFile();
    return JSON.parse(await file.text());
  } catch {
    return null;
  }
}

async function writeFile(dir, name, data) {
  const handle = await dir.getFileHandle(name, { create: true });
  const w = await handle.createWritable();
  try {
    await w.write(data);
    await w.close();
  } catch (e) {
    await w.abort().catch(() => {});
    throw e;
  }
}

export class PartialStore {
  constructor(root) {
    this.root = root;
  }

  /**
   * What is kept of transfer `offer` ({id, name, size, sha256}): {received,
   * parts} (the bytes from 0, in memory), nothing for another file under
   * that id; from now on the store keeps this transfer.
   */
  async take(offer) {
    if (!isTransferId(offer.id)) throw new Error('not a transfer id');
    const dir = await this.root.getDirectoryHandle(offer.id, { create: true });
    const meta = await readMeta(dir);
    const same = meta && meta.size === offer.size && meta.sha256 === offer.sha256;
    const pieces = [];
    for await (const [name, handle] of dir.entries()) {
      if (PIECE.test(name) && handle.kind === 'file') pieces.push({ name, offset: Number(name), handle });
    }
    pieces.sort((a, b) => a.offset - b.offset);
    const parts = [];
    let received = 0;
    for (const p of same ? pieces : []) {
      if (p.offset !== received) break; // a gap: what follows is not used
      const bytes = new Uint8Array(await (await p.handle.getFile()).arrayBuffer());
      if (received + bytes.length > offer.size) break;
      parts.push(bytes);
      received += bytes.length;
    }
    // Pieces not used (after a gap, or of another file) go; the offer is written anew.
    for (const p of pieces) if (!same || p.offset >= received) await dir.removeEntry(p.name).catch(() => {});
    await writeFile(dir, META, JSON.stringify({ name: offer.name, size: offer.size, sha256: offer.sha256, created: Date.now() }));
    return { received, parts };
  }

  /** Keeps `blob`, the bytes of transfer `id` from `offset`. */
  async write(id, offset, blob) {
    const dir = await this.root.getDirectoryHandle(id);
    await writeFile(dir, pieceName(offset), blob);
  }

  /** Forgets transfer `id` (it arrived, or failed for good). */
  async remove(id) {
    await this.root.removeEntry(id, { recursive: true }).catch(() => {});
  }

  /** Removes partials older than `lifetimeMs`. */
  async removeOld(lifetimeMs = PARTIAL_LIFETIME_MS) {
    const now = Date.now();
    const old = [];
    for await (const [name, handle] of this.root.entries()) {
      if (handle.kind !== 'directory') continue;
      const meta = await readMeta(handle);
      if (!meta || !(now - meta.created < lifetimeMs)) old.push(name);
    }
    for (const name of old) await this.remove(name);
  }

  /** Ids of the partials kept (tests, diagnostics). */
  async ids() {
    const out = [];
    for await (const name of this.root.keys()) out.push(name);
    return out.sort();
  }
}

/** The page's store, or null where there is no OPFS. */
export async function openPartialStore() {
  try {
    if (!navigator.storage || !navigator.storage.getDirectory) return null;
    const root = await (await navigator.storage.getDirectory()).getDirectoryHandle(ROOT, { create: true });
    return new PartialStore(root);
  } catch {
    return null;
  }
}
