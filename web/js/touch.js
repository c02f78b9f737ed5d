// GhostView — the viewer on touch screens and small screens: pinch and
// two-finger pan zoom the picture (only the picture: the page itself never
// zooms or scrolls), a zoom control does the same with buttons, and with
// control a tap is a left click, a long press a right click, a one-finger drag
// at fit moves the remote pointer; a keyboard button opens the on-screen
// keyboard and sends what is typed as key events.
//
// Why taps become mouse clicks rather than the wire's touch messages
// (Input.TOUCH_*): every host we have is a desktop. gvinputinject turns the
// first touch point into the mouse pointer anyway (down = move + left press)
// and injects no real touch, and the browser host applies no input at all. A
// touch-down sent the moment a finger lands would press the remote button
// before the page can know whether the finger is a tap, the start of a pinch
// (a zoom of our own view, which the host must not see), a pan of the zoomed
// picture or a long press (a right click). So the page recognises the gesture
// first and sends what it means: mouse move, press and release at the tapped
// point of the remote screen. The touch messages stay in the protocol
// (gvnavjson) for clients that forward a touch screen's own events.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { InputButton, makeKey, makeMouseButton, makeMouseMove } from './protocol.js';
import { keysymFor, normalisedPoint } from './input.js';

export const MAX_ZOOM = 6;
const ZOOM_STEP = 1.5; // one press of the + or − button
const DOUBLE_TAP_ZOOM = 2.5; // view-only: a double tap zooms in this far at the point
const TAP_SLOP_PX = 10; // a finger that moves less than this is still a tap
const LONG_PRESS_MS = 550;
const DOUBLE_TAP_MS = 350;
const DOUBLE_TAP_SLOP_PX = 30;
const KEYBOARD_BUFFER_MAX = 64; // the hidden input is emptied past this many characters

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const distance = (a, b) => Math.hypot(a.x - b.x, a.y - b.y);
const midpoint = (a, b) => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });

/**
 * The zoom and pan of the <video> inside `surface` (CSS transform
 * `translate(x, y) scale(zoom)` with its origin at the top left, from the
 * custom properties --gv-pan-x, --gv-pan-y and --gv-zoom that
 * ghostview.css reads), and the touch gestures that drive it. `input` is the
 * RemoteInput: what this sends goes through it, and only while it is enabled.
 * pictureRect() reads the transformed box, so mouse input maps correctly
 * while zoomed too.
 */
export class TouchView {
  constructor(video, surface, input) {
    this.video = video;
    this.surface = surface;
    this.input = input;
    this.zoom = 1;
    this.pan = { x: 0, y: 0 };
    this.pointers = new Map(); // pointerId -> {x, y} in surface pixels
    this.gesture = null; // {kind: 'press'|'pan'|'pointer'|'pinch'|'spent', ...}
    this.longPressTimer = 0;
    this.lastTap = null; // {x, y, time} of the last view-only tap
    this.moveFrame = 0;
    this.pendingMove = null;
    this.touchDevice = navigator.maxTouchPoints > 0;

    const $ = (id) => document.getElementById(id);
    this.tools = $('view-tools');
    this.zoomIn = $('zoom-in');
    this.zoomOut = $('zoom-out');
    this.zoomFit = $('zoom-fit');
    this.keyboardButton = $('keyboard');
    this.keyboardSink = $('keyboard-sink');
    this.keyboardText = '';

    const on = (el, name, fn, opts) => el?.addEventListener(name, fn, opts);
    on(surface, 'pointerdown', (e) => this.onPointerDown(e));
    on(surface, 'pointermove', (e) => this.onPointerMove(e));
    on(surface, 'pointerup', (e) => this.onPointerUp(e, false));
    on(surface, 'pointercancel', (e) => this.onPointerUp(e, true));
    // No mouse events, click or dblclick made up from touches on the picture:
    // the gestures above are all a touch means here.
    on(surface, 'touchstart', (e) => { if (e.cancelable) e.preventDefault(); }, { passive: false });
    on(video, 'resize', () => this.layout());
    on(video, 'emptied', () => this.setView(1, { x: 0, y: 0 }));
    if (window.ResizeObserver) new ResizeObserver(() => this.layout()).observe(surface);
    on(this.zoomIn, 'click', () => this.zoomBy(ZOOM_STEP));
    on(this.zoomOut, 'click', () => this.zoomBy(1 / ZOOM_STEP));
    on(this.zoomFit, 'click', () => this.setView(1, { x: 0, y: 0 }));
    on(this.keyboardButton, 'click', () => this.openKeyboard());
    on(this.keyboardSink, 'keydown', (e) => this.onSinkKey(e));
    on(this.keyboardSink, 'input', (e) => this.onSinkInput(e));
    on(this.keyboardSink, 'blur', () => this.resetKeyboardText());
    input.onEnabledChange(() => this.onControlChange());
    this.apply();
  }

  get controlling() {
    return this.input.enabled;
  }

  // ---- the view ----

  /** Where the picture lies at zoom 1: {width, height, left, top, surface: {width, height}} or null. */
  fitGeometry() {
    const sw = this.surface.clientWidth;
    const sh = this.surface.clientHeight;
    const vw = this.video.videoWidth;
    const vh = this.video.videoHeight;
    if (!sw || !sh || !vw || !vh) return null;
    const scale = Math.min(sw / vw, sh / vh);
    const width = vw * scale;
    const height = vh * scale;
    return { width, height, left: (sw - width) / 2, top: (sh - height) / 2, surface: { width: sw, height: sh } };
  }

  /**
   * Sets zoom and pan, kept so that the picture never leaves empty space it
   * could fill: where it is smaller than the surface it stays wholly inside,
   * where it is larger it covers the surface edge to edge.
   */
  setView(zoom, pan) {
    const g = this.fitGeometry();
    if (!g) {
      this.zoom = 1;
      this.pan = { x: 0, y: 0 };
      this.apply();
      return;
    }
    const z = clamp(zoom, 1, MAX_ZOOM);
    const axis = (t, offset, size, room) => {
      const a = -z * offset;
      const b = room - z * (offset + size);
      return clamp(t, Math.min(a, b), Math.max(a, b));
    };
    this.zoom = z;
    this.pan = {
      x: z === 1 ? 0 : axis(pan.x, g.left, g.width, g.surface.width),
      y: z === 1 ? 0 : axis(pan.y, g.top, g.height, g.surface.height),
    };
    this.apply();
  }

  /** Zooms to `zoom` keeping the picture point under `at` (surface pixels) where it is. */
  zoomAt(zoom, at) {
    const z = clamp(zoom, 1, MAX_ZOOM);
    const cx = (at.x - this.pan.x) / this.zoom;
    const cy = (at.y - this.pan.y) / this.zoom;
    this.setView(z, { x: at.x - z * cx, y: at.y - z * cy });
  }

  zoomBy(factor) {
    const g = this.fitGeometry();
    if (!g) return;
    this.zoomAt(this.zoom * factor, { x: g.surface.width / 2, y: g.surface.height / 2 });
  }

  /** After the surface or the picture changed size: the same zoom, kept in bounds. */
  layout() {
    this.setView(this.zoom, this.pan);
  }

  apply() {
    const style = this.video.style;
    style.setProperty('--gv-zoom', String(this.zoom));
    style.setProperty('--gv-pan-x', `${this.pan.x}px`);
    style.setProperty('--gv-pan-y', `${this.pan.y}px`);
    this.surface.classList.toggle('zoomed', this.zoom > 1);
    this.surface.dataset.zoom = this.zoom.toFixed(3);
    const hasPicture = !!this.fitGeometry();
    if (this.tools) this.tools.hidden = !(this.touchDevice && hasPicture);
    if (this.zoomOut) this.zoomOut.disabled = this.zoom <= 1;
    if (this.zoomFit) this.zoomFit.disabled = this.zoom <= 1;
    if (this.zoomIn) this.zoomIn.disabled = this.zoom >= MAX_ZOOM;
    if (this.keyboardButton) this.keyboardButton.hidden = !this.controlling;
  }

  // ---- gestures ----

  local(e) {
    const box = this.surface.getBoundingClientRect();
    return { x: e.clientX - box.left, y: e.clientY - box.top, clientX: e.clientX, clientY: e.clientY };
  }

  onPointerDown(e) {
    if (e.pointerType !== 'touch') return;
    e.preventDefault();
    if (!this.touchDevice) {
      this.touchDevice = true;
      this.apply();
    }
    // A hardware keyboard types on the shared screen once the picture is
    // touched, as after a click; the on-screen keyboard's field keeps the
    // focus (taking it away would close that keyboard at every tap).
    if (this.controlling && document.activeElement !== this.keyboardSink) {
      this.surface.focus({ preventScroll: true });
    }
    const p = this.local(e);
    this.pointers.set(e.pointerId, p);
    if (this.pointers.size === 1) {
      this.gesture = { kind: 'press', start: p, time: performance.now() };
      clearTimeout(this.longPressTimer);
      if (this.controlling) this.longPressTimer = setTimeout(() => this.onLongPress(), LONG_PRESS_MS);
    } else if (this.pointers.size === 2 && this.gesture?.kind !== 'spent') {
      this.startPinch();
    }
  }

  onPointerMove(e) {
    if (e.pointerType !== 'touch' || !this.pointers.has(e.pointerId)) return;
    e.preventDefault();
    const p = this.local(e);
    this.pointers.set(e.pointerId, p);
    const g = this.gesture;
    if (!g) return;
    if (g.kind === 'press' && distance(p, g.start) > TAP_SLOP_PX) {
      clearTimeout(this.longPressTimer);
      // Zoomed in, one finger moves the picture (as on any phone); at fit,
      // with control, it moves the remote pointer (no button: hovering).
      if (this.zoom > 1 || !this.controlling) {
        this.gesture = { kind: 'pan', start: g.start, pan: { ...this.pan } };
      } else {
        this.gesture = { kind: 'pointer' };
      }
    }
    if (this.gesture.kind === 'pan') {
      const s = this.gesture;
      this.setView(this.zoom, { x: s.pan.x + p.x - s.start.x, y: s.pan.y + p.y - s.start.y });
    } else if (this.gesture.kind === 'pointer') {
      this.queueMove(p);
    } else if (this.gesture.kind === 'pinch') {
      this.movePinch();
    }
  }

  onPointerUp(e, cancelled) {
    if (e.pointerType !== 'touch' || !this.pointers.has(e.pointerId)) return;
    e.preventDefault();
    this.pointers.delete(e.pointerId);
    const g = this.gesture;
    if (this.pointers.size > 0) {
      // A pinch that loses a finger is over; the last finger does nothing more.
      if (g && g.kind !== 'spent') this.gesture = { kind: 'spent' };
      return;
    }
    clearTimeout(this.longPressTimer);
    this.gesture = null;
    if (!g || cancelled) return;
    if (g.kind === 'press') this.onTap(g.start);
    else if (g.kind === 'pointer') this.flushMove();
  }

  startPinch() {
    clearTimeout(this.longPressTimer);
    const [a, b] = [...this.pointers.values()];
    this.gesture = {
      kind: 'pinch',
      distance: Math.max(distance(a, b), 1),
      mid: midpoint(a, b),
      zoom: this.zoom,
      pan: { ...this.pan },
    };
  }

  movePinch() {
    const g = this.gesture;
    const [a, b] = [...this.pointers.values()];
    const mid = midpoint(a, b);
    const zoom = clamp(g.zoom * (distance(a, b) / g.distance), 1, MAX_ZOOM);
    // The picture point that was under the fingers' midpoint stays under it:
    // spreading zooms about it, moving both fingers pans.
    const cx = (g.mid.x - g.pan.x) / g.zoom;
    const cy = (g.mid.y - g.pan.y) / g.zoom;
    this.setView(zoom, { x: mid.x - zoom * cx, y: mid.y - zoom * cy });
  }

  onTap(at) {
    if (this.controlling) {
      this.click(at, InputButton.LEFT);
      return;
    }
    // View-only: a double tap zooms in at the point, or back out to fit.
    const now = performance.now();
    const last = this.lastTap;
    if (last && now - last.time < DOUBLE_TAP_MS && distance(last, at) < DOUBLE_TAP_SLOP_PX) {
      this.lastTap = null;
      if (this.zoom > 1) this.setView(1, { x: 0, y: 0 });
      else this.zoomAt(DOUBLE_TAP_ZOOM, at);
      return;
    }
    this.lastTap = { x: at.x, y: at.y, time: now };
  }

  onLongPress() {
    const g = this.gesture;
    if (!g || g.kind !== 'press' || !this.controlling) return;
    this.gesture = { kind: 'spent' };
    this.click(g.start, InputButton.RIGHT);
  }

  /**
   * Move, press and release of `button` at a touched point (nothing on the
   * letterbox bars), on the picture input.js maps to (the video, or the
   * fallback's canvas).
   */
  click(at, button) {
    const p = normalisedPoint(this.input.video, at.clientX, at.clientY, false);
    if (!p) return;
    this.pendingMove = null;
    this.input.emit(makeMouseMove(p.x, p.y));
    this.input.emit(makeMouseButton(true, p.x, p.y, button));
    this.input.emit(makeMouseButton(false, p.x, p.y, button));
  }

  // At most one pointer move per animation frame, as input.js does for the mouse.
  queueMove(at) {
    const p = normalisedPoint(this.input.video, at.clientX, at.clientY, true);
    if (!p) return;
    this.pendingMove = makeMouseMove(p.x, p.y);
    if (!this.moveFrame) this.moveFrame = requestAnimationFrame(() => this.flushMove());
  }

  flushMove() {
    cancelAnimationFrame(this.moveFrame);
    this.moveFrame = 0;
    if (this.pendingMove) this.input.emit(this.pendingMove);
    this.pendingMove = null;
  }

  onControlChange() {
    if (!this.controlling) {
      clearTimeout(this.longPressTimer);
      this.pendingMove = null;
      if (this.gesture && this.gesture.kind !== 'pinch' && this.gesture.kind !== 'pan') {
        this.gesture = { kind: 'spent' };
      }
      if (document.activeElement === this.keyboardSink) this.keyboardSink.blur();
    }
    this.apply();
  }

  // ---- the on-screen keyboard ----

  /** Focuses the hidden text field: a phone opens its keyboard for it. */
  openKeyboard() {
    if (!this.controlling || !this.keyboardSink) return;
    this.resetKeyboardText();
    this.keyboardSink.focus({ preventScroll: true });
  }

  resetKeyboardText() {
    this.keyboardText = '';
    if (this.keyboardSink) this.keyboardSink.value = '';
  }

  pressKey(keysym) {
    this.input.emit(makeKey(true, keysym));
    this.input.emit(makeKey(false, keysym));
  }

  // Keys that insert no text (Enter, arrows, Escape...) go as they are. On-screen
  // keyboards often report printable keys as "Unidentified" (they compose
  // words), so text is taken from what the field holds (onSinkInput).
  onSinkKey(e) {
    if (!this.controlling || e.isComposing || e.key === 'Unidentified' || e.key === 'Process') return;
    if ([...e.key].length === 1 && !e.ctrlKey && !e.metaKey && !e.altKey) return; // text: onSinkInput
    // Backspace in a field with text edits the text (onSinkInput sends it);
    // in an empty one there is nothing to edit, so it is sent from here.
    if (e.key === 'Backspace' && this.keyboardSink.value) return;
    const keysym = keysymFor(e);
    if (!keysym) return;
    e.preventDefault();
    this.pressKey(keysym);
    if (e.key === 'Enter') this.resetKeyboardText();
  }

  /**
   * Sends the difference between what the field held and what it holds now:
   * BackSpace for each character taken away past the common start, then the
   * new characters. Word completion and autocorrection thus reach the host
   * as the edits a person would have typed.
   */
  onSinkInput(e) {
    const before = [...this.keyboardText];
    const after = [...this.keyboardSink.value];
    if (!this.controlling) {
      this.resetKeyboardText();
      return;
    }
    let same = 0;
    while (same < before.length && same < after.length && before[same] === after[same]) same++;
    for (let i = same; i < before.length; i++) this.pressKey('BackSpace');
    for (const ch of after.slice(same)) this.pressKey(ch === '\n' ? 'Return' : ch === ' ' ? 'space' : ch);
    this.keyboardText = after.join('');
    if (after.length > KEYBOARD_BUFFER_MAX && !e.isComposing) this.resetKeyboardText();
  }
}
