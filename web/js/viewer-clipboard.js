// GhostView viewer page: the clipboard shared with the host (assist.js,
// "clipboard"), for a viewer the host gave `clipboard`. What the host copies
// is put on this device's clipboard at once when the browser lets the page
// write it, else the page offers a button (a click is what the browser
// asks for). "Send clipboard" reads this device's clipboard (text, or an
// image as PNG) and sends it; pasting into the page does the same.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { ClipboardAssembler, ClipboardMime, makeClipboard } from './assist.js';

function newId() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export class ViewerClipboard {
  /**
   * `sendButton`, `takeButton`: the page's buttons; `send(text)`: puts a
   * message on the assist channel (false when it is not open); `toast(text)`.
   */
  constructor({ sendButton, takeButton, send, toast }) {
    this.sendButton = sendButton;
    this.takeButton = takeButton;
    this.sendMessage = send;
    this.toast = toast;
    this.allowed = false;
    this.assembler = new ClipboardAssembler();
    this.pending = null; // host content the browser would not let us write yet
    this.received = 0; // contents from the host (tests)
    this.lastReceived = null; // {mime, bytes, at}
    this.sent = 0;
    sendButton.addEventListener('click', () => this.sendLocal());
    takeButton.addEventListener('click', () => this.takePending());
  }

  /** Whether the page shows a session and the host gave `clipboard`. */
  set({ watching, allowed }) {
    this.allowed = watching && allowed;
    this.sendButton.hidden = !this.allowed;
    if (!this.allowed) this.takeButton.hidden = true;
  }

  /** A "clipboard" piece from the host (a parseAssist result). */
  onPiece(piece) {
    if (!this.allowed) return;
    const whole = this.assembler.add(piece);
    if (whole) this.apply(whole);
  }

  async apply(content) {
    this.received++;
    this.lastReceived = { ...content, at: performance.now() };
    try {
      await this.write(content);
      this.pending = null;
      this.takeButton.hidden = true;
      this.toast(content.mime === ClipboardMime.PNG ? 'The host copied an image: it is on your clipboard.'
        : 'The host copied text: it is on your clipboard.');
    } catch {
      // Not focused, or the browser asks for a click first.
      this.pending = content;
      this.takeButton.hidden = false;
    }
  }

  write({ mime, bytes }) {
    if (mime === ClipboardMime.TEXT) return navigator.clipboard.writeText(new TextDecoder().decode(bytes));
    return navigator.clipboard.write([new ClipboardItem({ [mime]: new Blob([bytes], { type: mime }) })]);
  }

  async takePending() {
    if (!this.pending) return;
    try {
      await this.write(this.pending);
      this.pending = null;
      this.takeButton.hidden = true;
      this.toast('Copied what the host copied.');
    } catch (e) {
      this.toast(`This browser did not let the page use the clipboard (${e.message}).`);
    }
  }

  /** Sends `bytes` of `mime` to the host; false when it could not leave. */
  sendContent(mime, bytes) {
    const pieces = makeClipboard(newId(), mime, bytes);
    if (!this.allowed || !pieces) return false;
    for (const p of pieces) if (!this.sendMessage(p)) return false;
    this.sent++;
    return true;
  }

  /** "Send clipboard": this device's clipboard, read with the click's permission. */
  async sendLocal() {
    try {
      if (navigator.clipboard.read) {
        for (const item of await navigator.clipboard.read()) {
          if (item.types.includes(ClipboardMime.PNG)) {
            const blob = await item.getType(ClipboardMime.PNG);
            this.report(this.sendContent(ClipboardMime.PNG, new Uint8Array(await blob.arrayBuffer())));
            return;
          }
        }
      }
      const text = await navigator.clipboard.readText();
      this.report(this.sendContent(ClipboardMime.TEXT, new TextEncoder().encode(text)));
    } catch (e) {
      this.toast(`This browser did not let the page read your clipboard (${e.message}). Paste into the picture instead (Ctrl+V).`);
    }
  }

  /** A paste into the page: its text (or image) goes to the host. */
  onPaste(ev) {
    if (!this.allowed || !ev.clipboardData) return;
    const image = [...ev.clipboardData.files].find((f) => f.type === ClipboardMime.PNG);
    if (image) {
      image.arrayBuffer().then((b) => this.report(this.sendContent(ClipboardMime.PNG, new Uint8Array(b))));
      return;
    }
    const text = ev.clipboardData.getData('text/plain');
    if (text) this.report(this.sendContent(ClipboardMime.TEXT, new TextEncoder().encode(text)));
  }

  report(ok) {
    this.toast(ok ? 'Your clipboard is on the host\'s now.' : 'Your clipboard could not be sent (over 10 MiB, or not connected).');
  }
}
