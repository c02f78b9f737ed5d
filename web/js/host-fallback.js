// The browser host page's side of the fallback (signaling/PROTOCOL.md,
// "Fallback"): a viewer whose peer connection did not connect asks for
// pictures; the page draws its own capture (the preview <video>) on a
// canvas, at most 1280x720 with its aspect kept, encodes it as JPEG and
// sends it over the signalling WebSocket, at most FPS a second and never
// more than IN_FLIGHT pictures a viewer has not acknowledged. Input from
// such a viewer has nowhere to go: the browser host page takes no control.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { FallbackAction, makeFallbackFrame, makeFallbackUnavailable } from './protocol.js';

const FPS = 10;
const IN_FLIGHT = 2;
const MAX_WIDTH = 1280;
const MAX_HEIGHT = 720;
const JPEG_QUALITY = 0.75;

/** The size a `width`x`height` capture is sent at: within 1280x720, same aspect, even. */
export function pictureSize(width, height) {
  let w = width;
  let h = height;
  if (w > MAX_WIDTH) { h = Math.floor((h * MAX_WIDTH) / w); w = MAX_WIDTH; }
  if (h > MAX_HEIGHT) { w = Math.floor((w * MAX_HEIGHT) / h); h = MAX_HEIGHT; }
  return { width: Math.max(2, w & ~1), height: Math.max(2, h & ~1) };
}

export class HostFallback {
  /**
   * `video`: the preview of what is shared; `isViewer(conn, peer)`: an
   * admitted viewer of that connection; `onChange()`: who is on it changed.
   */
  constructor({ video, isViewer, onChange = () => {} }) {
    this.video = video;
    this.isViewer = isViewer;
    this.onChange = onChange;
    this.viewers = new Map(); // peer -> {conn, inFlight, frame}
    this.timer = 0;
    this.busy = false; // a picture is being encoded
    this.canvas = document.createElement('canvas');
    this.sent = 0;
  }

  /** A viewer's `fallback` message (start, stop, ack), relayed by the server. */
  onMessage(conn, msg) {
    const peer = String(msg.peer || '');
    if (!this.isViewer(conn, peer)) return;
    if (msg.action === FallbackAction.START) {
      if (!this.video.videoWidth) {
        conn.signalling.send(makeFallbackUnavailable(peer, 'the host is not sharing anything right now'));
        return;
      }
      this.viewers.set(peer, { conn, inFlight: 0, frame: 0 });
    } else if (msg.action === FallbackAction.STOP) {
      this.viewers.delete(peer);
    } else if (msg.action === FallbackAction.ACK) {
      const v = this.viewers.get(peer);
      if (v && v.inFlight > 0) v.inFlight--;
      return;
    } else {
      return;
    }
    this.schedule();
    this.onChange();
  }

  /** The viewer is gone (left, removed, its connection retired). */
  forget(peer) {
    if (this.viewers.delete(peer)) {
      this.schedule();
      this.onChange();
    }
  }

  get count() {
    return this.viewers.size;
  }

  schedule() {
    if (this.viewers.size && !this.timer) this.timer = setInterval(() => this.tick(), 1000 / FPS);
    if (!this.viewers.size && this.timer) {
      clearInterval(this.timer);
      this.timer = 0;
    }
  }

  async tick() {
    const ready = [...this.viewers].filter(([, v]) => v.inFlight < IN_FLIGHT && v.conn.signalling?.isOpen);
    if (this.busy || !ready.length || !this.video.videoWidth) return;
    this.busy = true;
    try {
      const { width, height } = pictureSize(this.video.videoWidth, this.video.videoHeight);
      this.canvas.width = width;
      this.canvas.height = height;
      this.canvas.getContext('2d').drawImage(this.video, 0, 0, width, height);
      const blob = await new Promise((resolve) => this.canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY));
      if (!blob) return;
      const jpeg = new Uint8Array(await blob.arrayBuffer());
      for (const [peer, v] of ready) {
        if (!this.viewers.has(peer)) continue; // stopped meanwhile
        const message = makeFallbackFrame(peer, v.frame + 1, width, height, jpeg);
        if (!message || !v.conn.signalling.sendBinary(message)) continue;
        v.frame++;
        v.inFlight++;
        this.sent++;
      }
    } finally {
      this.busy = false;
    }
  }
}
