// GhostView viewer page: the host's shared terminal (issue 18), shown with
// xterm.js from the web root (web/node_modules, `npm ci` in web/; no CDN).
// The host's output arrives as binary messages on the "terminal" channel
// (terminal-protocol.js); typing goes back only while the host granted
// `control` (the host checks it again on every message and answers a
// refusal, shown here). With control, the terminal follows this window's
// size (the host heeds the last size a viewer with control sent); view-only,
// it shows the host's size.
// SPDX-License-Identifier: LGPL-2.1-or-later
import './xterm-csp.js'; // before xterm.js: its <style> elements, under our CSP
import { Terminal } from '../node_modules/@xterm/xterm/lib/xterm.mjs';
import { FitAddon } from '../node_modules/@xterm/addon-fit/lib/addon-fit.mjs';
import {
  makeInputs, makeTerminalResize, MAX_TERMINAL_MESSAGE_BYTES, parseTerminalMessage, TerminalKind,
} from './terminal-protocol.js';

export class ViewerTerminal {
  /**
   * @param {object} ui {panel, screen, note}: the terminal's section, the
   *   element xterm.js draws in, a line for what the host said
   * @param {object} hooks {onOpen(), toast(text)}
   */
  constructor(ui, hooks) {
    this.ui = ui;
    this.hooks = hooks;
    this.channel = null;
    this.term = null;
    this.fit = null;
    this.control = false;
    this.hostSize = null;
    this.exited = null;
    this.refusals = 0;
    this.outputs = 0; // binary messages (output) received
    this.lastRefusalToast = 0;
    this.resizeTimer = 0;
    window.addEventListener('resize', () => this.scheduleFit());
  }

  /** The host's terminal channel: shown from its first message on. */
  adopt(channel) {
    this.drop();
    this.channel = channel;
    channel.binaryType = 'arraybuffer';
    const opened = () => {
      if (this.channel !== channel) return;
      this.show();
      this.hooks.onOpen?.();
    };
    channel.addEventListener('open', opened);
    channel.addEventListener('message', (ev) => {
      if (this.channel === channel) this.onMessage(ev.data);
    });
    channel.addEventListener('close', () => {
      if (this.channel !== channel) return;
      this.channel = null;
      this.setNote(this.exited ? this.exited : 'The terminal is no longer shared.');
    });
    if (channel.readyState === 'open') opened();
  }

  show() {
    if (!this.term) {
      // No blinking cursor: restarting the blink on every key changes the page, and
      // Chromium then draws that frame before it handles the echo, which waits for
      // the frame after (keystroke -> echo drawn, loopback, 3 runs each side by side:
      // p95 34.2-34.4 ms with blinking, 20.7-22.8 ms without;
      // tests/browser/43-terminal-echo.test.mjs).
      this.term = new Terminal({
        cursorBlink: false, convertEol: false, scrollback: 5000, fontSize: 14,
        fontFamily: 'ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace',
      });
      this.fit = new FitAddon();
      this.term.loadAddon(this.fit);
      this.term.open(this.ui.screen);
      this.term.onData((data) => this.type(data));
    }
    this.ui.panel.hidden = false;
    document.body.dataset.terminal = 'shown';
    this.scheduleFit();
    this.updateNote();
  }

  /** Whether this viewer may type (the host's `control`). */
  setControl(control) {
    if (this.control === control) return;
    this.control = control;
    this.updateNote();
    this.scheduleFit();
  }

  onMessage(data) {
    if (!this.term) this.show();
    if (data instanceof ArrayBuffer) {
      this.outputs++;
      this.term.write(new Uint8Array(data));
      return;
    }
    const msg = parseTerminalMessage(data);
    if (!msg) return;
    if (msg.kind === TerminalKind.SIZE) {
      this.hostSize = { cols: msg.cols, rows: msg.rows };
      // View-only: the host's size, whatever this window's.
      if (!this.control) this.term.resize(msg.cols, msg.rows);
    } else if (msg.kind === TerminalKind.EXIT) {
      this.exited = msg.message;
      this.term.write(`\r\n${msg.message}\r\n`);
      this.setNote(msg.message);
    } else if (msg.kind === TerminalKind.REFUSED) {
      this.refusals++;
      this.setNote(msg.message);
      // One toast a few seconds, not one per keystroke.
      const now = performance.now();
      if (now - this.lastRefusalToast > 3000) {
        this.lastRefusalToast = now;
        this.hooks.toast?.(msg.message);
      }
    }
  }

  /** Keystrokes and pastes, to the host (which checks `control` again). */
  type(data) {
    const ch = this.channel;
    if (!ch || ch.readyState !== 'open' || this.exited) return;
    for (const msg of makeInputs(data)) {
      const text = JSON.stringify(msg);
      if (new TextEncoder().encode(text).length <= MAX_TERMINAL_MESSAGE_BYTES) ch.send(text);
    }
  }

  scheduleFit() {
    clearTimeout(this.resizeTimer);
    this.resizeTimer = setTimeout(() => this.refit(), 100);
  }

  refit() {
    if (!this.term || this.ui.panel.hidden) return;
    if (!this.control) {
      if (this.hostSize) this.term.resize(this.hostSize.cols, this.hostSize.rows);
      return;
    }
    const dims = this.fit.proposeDimensions();
    if (!dims || !Number.isFinite(dims.cols) || !Number.isFinite(dims.rows)) return;
    const msg = makeTerminalResize(Math.max(2, dims.cols), Math.max(1, dims.rows));
    if (!msg) return;
    this.term.resize(msg.cols, msg.rows);
    const ch = this.channel;
    if (ch && ch.readyState === 'open') ch.send(JSON.stringify(msg));
  }

  updateNote() {
    if (this.exited) return;
    this.setNote(this.control ? 'You can type in this terminal.'
      : 'View only: the host has not given you control of this terminal.');
  }

  setNote(text) {
    this.ui.note.textContent = text;
  }

  /** The visible screen as text, one string a row (tests, and copying). */
  screenText() {
    if (!this.term) return [];
    const buf = this.term.buffer.active;
    const rows = [];
    for (let i = 0; i < buf.length; i++) rows.push(buf.getLine(i)?.translateToString(true) ?? '');
    return rows;
  }

  size() {
    return this.term ? { cols: this.term.cols, rows: this.term.rows } : null;
  }

  focus() {
    this.term?.focus();
  }

  /** Leaves the session: the channel goes, the terminal is cleared and hidden. */
  drop() {
    this.channel = null;
    this.exited = null;
    this.hostSize = null;
    if (this.term) {
      this.term.dispose();
      this.term = null;
      this.fit = null;
      this.ui.screen.replaceChildren();
    }
    this.ui.panel.hidden = true;
    delete document.body.dataset.terminal;
  }
}
