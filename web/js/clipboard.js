// GhostView: the device's clipboard, for both pages that share it over the
// "assist" channel (assist.js, "clipboard"): the viewer page
// (viewer-clipboard.js) and the browser host page (host-clipboard.js).
// Reading it (the "Send clipboard" click, a paste), writing it (what the
// other side copied), and, when the browser will not let the page write
// without a click (no focus, no permission), keeping the content for a
// button that writes it on that click.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { ClipboardMime, MAX_CLIPBOARD_BYTES } from './assist.js';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** A new clipboard content id: 32 hex digits from the CSPRNG. */
export function newClipboardId() {
  const b = new Uint8Array(16);
  crypto.getRandomValues(b);
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Clipboard content of text. */
export function textContent(text) {
  return { mime: ClipboardMime.TEXT, bytes: new TextEncoder().encode(text) };
}

/**
 * Why content {mime, bytes} cannot be put on a clipboard, as a sentence, or
 * '' when it can (the native host refuses the same: gvinputclipboard.cpp).
 */
export function contentProblem({ mime, bytes }) {
  if (!Object.values(ClipboardMime).includes(mime)) return `${mime} is not clipboard content GhostView shares.`;
  if (!(bytes instanceof Uint8Array) || bytes.length === 0) return 'The clipboard is empty.';
  if (bytes.length > MAX_CLIPBOARD_BYTES) return 'The clipboard holds more than 10 MiB.';
  if (mime === ClipboardMime.TEXT) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    } catch {
      return 'The text is not UTF-8.';
    }
    if (bytes.includes(0)) return 'The text has a NUL character.';
  } else if (bytes.length < PNG_SIGNATURE.length || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    return 'The image is not a PNG.';
  }
  return '';
}

/** Whether two contents are the same kind and bytes. */
export function sameContent(a, b) {
  if (!a || !b || a.mime !== b.mime || a.bytes.length !== b.bytes.length) return false;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return false;
  return true;
}

/**
 * The device's clipboard, read with the permission of the click that asked:
 * an image as PNG when there is one, else its text. Rejects when the
 * browser does not let the page read it.
 */
export async function readDeviceClipboard() {
  if (navigator.clipboard.read) {
    for (const item of await navigator.clipboard.read()) {
      if (item.types.includes(ClipboardMime.PNG)) {
        const blob = await item.getType(ClipboardMime.PNG);
        return { mime: ClipboardMime.PNG, bytes: new Uint8Array(await blob.arrayBuffer()) };
      }
    }
  }
  return textContent(await navigator.clipboard.readText());
}

/** What a paste event carries (a PNG, else text), or null when nothing of it is shared. */
export async function pastedContent(ev) {
  if (!ev.clipboardData) return null;
  const image = [...ev.clipboardData.files].find((f) => f.type === ClipboardMime.PNG);
  if (image) return { mime: ClipboardMime.PNG, bytes: new Uint8Array(await image.arrayBuffer()) };
  const text = ev.clipboardData.getData('text/plain');
  return text ? textContent(text) : null;
}

/** A paste into a text field is typing, not clipboard sharing. */
export function pasteIntoField(ev) {
  const t = ev.target;
  return !!t && t.nodeType === 1 && (t.isContentEditable || !!t.closest('input, textarea, select'));
}

/** Puts content {mime, bytes} on the device's clipboard; rejects when the browser refuses. */
export function writeDeviceClipboard({ mime, bytes }) {
  if (mime === ClipboardMime.TEXT) return navigator.clipboard.writeText(new TextDecoder().decode(bytes));
  return navigator.clipboard.write([new ClipboardItem({ [mime]: new Blob([bytes], { type: mime }) })]);
}

/**
 * Content the other side copied, for the device's clipboard: written at
 * once when the browser lets the page, else kept for `takeButton`, whose
 * click writes it (a click is what the browser asks for).
 */
export class ClipboardInbox {
  /**
   * `takeButton`: shown while content waits for a click; `write`: puts
   * content on the clipboard (writeDeviceClipboard; tests pass their own).
   */
  constructor({ takeButton, write = writeDeviceClipboard }) {
    this.takeButton = takeButton;
    this.write = write;
    this.pending = null;
  }

  /** Resolves '' once `content` is on the clipboard, else why not (it then waits for the button). */
  async put(content) {
    try {
      await this.write(content);
      this.clear();
      return '';
    } catch (e) {
      // Not focused, or the browser asks for a click first.
      this.pending = content;
      this.takeButton.hidden = false;
      return (e && e.message) || String(e);
    }
  }

  /** The button's click: resolves '' once the waiting content is written, else why not. */
  async take() {
    if (!this.pending) return 'Nothing is waiting to be copied.';
    try {
      await this.write(this.pending);
      this.clear();
      return '';
    } catch (e) {
      return (e && e.message) || String(e);
    }
  }

  /** Nothing waits any more (written, or no longer wanted). */
  clear() {
    this.pending = null;
    this.takeButton.hidden = true;
  }
}

// A channel holding this much unsent waits before the next piece: 10 MiB of
// content is 13.3 MiB of pieces, and a browser closes a channel whose send
// buffer overflows.
const HIGH_WATER_BYTES = 1024 * 1024;
const LOW_WATER_BYTES = 256 * 1024;

/**
 * Sends the pieces of one content on `channel`, never more than a MiB
 * unsent. Resolves true once every piece left, false when the channel
 * closed or `stillWanted()` turned false (newer content replaced it; the
 * receiver drops a content whose pieces stop).
 */
export async function sendPieces(channel, pieces, stillWanted = () => true) {
  channel.bufferedAmountLowThreshold = LOW_WATER_BYTES;
  for (const piece of pieces) {
    while (channel.readyState === 'open' && channel.bufferedAmount > HIGH_WATER_BYTES) {
      await new Promise((resolve) => {
        const done = () => {
          channel.removeEventListener('bufferedamountlow', done);
          channel.removeEventListener('close', done);
          resolve();
        };
        channel.addEventListener('bufferedamountlow', done);
        channel.addEventListener('close', done);
      });
    }
    if (channel.readyState !== 'open' || !stillWanted()) return false;
    channel.send(piece);
  }
  return true;
}
