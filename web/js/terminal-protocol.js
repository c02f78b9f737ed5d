// GhostView terminal channel, the browser's side of its messages. One
// ordered, reliable data channel labelled "terminal" per viewer, opened by a
// host that shares a terminal (gvwebrtcsink terminal=true).
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Defined once in C++ (plugins/webrtc/gvterminaljson.h); this module
// mirrors it.
//
//   host -> viewer   binary: the terminal's output, bytes as written (the
//                    first ones after the channel opens: recent output)
//   host -> viewer   {"t":"size","cols":C,"rows":R}   the terminal's size
//   host -> viewer   {"t":"exit","status":N,"message":"[process exited with status N]"}
//   host -> viewer   {"t":"refused","what":"input"|"message","message":SENTENCE}
//   viewer -> host   {"t":"input","data":TEXT}   typing (needs `control`)
//   viewer -> host   {"t":"resize","cols":C,"rows":R}   the view's size (heeded from
//                    the viewer with control that sent one last)

export const TERMINAL_CHANNEL = 'terminal';
export const MAX_TERMINAL_MESSAGE_BYTES = 8 * 1024;
export const MAX_TERMINAL_INPUT_BYTES = 4096;
export const MIN_TERMINAL_COLS = 2;
export const MAX_TERMINAL_COLS = 500;
export const MIN_TERMINAL_ROWS = 1;
export const MAX_TERMINAL_ROWS = 300;

export const TerminalKind = Object.freeze({
  INPUT: 'input', RESIZE: 'resize', SIZE: 'size', EXIT: 'exit', REFUSED: 'refused',
});

const encoder = new TextEncoder();

/**
 * Typed text as input messages: pieces of at most MAX_TERMINAL_INPUT_BYTES
 * bytes of UTF-8, never splitting a character; NUL characters dropped (the
 * host refuses them).
 */
export function makeInputs(text) {
  const clean = String(text).replace(/\u0000/g, '');
  const out = [];
  let piece = '';
  let bytes = 0;
  for (const ch of clean) {
    const n = encoder.encode(ch).length;
    if (bytes + n > MAX_TERMINAL_INPUT_BYTES) {
      out.push({ t: TerminalKind.INPUT, data: piece });
      piece = '';
      bytes = 0;
    }
    piece += ch;
    bytes += n;
  }
  if (piece) out.push({ t: TerminalKind.INPUT, data: piece });
  return out;
}

/** A resize message, or null when out of range. */
export function makeTerminalResize(cols, rows) {
  if (!Number.isInteger(cols) || !Number.isInteger(rows)) return null;
  if (cols < MIN_TERMINAL_COLS || cols > MAX_TERMINAL_COLS) return null;
  if (rows < MIN_TERMINAL_ROWS || rows > MAX_TERMINAL_ROWS) return null;
  return { t: TerminalKind.RESIZE, cols, rows };
}

/** A host's text message as {kind, ...}, or null when it is none of ours. */
export function parseTerminalMessage(text) {
  if (typeof text !== 'string' || text.length > 64 * 1024) return null;
  let m;
  try {
    m = JSON.parse(text);
  } catch {
    return null;
  }
  if (!m || typeof m !== 'object') return null;
  switch (m.t) {
    case TerminalKind.SIZE:
      if (!Number.isInteger(m.cols) || !Number.isInteger(m.rows)) return null;
      if (m.cols < MIN_TERMINAL_COLS || m.cols > MAX_TERMINAL_COLS) return null;
      if (m.rows < MIN_TERMINAL_ROWS || m.rows > MAX_TERMINAL_ROWS) return null;
      return { kind: m.t, cols: m.cols, rows: m.rows };
    case TerminalKind.EXIT:
      if (!Number.isInteger(m.status)) return null;
      return { kind: m.t, status: m.status, message: `[process exited with status ${m.status}]` };
    case TerminalKind.REFUSED:
      if (typeof m.message !== 'string') return null;
      return { kind: m.t, what: String(m.what || ''), message: m.message.slice(0, 256) };
    default:
      return null;
  }
}
