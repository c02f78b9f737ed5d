// GhostView viewer page: the clipboard shared with the host (assist.js,
// "clipboard"), for a viewer the host gave `clipboard`. What the host copies
// is put on this device's clipboard at once when the browser lets the page
// write it, else the page offers a button (a click is what the browser
// asks for). "Send clipboard" reads this device's clipboard (text, or an
// image as PNG) and sends it; pasting into the page does the same.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { ClipboardAssembler, ClipboardMime, makeClipboard } from './assist.js';
import {
  ClipboardInbox, newClipboardId, pastedContent, pasteIntoField, readDeviceClipboard,
} from './clipboard.js';

export class ViewerClipboard {
  /**
   * `sendButton`, `takeButton`: the page's buttons; `send(text)`: puts a
   * message on the assist channel (false when it is not open); `toast(text)`.
   */
  constructor({ sendButton, takeButton, send, toast }) {
    this.sendButton = sendButton;
    this.sendMessage = send;
    this.toast = toast;
    this.allowed = false;
    this.assembler = new ClipboardAssembler();
    this.inbox = new ClipboardInbox({ takeButton });
    this.received = 0; // contents from the host (tests)
    this.lastReceived = null; // {mime, bytes, at}
    this.sent = 0;
    this.refused = 0; // refusals the host sent back
    sendButton.addEventListener('click', () => this.sendLocal());
    takeButton.addEventListener('click', () => this.takePending());
  }

  /** Whether the page shows a session and the host gave `clipboard`. */
  set({ watching, allowed }) {
    this.allowed = watching && allowed;
    this.sendButton.hidden = !this.allowed;
    if (!this.allowed) this.inbox.clear();
  }

  /** A "clipboard" piece from the host (a parseAssist result). */
  onPiece(piece) {
    if (!this.allowed) return;
    const whole = this.assembler.add(piece);
    if (whole) this.apply(whole);
  }

  /** The host refused what this page sent (a parseAssist "refused" about the clipboard). */
  onRefused(msg) {
    this.refused++;
    this.toast(msg.message, 8000);
  }

  async apply(content) {
    this.received++;
    this.lastReceived = { ...content, at: performance.now() };
    if (await this.inbox.put(content)) return; // the button waits for a click
    this.toast(content.mime === ClipboardMime.PNG ? 'The host copied an image: it is on your clipboard.'
      : 'The host copied text: it is on your clipboard.');
  }

  async takePending() {
    const error = await this.inbox.take();
    this.toast(error ? `This browser did not let the page use the clipboard (${error}).` : 'Copied what the host copied.');
  }

  /**
   * Sends `bytes` of `mime` to the host; false when it could not leave.
   * `evenIfNotAllowed`: whatever the page thinks it may (the host decides; tests).
   */
  sendContent(mime, bytes, { evenIfNotAllowed = false } = {}) {
    const pieces = makeClipboard(newClipboardId(), mime, bytes);
    if (!(this.allowed || evenIfNotAllowed) || !pieces) return false;
    for (const p of pieces) if (!this.sendMessage(p)) return false;
    this.sent++;
    return true;
  }

  /** "Send clipboard": this device's clipboard, read with the click's permission. */
  async sendLocal() {
    let content;
    try {
      content = await readDeviceClipboard();
    } catch (e) {
      this.toast(`This browser did not let the page read your clipboard (${e.message}). Paste into the picture instead (Ctrl+V).`);
      return;
    }
    this.report(this.sendContent(content.mime, content.bytes));
  }

  /** A paste into the page: its text (or image) goes to the host. */
  async onPaste(ev) {
    if (!this.allowed || pasteIntoField(ev)) return;
    const content = await pastedContent(ev);
    if (content) this.report(this.sendContent(content.mime, content.bytes));
  }

  report(ok) {
    this.toast(ok ? 'Your clipboard is on the host\'s now.' : 'Your clipboard could not be sent (over 10 MiB, or not connected).');
  }
}
