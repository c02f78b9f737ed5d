// GhostView — the pages' file list: what goes to and comes from the other
// side (web/js/files.js events), each with a progress bar, Cancel while it
// runs, Save when a file has arrived, and why a transfer failed. DOM built
// with createElement and textContent only (names are the peer's words).
// SPDX-License-Identifier: LGPL-2.1-or-later

const MIB = 1024 * 1024;

function sizeText(bytes) {
  if (bytes >= MIB) return `${(bytes / MIB).toFixed(1)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} B`;
}

// What a person reads for each failure code (plugins/webrtc/gvfilejson.h).
const FAILURES = Object.freeze({
  TOO_LARGE: 'too large',
  NOT_ALLOWED: 'not allowed by the host',
  DISK_FULL: 'the disk is full',
  DAMAGED: 'arrived damaged, not saved',
  CANCELLED: 'cancelled',
  BUSY: 'another file is on its way; try again after it',
  BAD_MESSAGE: 'the transfer broke off',
  FAILED: 'failed',
});

// A name as shown: the peer's words, without control characters (a newline,
// an escape) or format ones (U+202E would show "invoice\u202efdp.exe" as
// "invoiceexe.pdf"), each a '_' as the C++ receiver saves it
// (gvincomingfile.cpp).
const shownFileName = (name) => String(name).replace(/[\p{Cc}\p{Cf}]/gu, '_');

// An upload that failed for the receiver's reason says whose it is: "the
// disk is full" under a file this person sent reads as their own disk.
const OUTGOING_FAILURES = Object.freeze({
  DISK_FULL: "the other side's disk is full",
});

export class FilePanel {
  /**
   * `list`: the element the rows go in. `onCancel()`: the person cancelled
   * (one transfer each way at a time: cancel stops what runs).
   */
  constructor(list, { onCancel = () => {} } = {}) {
    this.list = list;
    this.onCancel = onCancel;
    this.rows = new Map(); // `${direction}:${id}` -> row elements
  }

  row(e) {
    const key = `${e.direction}:${e.id}`;
    let r = this.rows.get(key);
    if (r) return r;
    const li = document.createElement('li');
    li.className = 'file-row';
    li.dataset.direction = e.direction;
    li.dataset.id = e.id;
    const name = document.createElement('span');
    name.className = 'file-name';
    name.textContent = `${e.direction === 'incoming' ? '⬇' : '⬆'} ${shownFileName(e.name)}`;
    const bar = document.createElement('progress');
    bar.max = Math.max(e.size, 1);
    bar.value = 0;
    const status = document.createElement('span');
    status.className = 'file-status';
    const cancel = document.createElement('button');
    cancel.type = 'button';
    cancel.className = 'btn ghost file-cancel';
    cancel.textContent = 'Cancel';
    cancel.addEventListener('click', () => this.onCancel(e));
    li.append(name, bar, status, cancel);
    this.list.prepend(li);
    r = { li, name, bar, status, cancel };
    this.rows.set(key, r);
    return r;
  }

  /** One event of web/js/files.js. */
  update(e) {
    const r = this.row(e);
    r.li.dataset.state = e.state;
    r.bar.value = e.bytes;
    switch (e.state) {
      case 'offered':
        r.status.textContent = e.direction === 'incoming' ? 'arriving…' : 'waiting for the other side…';
        break;
      case 'accepted':
      case 'progress':
        r.status.textContent = `${sizeText(e.bytes)} of ${sizeText(e.size)}`;
        break;
      case 'done':
        r.bar.value = r.bar.max;
        r.cancel.hidden = true;
        if (e.direction === 'incoming' && e.blob) {
          const a = document.createElement('a');
          a.className = 'btn file-save';
          a.href = URL.createObjectURL(e.blob);
          a.download = e.name;
          a.textContent = 'Save';
          r.status.textContent = sizeText(e.size);
          r.li.append(a);
        } else {
          // The receiver's `done` says what it saved the file as: a name it
          // had to change (unsafe, or taken) is worth telling the sender.
          const savedAs = e.savedAs ? shownFileName(e.savedAs) : '';
          r.status.textContent = savedAs && savedAs !== shownFileName(e.name) ? `delivered, saved as ${savedAs}` : 'delivered';
        }
        break;
      case 'failed':
        r.cancel.hidden = true;
        r.status.textContent = `${(e.direction === 'outgoing' && OUTGOING_FAILURES[e.code]) || FAILURES[e.code] || 'failed'}${e.message && !FAILURES[e.code] ? `: ${e.message}` : ''}`;
        r.status.title = e.message || '';
        break;
      default:
        break;
    }
  }
}
