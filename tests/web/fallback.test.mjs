// web/js/viewer-fallback.js without a browser (node's own test runner): when
// the page asks for the fallback, how it draws and acknowledges pictures,
// how it batches input for the server's message limit, and when it goes
// back to WebRTC. Peer connections, the canvas and the JPEG decoder are
// stand-ins; time is node's mock timers.
//   node tests/web/fallback.test.mjs
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, mock, test } from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = process.env.GHOSTVIEW_WEB_DIR || path.resolve(here, '../../web');
const f = await import(pathToFileURL(path.join(webDir, 'js', 'viewer-fallback.js')).href);
const proto = await import(pathToFileURL(path.join(webDir, 'js', 'protocol.js')).href);
const { FallbackAction, Type } = proto;

test('the fallback\'s delay comes from ?fallback=S (0: never), else 10 s', () => {
  assert.equal(f.fallbackSeconds(''), 10);
  assert.equal(f.fallbackSeconds('?fallback=3'), 3);
  assert.equal(f.fallbackSeconds('?pin=123456&fallback=0'), 0);
  assert.equal(f.fallbackSeconds('?fallback=0.5'), 0.5);
  for (const bad of ['?fallback=', '?fallback=-1', '?fallback=abc', '?fallback=100000']) {
    assert.equal(f.fallbackSeconds(bad), f.DEFAULT_FALLBACK_SECONDS, bad);
  }
});

// ---- input ----

function batcher() {
  const clock = { t: 1000 };
  const sent = [];
  const timers = [];
  const b = new f.InputBatcher((msg) => { sent.push({ at: clock.t, msg }); return true; }, {
    now: () => clock.t,
    setTimer: (fn, ms) => { timers.push({ fn, at: clock.t + ms }); return timers.length; },
    clearTimer: (id) => { timers[id - 1].fn = null; },
  });
  /** Moves the clock on to `t`, running the timers due on the way. */
  const until = (t) => {
    for (;;) {
      const due = timers.filter((x) => x.fn && x.at <= t).sort((a, c) => a.at - c.at)[0];
      if (!due) break;
      clock.t = Math.max(clock.t, due.at);
      const { fn } = due;
      due.fn = null;
      fn();
    }
    clock.t = t;
  };
  return { b, sent, clock, until };
}

test('input: a press goes at once, moves gather, at most one message per 50 ms, in order', () => {
  const { b, sent, until } = batcher();
  const down = proto.makeMouseButton(true, 0.5, 0.5, proto.InputButton.LEFT);
  assert.ok(b.push(down));
  assert.equal(sent.length, 1, 'the first press goes at once');
  assert.deepEqual(sent[0].msg, { type: Type.INPUT, events: [down] });
  // A drag: a move every 16 ms for a second, then the release.
  for (let t = 1000; t <= 2000; t += 16) {
    until(t);
    b.push(proto.makeMouseMove((t - 1000) / 1000, 0.5));
  }
  b.push(proto.makeMouseButton(false, 1, 0.5, proto.InputButton.LEFT));
  until(3000);
  const gaps = sent.slice(1).map((s, i) => s.at - sent[i].at);
  assert.ok(gaps.every((g) => g >= f.INPUT_FLUSH_MS), `messages ${gaps.join(', ')} ms apart`);
  assert.ok(sent.length <= 1 + 1000 / f.INPUT_FLUSH_MS + 2, `${sent.length} messages for a second`);
  const events = sent.flatMap((s) => s.msg.events);
  assert.equal(events.length, 1 + 63 + 1, 'every event, once');
  assert.equal(proto.inputKind(events.at(-1)), proto.Input.MOUSE_UP, 'in order');
  assert.ok(sent.every((s) => s.msg.events.length >= 1 && s.msg.events.length <= proto.MAX_INPUT_EVENTS));
  assert.equal(b.messages, sent.length);
  assert.equal(b.events, events.length);
});

test('input: a key right after a message waits for the next one, and a full batch goes at once', () => {
  const { b, sent, until } = batcher();
  b.push(proto.makeKey(true, 'a'));
  until(1010);
  b.push(proto.makeKey(false, 'a'));
  assert.equal(sent.length, 1, '10 ms later: it waits');
  until(1050);
  assert.equal(sent.length, 2, 'and goes 50 ms after the first');
  until(1060);
  for (let i = 0; i < proto.MAX_INPUT_EVENTS + 5; i++) b.push(proto.makeMouseMove(i / 100, 0));
  assert.equal(sent.length, 3, 'a full batch goes at once');
  assert.equal(sent[2].msg.events.length, proto.MAX_INPUT_EVENTS);
  until(2000);
  assert.equal(sent[3].msg.events.length, 5);
  b.push(proto.makeMouseMove(0, 0));
  b.reset();
  until(3000);
  assert.equal(sent.length, 4, 'reset forgets what was queued');
});

// ---- the page's fallback ----

class FakePc extends EventTarget {
  constructor() {
    super();
    this.connectionState = 'new';
    this.framesDecoded = 0;
  }

  set(state) {
    this.connectionState = state;
    this.dispatchEvent(new Event('connectionstatechange'));
  }

  async getStats() {
    return new Map([['v', { type: 'inbound-rtp', kind: 'video', framesDecoded: this.framesDecoded, bytesReceived: 1000 }]]);
  }
}

function page({ seconds = 10, decode } = {}) {
  const drawn = [];
  const canvas = {
    width: 1, height: 1, hidden: true,
    getContext: () => ({ drawImage: (image, x, y, w, h) => drawn.push({ image, w, h }) }),
  };
  const label = { hidden: true };
  const sent = [];
  const state = { pc: new FakePc(), restarts: 0, changes: 0 };
  const fb = new f.ViewerFallback({
    canvas, label, seconds,
    send: (msg) => { sent.push(msg); return true; },
    restart: () => {
      state.restarts++;
      state.pc = new FakePc();
      fb.watch(state.pc);
    },
    getPc: () => state.pc,
    onChange: () => { state.changes++; },
    decode: decode || (async (bytes) => ({ bytes, close() {} })),
  });
  fb.watch(state.pc);
  return { fb, canvas, label, sent, state, drawn };
}

const JPEG = [0xff, 0xd8, 0xff, 0xd9];
function picture(frame, width = 640, height = 360) {
  const b = new Uint8Array(13 + JPEG.length);
  b.set([0x47, 0x56, 0x4a, 0x31, 0]);
  new DataView(b.buffer).setUint32(5, frame);
  new DataView(b.buffer).setUint16(9, width);
  new DataView(b.buffer).setUint16(11, height);
  b.set(JPEG, 13);
  return b.buffer;
}
const settle = () => new Promise((resolve) => setImmediate(resolve));
const fallbacks = (sent) => sent.filter((m) => m.type === Type.FALLBACK);

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'setInterval'] }));
afterEach(() => mock.timers.reset());

test('a peer connection that connects in time: no fallback', () => {
  const { fb, sent, state } = page();
  mock.timers.tick(5000);
  state.pc.set('connected');
  mock.timers.tick(60000);
  assert.deepEqual(sent, []);
  assert.equal(fb.active, false);
});

test('?fallback=0: never, not even when the connection fails', () => {
  const { fb, sent, state } = page({ seconds: 0 });
  mock.timers.tick(60000);
  state.pc.set('failed');
  assert.deepEqual(sent, []);
  assert.equal(fb.active, false);
});

test('not connected in time: start, pictures drawn and acknowledged, labelled, input batched', async () => {
  const { fb, canvas, label, sent, state, drawn } = page({ seconds: 3 });
  state.pc.set('checking');
  mock.timers.tick(2999);
  assert.equal(fb.active, false);
  mock.timers.tick(1);
  assert.deepEqual(sent, [{ type: Type.FALLBACK, action: FallbackAction.START }]);
  assert.ok(fb.active && !fb.showing, 'asking');
  assert.ok(canvas.hidden && label.hidden, 'nothing shown before a picture');
  assert.equal(fb.sendInput(proto.makeKey(true, 'a')), false, 'no input before the pictures show');

  fb.onPicture(picture(1));
  await settle();
  assert.ok(fb.showing && !canvas.hidden && !label.hidden, 'the first picture shows, labelled');
  assert.deepEqual([canvas.width, canvas.height], [640, 360]);
  assert.equal(drawn.length, 1);
  assert.deepEqual(fallbacks(sent).at(-1), { type: Type.FALLBACK, action: FallbackAction.ACK, frame: 1 });

  // Not pictures: ignored, not acknowledged.
  fb.onPicture(new ArrayBuffer(20));
  fb.onPicture('GVJ1');
  await settle();
  assert.equal(fallbacks(sent).length, 2);

  assert.ok(fb.sendInput(proto.makeKey(true, 'a')));
  assert.deepEqual(sent.at(-1), { type: Type.INPUT, events: [proto.makeKey(true, 'a')] });
  const s = fb.snapshot();
  assert.deepEqual({ active: s.active, showing: s.showing, framesDrawn: s.framesDrawn, lastFrame: s.lastFrame,
    lastWidth: s.lastWidth, lastHeight: s.lastHeight, starts: s.starts, inputMessages: s.inputMessages },
  { active: true, showing: true, framesDrawn: 1, lastFrame: 1, lastWidth: 640, lastHeight: 360, starts: 1, inputMessages: 1 });
});

test('a picture that comes while the last one decodes is dropped, and acknowledged', async () => {
  let release;
  const { fb, sent, state } = page({
    seconds: 1,
    decode: () => new Promise((resolve) => { release = () => resolve({ close() {} }); }),
  });
  state.pc.set('failed'); // at once, not after the delay
  assert.ok(fb.active);
  fb.onPicture(picture(1));
  fb.onPicture(picture(2));
  fb.onPicture(picture(3, 1280, 720));
  assert.deepEqual(fallbacks(sent).slice(1).map((m) => m.frame), [2, 3], 'the dropped ones at once');
  release();
  await settle();
  assert.deepEqual(fallbacks(sent).slice(1).map((m) => m.frame), [2, 3, 1], 'the drawn one once drawn');
  assert.equal(fb.snapshot().framesDrawn, 1);
  assert.equal(fb.snapshot().framesDropped, 2);
});

test('in the fallback: a restart every 15 s, then back to WebRTC once a connection delivers video', async () => {
  const { fb, sent, state } = page({ seconds: 2 });
  mock.timers.tick(2000);
  fb.onPicture(picture(1));
  await settle();
  assert.ok(fb.showing);
  mock.timers.tick(f.UPGRADE_RETRY_MS * 3);
  assert.equal(state.restarts, 3, 'a new peer connection every 15 s');
  assert.equal(fb.active, true, 'the new peer connections do not restart the fallback');
  assert.equal(fallbacks(sent).filter((m) => m.action === FallbackAction.START).length, 1);

  // Connected, no frames yet: no new restart, no stop.
  state.pc.set('connected');
  mock.timers.tick(f.UPGRADE_RETRY_MS);
  await settle();
  assert.equal(state.restarts, 3);
  assert.ok(fb.active);
  assert.ok(fb.sendInput(proto.makeMouseMove(0.25, 0.75))); // a move waits for the batch's timer
  state.pc.framesDecoded = 12;
  mock.timers.tick(1000);
  await settle();
  assert.equal(fb.active, false, 'back to WebRTC');
  assert.deepEqual(sent.at(-1), { type: Type.FALLBACK, action: FallbackAction.STOP });
  assert.deepEqual(sent.at(-2), { type: Type.INPUT, events: [proto.makeMouseMove(0.25, 0.75)] }, 'input before the stop');
  const s = fb.snapshot();
  assert.equal(s.upgrades, 1);
  assert.equal(s.restarts, 3);
  mock.timers.tick(f.UPGRADE_RETRY_MS * 2);
  assert.equal(state.restarts, 3, 'no more restarts');

  // That connection fails later: the fallback again.
  state.pc.set('failed');
  assert.ok(fb.active);
  assert.equal(fb.snapshot().starts, 2);
});

test('the host says unavailable: the reason kept, not asked again on that peer connection, asked on the next', () => {
  const { fb, sent, state } = page({ seconds: 1 });
  mock.timers.tick(1000);
  fb.onMessage({ type: Type.FALLBACK, peer: 'h', action: FallbackAction.UNAVAILABLE, reason: 'encoded video only' });
  assert.equal(fb.active, false);
  assert.equal(fb.unavailable, 'encoded video only');
  state.pc.set('failed');
  mock.timers.tick(60000);
  assert.equal(fallbacks(sent).length, 1, 'not again on that peer connection');
  // A Retry: a new peer connection, asked again after the delay.
  state.pc = new FakePc();
  fb.watch(state.pc);
  assert.equal(fb.unavailable, '');
  mock.timers.tick(1000);
  assert.equal(fallbacks(sent).length, 2);
  assert.ok(fb.active);
});

test('a host that sends no picture (no fallback of its own): stop, not asked again on that peer connection, no restarts', () => {
  const { fb, sent, state } = page({ seconds: 1 });
  mock.timers.tick(1000);
  assert.ok(fb.active);
  mock.timers.tick(f.ASK_TIMEOUT_MS - 1);
  assert.ok(fb.active && state.restarts === 0, 'waiting for the first picture, no restart meanwhile');
  mock.timers.tick(1);
  assert.equal(fb.active, false);
  assert.match(fb.unavailable, /no picture/);
  assert.deepEqual(fallbacks(sent).map((m) => m.action), [FallbackAction.START, FallbackAction.STOP]);
  fb.onPicture(picture(1)); // one that comes late: not drawn, not acknowledged
  state.pc.set('failed');
  mock.timers.tick(60000);
  assert.equal(fallbacks(sent).length, 2);
  assert.equal(state.restarts, 0);
});

test('every message the fallback sends is one the C++ parser\'s field table allows', () => {
  // (parity.test.mjs runs the builders through the C++ parser; here: the shapes.)
  const { fb, sent } = page({ seconds: 1 });
  mock.timers.tick(1000);
  fb.onPicture(picture(2 ** 32 - 1));
  for (const m of sent) {
    assert.ok([Type.FALLBACK, Type.INPUT].includes(m.type));
    if (m.type === Type.FALLBACK) assert.ok(Object.values(FallbackAction).includes(m.action));
  }
});

test('the browser host page sends its capture at most 1280x720, its aspect kept, even sizes', async () => {
  const { pictureSize } = await import(pathToFileURL(path.join(webDir, 'js', 'host-fallback.js')).href);
  assert.deepEqual(pictureSize(1920, 1080), { width: 1280, height: 720 });
  assert.deepEqual(pictureSize(2560, 1600), { width: 1152, height: 720 });
  assert.deepEqual(pictureSize(3840, 600), { width: 1280, height: 200 });
  assert.deepEqual(pictureSize(801, 601), { width: 800, height: 600 });
  assert.deepEqual(pictureSize(1, 1), { width: 2, height: 2 });
});
