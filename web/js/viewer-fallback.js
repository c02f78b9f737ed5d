// GhostView viewer page: the fallback (signaling/PROTOCOL.md "Fallback").
// When the peer connection does not connect (UDP blocked and no TURN
// server, say), the page asks the host for JPEG stills over the signalling
// WebSocket, draws them on a <canvas> over the video, labelled as such,
// and sends the person's input back in `input` messages: slower, but a way
// out. Meanwhile it keeps asking for a new peer connection (`restart`), and
// goes back to WebRTC once one delivers video.
//
//   - the ask: once admitted, when a peer connection has not connected
//     within `?fallback=S` seconds (default 10; 0: never), or goes
//     `failed`; a host that cannot (`unavailable`), or sends no picture
//     within ASK_TIMEOUT_MS (a host without the fallback), is not asked
//     again on that peer connection;
//   - pictures: each drawn, then acknowledged (`ack`); one that comes while
//     the last is still decoding is dropped, and acknowledged all the same,
//     so the host sends on;
//   - input: what input.js would send on the data channel, batched: one
//     `input` message at most every INPUT_FLUSH_MS (the server counts
//     messages: 50 a second, burst 200);
//   - the way back: once the pictures show, a `restart` every
//     UPGRADE_RETRY_MS while the peer connection is not connected; once
//     one is connected and decodes frames, `stop`, and the video shows
//     again.
// SPDX-License-Identifier: LGPL-2.1-or-later
import {
  FallbackAction, Input, inputKind, makeFallback, makeInput, MAX_INPUT_EVENTS, parseFallbackFrame,
} from './protocol.js';
import { videoReceived } from './diagnose.js';

export const DEFAULT_FALLBACK_SECONDS = 10;
export const MAX_FALLBACK_SECONDS = 300;
/** How often the page asks for a new peer connection while in the fallback (the server allows one per 10 s). */
export const UPGRADE_RETRY_MS = 15000;
/** How long the first picture may take before the page takes the host for one without the fallback. */
export const ASK_TIMEOUT_MS = 10000;
/** How often it looks whether the peer connection delivers video. */
const UPGRADE_POLL_MS = 1000;
/** At most one `input` message this often (20 a second). */
export const INPUT_FLUSH_MS = 50;

/** The fallback's delay, seconds: `?fallback=S` in the page's query (0: never), else 10. */
export function fallbackSeconds(search = '') {
  const text = new URLSearchParams(search).get('fallback');
  const v = Number(text);
  return text && Number.isFinite(v) && v >= 0 && v <= MAX_FALLBACK_SECONDS ? v : DEFAULT_FALLBACK_SECONDS;
}

// Events a person waits to see acted on: sent without waiting for moves to gather.
const PROMPT_KINDS = new Set([
  Input.MOUSE_DOWN, Input.MOUSE_UP, Input.KEY_DOWN, Input.KEY_UP, Input.TOUCH_DOWN, Input.TOUCH_UP, Input.TOUCH_CANCEL,
]);

/**
 * Input events (input data channel messages) into `input` messages for
 * `send(msg)`: at most one every `intervalMs`, each of 1 to
 * MAX_INPUT_EVENTS events in the order they came. A press or a key goes at
 * once when the last message left at least `intervalMs` ago; moves wait
 * for the next message (a timer). Only a full batch goes sooner.
 */
export class InputBatcher {
  constructor(send, {
    intervalMs = INPUT_FLUSH_MS, now = () => performance.now(),
    setTimer = (fn, ms) => setTimeout(fn, ms), clearTimer = (id) => clearTimeout(id), // (a browser's need their `this`)
  } = {}) {
    Object.assign(this, { send, intervalMs, now, setTimer, clearTimer });
    this.queue = [];
    this.timer = 0;
    this.lastSentAt = null;
    this.messages = 0;
    this.events = 0;
  }

  /** Queues `event`; false when a message that carried it could not be sent. */
  push(event) {
    this.queue.push(event);
    if (this.queue.length >= MAX_INPUT_EVENTS) return this.flush();
    if (this.timer) return true;
    const wait = this.lastSentAt === null ? 0 : this.lastSentAt + this.intervalMs - this.now();
    if (wait <= 0 && PROMPT_KINDS.has(inputKind(event))) return this.flush();
    this.timer = this.setTimer(() => {
      this.timer = 0;
      this.flush();
    }, Math.max(0, wait));
    return true;
  }

  /** Sends what is queued now. */
  flush() {
    this.cancel();
    if (!this.queue.length) return true;
    const events = this.queue.splice(0, MAX_INPUT_EVENTS);
    this.lastSentAt = this.now();
    const sent = this.send(makeInput(events)) !== false;
    if (sent) {
      this.messages++;
      this.events += events.length;
    }
    return sent;
  }

  /** Forgets what is queued. */
  reset() {
    this.cancel();
    this.queue = [];
  }

  cancel() {
    if (this.timer) this.clearTimer(this.timer);
    this.timer = 0;
  }
}

const decodeJpeg = (bytes) => createImageBitmap(new Blob([bytes], { type: 'image/jpeg' }));

export class ViewerFallback {
  /**
   * `canvas`: where the pictures go (inside the surface, over the video);
   * `label`: the words that say this is the fallback; `seconds`: the delay
   * (0: never); `send(msg)`: to the server (false when it could not);
   * `restart()`: a new peer connection (the page sends `restart` and makes
   * it); `getPc()`: the current peer connection; `onChange()`: the
   * fallback started, showed its first picture, ended or was refused.
   * `decode(bytes)`: a JPEG to something drawImage takes (tests).
   */
  constructor({ canvas, label, seconds, send, restart, getPc, onChange = () => {}, decode = decodeJpeg }) {
    Object.assign(this, { canvas, label, seconds, send, restart, getPc, onChange, decode });
    this.context = null;
    this.input = null;
    this.reset();
  }

  /** A new session: nothing asked, nothing counted. */
  reset() {
    this.end();
    this.input = new InputBatcher((msg) => this.send(msg));
    this.refusedPc = null;
    this.unavailable = ''; // the host's reason, for the peer connection it refused on
    this.counts = {
      starts: 0, framesDrawn: 0, framesDropped: 0, decodeErrors: 0, upgrades: 0, restarts: 0,
    };
    this.last = { frame: 0, width: 0, height: 0 };
  }

  /** Whether pictures are asked for (`start` sent, no `stop` yet). */
  get active() {
    return this.phase !== 'off';
  }

  /** Whether the canvas shows the host's pictures (the first one is drawn). */
  get showing() {
    return this.phase === 'showing';
  }

  /** A new peer connection: the fallback's clock starts again, unless pictures are on already. */
  watch(pc) {
    clearTimeout(this.startTimer);
    this.startTimer = 0;
    if (pc !== this.refusedPc) this.unavailable = '';
    pc.addEventListener('connectionstatechange', () => {
      if (pc !== this.getPc()) return;
      if (pc.connectionState === 'connected') {
        clearTimeout(this.startTimer);
        this.startTimer = 0;
      } else if (pc.connectionState === 'failed') {
        this.begin(pc);
      }
    });
    if (this.active || !this.seconds) return;
    this.startTimer = setTimeout(() => {
      this.startTimer = 0;
      if (pc === this.getPc() && pc.connectionState !== 'connected') this.begin(pc);
    }, this.seconds * 1000);
  }

  /** Asks the host for pictures, for `pc` that did not connect. */
  begin(pc) {
    if (this.active || !this.seconds || !pc || pc === this.refusedPc) return;
    if (this.send(makeFallback(FallbackAction.START)) === false) return;
    this.phase = 'asking';
    this.counts.starts++;
    this.input.reset();
    this.askTimer = setTimeout(() => this.giveUp(`the host sent no picture in ${ASK_TIMEOUT_MS / 1000} s`), ASK_TIMEOUT_MS);
    this.pollTimer = setInterval(() => this.lookForVideo(), UPGRADE_POLL_MS);
    this.onChange();
  }

  /** A binary message from the server. */
  onPicture(data) {
    const p = parseFallbackFrame(data);
    if (!p || !this.active) return; // (pictures still on the way after a stop are not ours to acknowledge)
    if (this.decoding) {
      this.counts.framesDropped++;
      this.ack(p.frame);
      return;
    }
    this.decoding = true;
    this.decode(p.jpeg).then((image) => {
      if (this.active) this.draw(image, p);
      image.close?.();
    }, () => {
      this.counts.decodeErrors++;
    }).finally(() => {
      this.decoding = false;
      this.ack(p.frame);
    });
  }

  draw(image, p) {
    const { canvas } = this;
    if (canvas.width !== p.width || canvas.height !== p.height) {
      canvas.width = p.width;
      canvas.height = p.height;
    }
    this.context ||= canvas.getContext('2d', { alpha: false });
    this.context.drawImage(image, 0, 0, p.width, p.height);
    this.counts.framesDrawn++;
    this.last = { frame: p.frame, width: p.width, height: p.height };
    if (this.phase === 'showing') return;
    this.phase = 'showing';
    clearTimeout(this.askTimer);
    this.retryTimer = setInterval(() => this.tryWebRtc(), UPGRADE_RETRY_MS);
    canvas.hidden = false;
    this.label.hidden = false;
    this.onChange();
  }

  ack(frame) {
    if (this.active) this.send(makeFallback(FallbackAction.ACK, frame));
  }

  /** A `fallback` message from the host: only `unavailable` comes this way. */
  onMessage(msg) {
    if (msg.action === FallbackAction.UNAVAILABLE) this.refuse(String(msg.reason || 'the host does not offer it'));
  }

  /** The host (or the server) will not send pictures: not asked again on this peer connection. */
  refuse(reason) {
    this.refusedPc = this.getPc();
    this.unavailable = reason;
    this.end();
    this.onChange();
  }

  /** No picture came: the host is told to stop (should one still come), and not asked again on this connection. */
  giveUp(reason) {
    if (this.phase !== 'asking') return;
    this.send(makeFallback(FallbackAction.STOP));
    this.refuse(reason);
  }

  /** One input event (as the data channel takes it) while the pictures show. */
  sendInput(event) {
    return this.showing && this.input.push(event);
  }

  /** While in the fallback: a new peer connection, unless the one there connected. */
  tryWebRtc() {
    const pc = this.getPc();
    if (pc && pc.connectionState === 'connected') return; // its video is on the way: lookForVideo()
    this.counts.restarts++;
    this.restart();
  }

  /** Back to WebRTC once the peer connection is connected and frames decode. */
  async lookForVideo() {
    const pc = this.getPc();
    if (!this.active || !pc || pc.connectionState !== 'connected' || this.looking) return;
    this.looking = true;
    let frames = 0;
    try {
      frames = videoReceived(await pc.getStats()).framesDecoded;
    } catch { /* closed meanwhile */ }
    this.looking = false;
    if (!frames || !this.active || pc !== this.getPc()) return;
    this.input.flush(); // (what the person did still reaches the host before the stop)
    this.send(makeFallback(FallbackAction.STOP));
    this.counts.upgrades++;
    this.end();
    this.onChange();
  }

  /** Stops everything of the fallback here (sends nothing). */
  end() {
    clearTimeout(this.startTimer);
    clearTimeout(this.askTimer);
    clearInterval(this.retryTimer);
    clearInterval(this.pollTimer);
    this.startTimer = 0;
    this.askTimer = 0;
    this.retryTimer = 0;
    this.pollTimer = 0;
    this.phase = 'off';
    this.input?.reset();
    this.canvas.hidden = true;
    this.label.hidden = true;
  }

  /** For tests (window.ghostviewViewer.fallback). */
  snapshot() {
    return {
      active: this.active,
      showing: this.showing,
      seconds: this.seconds,
      unavailable: this.unavailable,
      ...this.counts,
      lastFrame: this.last.frame,
      lastWidth: this.last.width,
      lastHeight: this.last.height,
      inputMessages: this.input.messages,
      inputEvents: this.input.events,
    };
  }
}
