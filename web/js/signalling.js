// GhostView — the signalling WebSocket, shared by the viewer and host pages.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { MAX_MESSAGE_BYTES, makePing, signallingUrl, Type } from './protocol.js';

const KEEPALIVE_MS = 25000;

/**
 * One WebSocket to the server that served the page. `onMessage(msg)` gets
 * every parsed message; `onBinary(arrayBuffer)` every binary one (the
 * fallback's pictures, PROTOCOL.md "Fallback"); `onClose({code, reason,
 * wasOpen, byUs})` is called once, when the connection is gone for
 * whatever cause.
 */
export class Signalling {
  constructor({ url = signallingUrl(), onMessage, onBinary, onClose } = {}) {
    this.url = url;
    this.onMessage = onMessage || (() => {});
    this.onBinary = onBinary || (() => {});
    this.onClose = onClose || (() => {});
    this.ws = null;
    this.closedByUs = false;
    this.keepalive = 0;
    this.closeReported = false;
  }

  /** Resolves once open; rejects if the server cannot be reached. */
  open() {
    return new Promise((resolve, reject) => {
      let opened = false;
      let ws;
      try {
        ws = new WebSocket(this.url);
      } catch (e) {
        reject(e);
        return;
      }
      this.ws = ws;
      ws.binaryType = 'arraybuffer'; // pictures are parsed at once, not read from a Blob
      ws.addEventListener('open', () => {
        opened = true;
        // The server pings too; ours keeps proxies with short idle timers open.
        this.keepalive = setInterval(() => this.send(makePing()), KEEPALIVE_MS);
        resolve();
      });
      ws.addEventListener('message', (ev) => {
        if (ev.data instanceof ArrayBuffer) {
          this.onBinary(ev.data);
          return;
        }
        if (typeof ev.data !== 'string') return;
        let msg;
        try {
          msg = JSON.parse(ev.data);
        } catch {
          return;
        }
        if (!msg || typeof msg.type !== 'string' || msg.type === Type.PONG) return;
        this.onMessage(msg);
      });
      ws.addEventListener('close', (ev) => {
        clearInterval(this.keepalive);
        if (!opened) reject(new Error('Could not reach the GhostView server.'));
        if (this.closeReported) return;
        this.closeReported = true;
        this.onClose({ code: ev.code, reason: ev.reason, wasOpen: opened, byUs: this.closedByUs });
      });
    });
  }

  get isOpen() {
    return !!this.ws && this.ws.readyState === WebSocket.OPEN;
  }

  /** A binary message (the fallback's pictures, from a host); false when not sent. */
  sendBinary(bytes) {
    if (!this.isOpen) return false;
    this.ws.send(bytes);
    return true;
  }

  send(msg) {
    if (!this.isOpen) return false;
    const text = JSON.stringify(msg);
    if (text.length > MAX_MESSAGE_BYTES) return false;
    this.ws.send(text);
    return true;
  }

  /** Closes without reporting it as a loss (onClose still runs, byUs=true). */
  close() {
    this.closedByUs = true;
    clearInterval(this.keepalive);
    if (this.ws && this.ws.readyState <= WebSocket.OPEN) this.ws.close(1000);
  }
}
