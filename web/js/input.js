// GhostView — the viewer's remote control: mouse, pen, wheel and keyboard
// on the <video> become compact input messages (built by protocol.js) in the
// host's picture coordinates, normalised to 0..1. Touch is touch.js's: it
// tells a tap from a pinch before sending anything.
// SPDX-License-Identifier: LGPL-2.1-or-later
import {
  InputButton, InputModifier, makeKey, makeMouseButton, makeMouseMove, makeWheel, withModifierState,
} from './protocol.js';

/**
 * Where the picture is drawn inside a <video> (or the fallback's <canvas>,
 * viewer-fallback.js) with `object-fit: contain`: {left, top, width, height}
 * in client pixels, or null before the first frame.
 */
export function pictureRect(video) {
  const box = video.getBoundingClientRect();
  const vw = video.videoWidth ?? video.width; // a canvas: the picture drawn on it
  const vh = video.videoHeight ?? video.height;
  if (!vw || !vh || !box.width || !box.height) return null;
  const scale = Math.min(box.width / vw, box.height / vh);
  const width = vw * scale;
  const height = vh * scale;
  return {
    left: box.left + (box.width - width) / 2,
    top: box.top + (box.height - height) / 2,
    width,
    height,
  };
}

/**
 * A client point to picture coordinates in 0..1, or null when it falls on the
 * letterbox bars (outside the picture) and `clamp` is false.
 */
export function normalisedPoint(video, clientX, clientY, clamp = false) {
  const r = pictureRect(video);
  if (!r) return null;
  let x = (clientX - r.left) / r.width;
  let y = (clientY - r.top) / r.height;
  if (!clamp && (x < 0 || x > 1 || y < 0 || y > 1)) return null;
  x = Math.min(1, Math.max(0, x));
  y = Math.min(1, Math.max(0, y));
  // 5 decimals: 1/100000 of the picture, finer than any screen's pixel.
  return { x: Math.round(x * 1e5) / 1e5, y: Math.round(y * 1e5) / 1e5 };
}

// DOM KeyboardEvent.code/.key -> X keysym names (what gvinputinject and the
// compact form speak). Left/right modifiers come from `code`.
const KEYSYM_BY_CODE = {
  ShiftLeft: 'Shift_L', ShiftRight: 'Shift_R',
  ControlLeft: 'Control_L', ControlRight: 'Control_R',
  AltLeft: 'Alt_L', AltRight: 'Alt_R',
  MetaLeft: 'Super_L', MetaRight: 'Super_R', OSLeft: 'Super_L', OSRight: 'Super_R',
};
const KEYSYM_BY_KEY = {
  Enter: 'Return', Backspace: 'BackSpace', Tab: 'Tab', Escape: 'Escape', ' ': 'space',
  Delete: 'Delete', Insert: 'Insert', Home: 'Home', End: 'End',
  PageUp: 'Page_Up', PageDown: 'Page_Down',
  ArrowLeft: 'Left', ArrowRight: 'Right', ArrowUp: 'Up', ArrowDown: 'Down',
  CapsLock: 'Caps_Lock', NumLock: 'Num_Lock', ScrollLock: 'Scroll_Lock',
  Pause: 'Pause', PrintScreen: 'Print', ContextMenu: 'Menu',
  Shift: 'Shift_L', Control: 'Control_L', Alt: 'Alt_L', Meta: 'Super_L', AltGraph: 'ISO_Level3_Shift',
};

/** The X keysym name for a KeyboardEvent, or '' when it has none we send. */
export function keysymFor(ev) {
  if (KEYSYM_BY_CODE[ev.code]) return KEYSYM_BY_CODE[ev.code];
  if (KEYSYM_BY_KEY[ev.key]) return KEYSYM_BY_KEY[ev.key];
  if (/^F([1-9]|1[0-9]|2[0-4])$/.test(ev.key)) return ev.key;
  // One printable character ("a", "A", "€"): sent as is.
  if ([...ev.key].length === 1) return ev.key;
  return ''; // "Dead", "Unidentified", "Process" (IME) ...
}

/** Adds the modifier state ("shift-mask+control-mask") when a modifier is held. */
function withModifiers(msg, ev) {
  const m = [];
  if (ev.shiftKey) m.push(InputModifier.SHIFT);
  if (ev.ctrlKey) m.push(InputModifier.CONTROL);
  if (ev.altKey) m.push(InputModifier.ALT);
  if (ev.metaKey) m.push(InputModifier.META);
  return withModifierState(msg, m);
}

// MouseEvent.button (0 left, 1 middle, 2 right, 3 back, 4 forward) -> InputButton.
const DOM_TO_GST_BUTTON = [
  InputButton.LEFT, InputButton.MIDDLE, InputButton.RIGHT, InputButton.BACK, InputButton.FORWARD,
];
const WHEEL_STEP_PX = 100; // one wheel notch in Chromium and Firefox

/**
 * Captures input on `surface` (the element over the video; it must be
 * focusable) and hands each message to `send(obj)` while enabled.
 * Coordinates are of the picture in `video`, or of the element setTarget()
 * names (the fallback's canvas).
 */
export class RemoteInput {
  constructor(video, surface, send) {
    this.video = video;
    this.surface = surface;
    this.send = send;
    this.enabled = false;
    this.heldKeys = new Map(); // code -> keysym
    this.heldButtons = new Set();
    this.pendingMove = null;
    this.moveFrame = 0;
    this.wheelAccum = { x: 0, y: 0 };
    this.lastPoint = { x: 0.5, y: 0.5 };
    this.sent = 0;
    this.enabledListeners = [];
    this.handlers = {
      pointerdown: (e) => this.onPointerDown(e),
      pointermove: (e) => this.onPointerMove(e),
      pointerup: (e) => this.onPointerUp(e),
      wheel: (e) => this.onWheel(e),
      keydown: (e) => this.onKey(e, true),
      keyup: (e) => this.onKey(e, false),
      contextmenu: (e) => e.preventDefault(),
      blur: () => this.releaseAll(),
    };
    for (const [name, fn] of Object.entries(this.handlers)) {
      surface.addEventListener(name, fn, { passive: false });
    }
  }

  /**
   * The element whose picture the coordinates are of: the <video>, or the
   * fallback's <canvas> while it shows the host's pictures (the same
   * normalised 0..1 of the whole picture either way).
   */
  setTarget(element) {
    this.video = element;
  }

  setEnabled(on) {
    if (this.enabled === on) return;
    if (!on) this.releaseAll();
    this.enabled = on;
    this.surface.classList.toggle('controlling', on);
    if (on) this.surface.focus({ preventScroll: true });
    for (const fn of this.enabledListeners) fn(on);
  }

  /** Calls `fn(enabled)` whenever control is given or taken away. */
  onEnabledChange(fn) {
    this.enabledListeners.push(fn);
  }

  emit(msg) {
    if (!this.enabled) return;
    if (this.send(msg)) this.sent++;
  }

  point(e, clamp) {
    const p = normalisedPoint(this.video, e.clientX, e.clientY, clamp);
    if (p) this.lastPoint = p;
    return p;
  }

  flushMove() {
    this.moveFrame = 0;
    if (this.pendingMove) {
      this.emit(this.pendingMove);
      this.pendingMove = null;
    }
  }

  onPointerDown(e) {
    if (!this.enabled || e.pointerType === 'touch') return;
    this.surface.focus({ preventScroll: true });
    const p = this.point(e, false);
    if (!p) return; // on the letterbox bars
    e.preventDefault();
    this.surface.setPointerCapture?.(e.pointerId);
    this.flushMove();
    const b = DOM_TO_GST_BUTTON[e.button] || InputButton.LEFT;
    this.heldButtons.add(b);
    this.emit(withModifiers(makeMouseButton(true, p.x, p.y, b), e));
  }

  onPointerMove(e) {
    if (!this.enabled || e.pointerType === 'touch') return;
    const p = this.point(e, this.heldButtons.size > 0);
    if (!p) return;
    // At most one move per animation frame: the host drops bursts anyway.
    this.pendingMove = makeMouseMove(p.x, p.y);
    if (!this.moveFrame) this.moveFrame = requestAnimationFrame(() => this.flushMove());
  }

  onPointerUp(e) {
    if (!this.enabled || e.pointerType === 'touch') return;
    const p = this.point(e, true) || this.lastPoint;
    this.flushMove();
    const b = DOM_TO_GST_BUTTON[e.button] || InputButton.LEFT;
    if (!this.heldButtons.delete(b)) return;
    e.preventDefault();
    this.emit(withModifiers(makeMouseButton(false, p.x, p.y, b), e));
  }

  onWheel(e) {
    if (!this.enabled) return;
    const p = this.point(e, false);
    if (!p) return;
    e.preventDefault();
    const unit = e.deltaMode === 1 ? 1 / 3 : e.deltaMode === 2 ? 1 : 1 / WHEEL_STEP_PX;
    this.wheelAccum.x += e.deltaX * unit;
    this.wheelAccum.y += e.deltaY * unit;
    const stepX = Math.trunc(this.wheelAccum.x);
    const stepY = Math.trunc(this.wheelAccum.y);
    if (!stepX && !stepY) return;
    this.wheelAccum.x -= stepX;
    this.wheelAccum.y -= stepY;
    // DOM: positive deltaY scrolls down; GstNavigation: positive dy is up.
    this.emit(makeWheel(p.x, p.y, -stepX, -stepY));
  }

  onKey(e, down) {
    if (!this.enabled || e.isComposing) return;
    const k = keysymFor(e);
    if (!k) return;
    e.preventDefault();
    e.stopPropagation();
    if (down) {
      this.heldKeys.set(e.code || k, k);
      this.emit(withModifiers(makeKey(true, k), e));
    } else {
      const held = this.heldKeys.get(e.code || k) || k;
      this.heldKeys.delete(e.code || k);
      this.emit(withModifiers(makeKey(false, held), e));
    }
  }

  /** Releases every key and button we pressed (focus lost, control revoked). */
  releaseAll() {
    if (!this.enabled) return;
    for (const k of this.heldKeys.values()) this.emit(makeKey(false, k));
    this.heldKeys.clear();
    for (const b of this.heldButtons) {
      this.emit(makeMouseButton(false, this.lastPoint.x, this.lastPoint.y, b));
    }
    this.heldButtons.clear();
  }
}
