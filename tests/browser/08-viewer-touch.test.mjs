// Scenario 8: the viewer page on a phone (playwright-core's Pixel 7 emulation:
// touch events, isMobile, a phone-sized viewport, portrait and landscape).
// The viewer joins by PIN and sees the picture fitted to the screen; a pinch
// and a two-finger pan zoom and move the picture (and only the picture: the
// page itself neither zooms nor scrolls); view-only, a double tap zooms; with
// control, a tap arrives at the host as a left click at the tapped point of
// the remote screen (zoomed or not), a long press as a right click, a
// one-finger drag at fit as pointer moves; the zoom buttons work; the keyboard
// button opens a text field whose typing arrives as keys. Touches are real
// touch events through Chromium's input pipeline (CDP Input.dispatchTouchEvent);
// the host is gvinputinject backend=record, which posts each injected event on
// the bus.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  browserDevices, framesDecoded, launchBrowser, log, openPage, requireBrowser, requireGstElements,
  screenshot, startNativeHost, startServer, tail, waitFor,
} from './lib/harness.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'gvinputinject', 'videotestsrc');

const W = 640;
const H = 360;
const PORTRAIT = browserDevices()['Pixel 7'];
const LANDSCAPE = browserDevices()['Pixel 7 landscape'];
// Remote pixels: a tap lands within this of where the test aimed (the page
// sends 5 decimals of 0..1; the finger's position is whole CSS pixels).
const TOLERANCE = 1.5;
let server;
let host;
let browser;

before(async () => {
  server = await startServer();
  host = await startNativeHost(
    // A blue picture, so that its edges show on the screenshots.
    `videotestsrc is-live=true pattern=ball background-color=0xff284a8c ! video/x-raw,width=${W},height=${H},framerate=30/1 ! ` +
      'gvinputinject backend=record ! videoconvert ! ' +
      // Two uses of the PIN: one viewer in portrait, then one in landscape.
      `gvwebrtcsink signaller::server=${server.ws} signaller::max-viewers=2 ice-loopback=true control-on-request=true`,
  );
  log('native host PIN', host.pin);
  browser = await launchBrowser({ device: PORTRAIT });
});

after(async () => {
  await browser?.close();
  await host?.stop();
  await server?.stop();
});

const realEvents = () => host.events.filter((e) => !e.synthetic);

/** Host events (not synthetic) that arrive after `from` = realEvents().length, of `type`. */
const eventsSince = (from, type) => realEvents().slice(from).filter((e) => !type || e.type === type);

// ---- touches: real touch input through CDP (what a touchscreen gives Chromium) ----

class Finger {
  constructor(page, cdp) {
    this.page = page;
    this.cdp = cdp;
  }

  send(type, points) {
    return this.cdp.send('Input.dispatchTouchEvent', {
      type,
      touchPoints: points.map((p, i) => ({ x: p.x, y: p.y, id: p.id ?? i, radiusX: 4, radiusY: 4, force: 1 })),
    });
  }

  async tap(p) {
    await this.send('touchStart', [p]);
    await this.send('touchEnd', []);
  }

  async longPress(p, ms = 800) {
    await this.send('touchStart', [p]);
    await this.page.waitForTimeout(ms);
    await this.send('touchEnd', []);
  }

  /** One finger from `a` to `b` in `steps` moves. */
  async drag(a, b, steps = 10) {
    await this.send('touchStart', [a]);
    for (let i = 1; i <= steps; i++) {
      await this.send('touchMove', [lerp(a, b, i / steps)]);
      await this.page.waitForTimeout(16);
    }
    await this.send('touchEnd', []);
  }

  /**
   * Two fingers, level with each other, `from` px apart around `center`, end
   * `to` px apart around `center + shift`.
   */
  async pinch(center, from, to, shift = { x: 0, y: 0 }, steps = 10) {
    const at = (t) => {
      const gap = (from + (to - from) * t) / 2;
      const c = { x: center.x + shift.x * t, y: center.y + shift.y * t };
      return [{ x: c.x - gap, y: c.y, id: 0 }, { x: c.x + gap, y: c.y, id: 1 }];
    };
    await this.send('touchStart', at(0).slice(0, 1));
    await this.send('touchStart', at(0));
    for (let i = 1; i <= steps; i++) {
      await this.send('touchMove', at(i / steps));
      await this.page.waitForTimeout(16);
    }
    await this.send('touchEnd', at(1).slice(1));
    await this.send('touchEnd', []);
  }
}

function lerp(a, b, t) {
  return { x: a.x + (b.x - a.x) * t, y: a.y + (b.y - a.y) * t };
}

// ---- what the page shows, measured from outside the page's code ----

async function measure(page) {
  const surface = await page.locator('#surface').boundingBox();
  const video = await page.locator('#video').boundingBox(); // transformed: what is on screen
  const doc = await page.evaluate(() => ({
    innerWidth: window.innerWidth,
    innerHeight: window.innerHeight,
    scrollWidth: document.documentElement.scrollWidth,
    scrollHeight: document.documentElement.scrollHeight,
    scrollX: window.scrollX,
    scrollY: window.scrollY,
    pageScale: window.visualViewport ? window.visualViewport.scale : 1,
    pageOffset: window.visualViewport ? [window.visualViewport.offsetLeft, window.visualViewport.offsetTop] : [0, 0],
    touchAction: getComputedStyle(document.getElementById('surface')).touchAction,
    zoom: Number(document.getElementById('surface').dataset.zoom || 1),
  }));
  // The picture inside the <video> box (object-fit: contain).
  const scale = Math.min(video.width / W, video.height / H);
  const picture = {
    x: video.x + (video.width - W * scale) / 2,
    y: video.y + (video.height - H * scale) / 2,
    width: W * scale,
    height: H * scale,
    scale,
  };
  return { surface, video, picture, ...doc };
}

const xy = (x, y) => `${x.toFixed(1)},${y.toFixed(1)}`;
const describe = (m) => `stage ${m.surface.width}x${m.surface.height.toFixed(1)}, `
  + `picture ${m.picture.width.toFixed(1)}x${m.picture.height.toFixed(1)} at ${xy(m.picture.x, m.picture.y)}`;

/** Page point of remote pixel (rx, ry) as the page shows it now. */
const toPage = (m, rx, ry) => ({ x: m.picture.x + rx * m.picture.scale, y: m.picture.y + ry * m.picture.scale });
/** Remote pixel under page point p as the page shows it now. */
const toRemote = (m, p) => ({ x: (p.x - m.picture.x) / m.picture.scale, y: (p.y - m.picture.y) / m.picture.scale });

/** The page itself is not zoomed or scrolled, and nothing sticks out of the phone's screen. */
function assertPageStill(m, what) {
  assert.equal(m.pageScale, 1, `${what}: the page is not zoomed`);
  assert.deepEqual(m.pageOffset, [0, 0], `${what}: the visual viewport did not move`);
  assert.equal(m.scrollX, 0, `${what}: no horizontal scroll`);
  assert.equal(m.scrollY, 0, `${what}: no vertical scroll`);
  assert.ok(m.scrollWidth <= m.innerWidth, `${what}: ${m.scrollWidth - m.innerWidth} px wider than the screen`);
  assert.ok(m.scrollHeight <= m.innerHeight, `${what}: ${m.scrollHeight - m.innerHeight} px taller than the screen`);
}

/** At zoom 1 the whole picture is on screen and fills the stage's width or height. */
function assertFits(m, what) {
  assert.ok(Math.abs(m.zoom - 1) < 1e-3, `${what}: zoom ${m.zoom}`);
  const p = m.picture;
  const s = m.surface;
  assert.ok(p.x >= s.x - 0.5 && p.y >= s.y - 0.5, `${what}: picture starts inside the stage`);
  assert.ok(p.x + p.width <= s.x + s.width + 0.5 && p.y + p.height <= s.y + s.height + 0.5, `${what}: picture ends inside the stage`);
  assert.ok(s.y + s.height <= m.innerHeight + 0.5 && s.x + s.width <= m.innerWidth + 0.5, `${what}: stage inside the screen`);
  const fillsWidth = Math.abs(p.width - s.width) < 1;
  const fillsHeight = Math.abs(p.height - s.height) < 1;
  assert.ok(fillsWidth || fillsHeight, `${what}: picture ${p.width}x${p.height} does not fill the ${s.width}x${s.height} stage`);
}

/**
 * A tap at page point `p` arrives at the host as one move + left press +
 * release at remote pixel `expect` (the press with the pointer there).
 */
async function assertTapClicks(finger, p, expect, what, button = 1, press = (f) => f.tap(p)) {
  const from = realEvents().length;
  await press(finger);
  try {
    await waitFor(() => eventsSince(from, 'button-release').length >= 1, 5000, `${what}: the click at the host`);
  } catch (e) {
    throw new Error(`${e.message}; events: ${JSON.stringify(eventsSince(from))}\n${tail(host.output)}`);
  }
  const presses = eventsSince(from, 'button-press');
  const releases = eventsSince(from, 'button-release');
  assert.equal(presses.length, 1, `${what}: one press`);
  assert.equal(releases.length, 1, `${what}: one release`);
  assert.equal(presses[0].button, button, `${what}: button`);
  assert.equal(releases[0].button, button, `${what}: button released`);
  for (const ev of [presses[0], releases[0]]) {
    assert.ok(Math.abs(ev['stream-x'] - expect.x) <= TOLERANCE && Math.abs(ev['stream-y'] - expect.y) <= TOLERANCE,
      `${what}: ${ev.type} at ${ev['stream-x']},${ev['stream-y']}, expected ${expect.x.toFixed(1)},${expect.y.toFixed(1)}`);
  }
  const moves = eventsSince(from, 'motion');
  assert.ok(moves.length >= 1, `${what}: the pointer moved there first`);
  const at = xy(presses[0]['stream-x'], presses[0]['stream-y']);
  log(`${what}: ${button === 1 ? 'left' : 'right'} click at ${at} (expected ${xy(expect.x, expect.y)})`);
  return { x: presses[0]['stream-x'], y: presses[0]['stream-y'] };
}

async function join(page) {
  assert.equal(await page.inputValue('#pin'), host.pin, '?pin= pre-fills the PIN');
  await page.tap('#connect');
  try {
    await waitFor(async () => (await framesDecoded(page)) > 0, 8000, 'frames decoded');
  } catch (e) {
    const why = await page.evaluate(() => `${window.ghostviewViewer.state}: ${document.getElementById('join-error').textContent}`);
    throw new Error(`${e.message} (page: ${why})\n${tail(host.output)}`);
  }
  await waitFor(() => page.evaluate(() => window.ghostviewViewer.state === 'live'), 5000, 'live');
  await waitFor(() => page.evaluate(() => window.ghostviewViewer.channelState === 'open'), 5000, 'input channel open');
  const first = await framesDecoded(page);
  await waitFor(async () => (await framesDecoded(page)) > first + 10, 5000, 'frames keep playing');
  await page.waitForSelector('#view-tools', { state: 'visible' });
}

async function takeControl(page) {
  await page.tap('#request-control');
  try {
    await waitFor(() => page.evaluate(() => window.ghostviewViewer.capabilities.includes('control')), 5000, 'control granted');
  } catch (e) {
    throw new Error(`${e.message}\nhost output:\n${tail(host.output)}`);
  }
  await page.waitForSelector('#keyboard', { state: 'visible' });
}

async function waitZoom(page, check, what) {
  await waitFor(async () => check((await measure(page)).zoom), 2000, what);
  await page.waitForTimeout(50); // one more frame for the layout
  return measure(page);
}

test('portrait phone: fit, taps are clicks, pinch and pan zoom only the picture, long press, drag, keyboard; then landscape', async () => {
  const page = await openPage(browser, `${server.url}/?pin=${host.pin}`);
  const cdp = await page.context().newCDPSession(page);
  const finger = new Finger(page, cdp);
  assert.ok(await page.evaluate(() => navigator.maxTouchPoints > 0 && matchMedia('(pointer: coarse)').matches),
    'the page sees a touch screen');
  await join(page);

  let m = await measure(page);
  log(`portrait: screen ${m.innerWidth}x${m.innerHeight}, ${describe(m)}`);
  assert.equal(m.innerWidth, PORTRAIT.viewport.width);
  assert.equal(m.touchAction, 'none', 'touches on the picture are the page\'s, not the browser\'s');
  assertFits(m, 'portrait');
  assertPageStill(m, 'portrait');
  assert.ok(Math.abs(m.picture.width - m.innerWidth) < 1, 'portrait: the picture spans the screen\'s width');
  await screenshot(page, 'viewer-touch-portrait');

  // View-only: a tap sends nothing.
  const viewOnly = realEvents().length;
  await finger.tap(toPage(m, W / 2, H / 2));
  await page.waitForTimeout(300);
  assert.equal(eventsSince(viewOnly).length, 0, 'no input before control is granted');
  // View-only, a double tap zooms in at the point, and a second one back out.
  const D = toPage(m, 0.3 * W, 0.5 * H);
  await finger.tap(D);
  await finger.tap(D);
  m = await waitZoom(page, (z) => z > 2, 'zoomed in by a double tap');
  const underD = toRemote(m, D);
  assert.ok(Math.abs(underD.x - 0.3 * W) < 1 && Math.abs(underD.y - 0.5 * H) < 1, 'a double tap zooms about the tapped point');
  assertPageStill(m, 'after a double tap');
  await finger.tap(D);
  await finger.tap(D);
  m = await waitZoom(page, (z) => z === 1, 'back to fit by a double tap');
  assert.equal(eventsSince(viewOnly).length, 0, 'double taps while view-only send nothing');

  await takeControl(page);
  const fitScale = m.picture.scale;

  // A tap at fit.
  await assertTapClicks(finger, toPage(m, 0.25 * W, 0.75 * H), { x: 0.25 * W, y: 0.75 * H }, 'tap at fit');
  // A tap on the letterbox bar above the picture is not on the remote screen: nothing.
  const bars = realEvents().length;
  await finger.tap({ x: m.picture.x + m.picture.width / 2, y: m.picture.y - 20 });
  await page.waitForTimeout(300);
  assert.equal(eventsSince(bars).length, 0, 'a tap on the bars sends nothing');

  // Pinch: spread two fingers around remote point R from 60 to 150 px apart.
  const R = { x: 0.6 * W, y: 0.4 * H };
  const P = toPage(m, R.x, R.y);
  const beforePinch = realEvents().length;
  await finger.pinch(P, 60, 150);
  m = await waitZoom(page, (z) => z > 2, 'zoomed in by the pinch');
  log(`pinch: zoom ${m.zoom}, ${describe(m)}`);
  assert.ok(Math.abs(m.zoom - 2.5) < 0.05, `the pinch zoomed by the fingers' spread (150/60): ${m.zoom}`);
  assert.ok(Math.abs(m.picture.width - 2.5 * m.surface.width) < 2, 'the picture is drawn 2.5 times as wide');
  assertPageStill(m, 'after the pinch');
  assert.equal(eventsSince(beforePinch).length, 0, 'a pinch sends nothing to the host');
  const under = toRemote(m, P);
  assert.ok(Math.abs(under.x - R.x) < 1 && Math.abs(under.y - R.y) < 1,
    `the point under the fingers stayed there: ${under.x.toFixed(1)},${under.y.toFixed(1)}`);
  await screenshot(page, 'viewer-touch-portrait-zoomed');

  // Taps while zoomed: at the pinch's centre, the same remote point as before
  // the zoom; 30 px right and 20 px down, 30/20 px of the zoomed picture further.
  await assertTapClicks(finger, P, R, 'tap at the pinch centre, zoomed');
  const zoomedScale = fitScale * 2.5;
  await assertTapClicks(finger, { x: P.x + 30, y: P.y + 20 }, { x: R.x + 30 / zoomedScale, y: R.y + 20 / zoomedScale },
    'tap off the centre, zoomed');

  // Two-finger pan: both fingers 60 px to the left, same spread: the picture follows.
  await finger.pinch(P, 80, 80, { x: -60, y: 0 });
  await page.waitForTimeout(100);
  m = await measure(page);
  assert.ok(Math.abs(m.zoom - 2.5) < 0.05, `a two-finger pan keeps the zoom: ${m.zoom}`);
  const panned = toRemote(m, P);
  assert.ok(Math.abs(panned.x - (R.x + 60 / zoomedScale)) < 1 && Math.abs(panned.y - R.y) < 1,
    `the picture moved 60 px left: ${panned.x.toFixed(1)},${panned.y.toFixed(1)}`);
  await assertTapClicks(finger, P, panned, 'tap after a two-finger pan');
  assertPageStill(m, 'after the pan');

  // One finger while zoomed moves the picture, and sends nothing.
  const beforeDrag = realEvents().length;
  await finger.drag(P, { x: P.x + 40, y: P.y });
  await page.waitForTimeout(100);
  m = await measure(page);
  const dragged = toRemote(m, P);
  assert.ok(Math.abs(dragged.x - (panned.x - 40 / zoomedScale)) < 1, `one finger pans the zoomed picture: ${dragged.x.toFixed(1)}`);
  assert.equal(eventsSince(beforeDrag).length, 0, 'panning sends nothing');

  // A long press is a right click, at the pressed point.
  await assertTapClicks(finger, P, dragged, 'long press, zoomed', 3, (f) => f.longPress(P));

  // The zoom control: Fit, then + (1.5x about the stage's centre).
  await page.tap('#zoom-fit');
  m = await waitZoom(page, (z) => z === 1, 'fit');
  assertFits(m, 'after Fit');
  assert.equal(await page.isDisabled('#zoom-out'), true, 'nothing to zoom out of at fit');
  await page.tap('#zoom-in');
  m = await waitZoom(page, (z) => Math.abs(z - 1.5) < 1e-3, 'zoomed in by the + button');
  const centre = { x: m.surface.x + m.surface.width / 2, y: m.surface.y + m.surface.height / 2 };
  const atCentre = toRemote(m, centre);
  assert.ok(Math.abs(atCentre.x - W / 2) < 1 && Math.abs(atCentre.y - H / 2) < 1, 'the + button zooms about the centre');
  await assertTapClicks(finger, { x: centre.x - 50, y: centre.y + 30 },
    { x: W / 2 - 50 / (fitScale * 1.5), y: H / 2 + 30 / (fitScale * 1.5) }, 'tap after the + button');
  assertPageStill(m, 'after the + button');
  await page.tap('#zoom-out');
  m = await waitZoom(page, (z) => z === 1, 'back to fit by the − button');

  // At fit, a one-finger drag moves the remote pointer without pressing.
  const beforeMove = realEvents().length;
  const dragEnd = toPage(m, 0.8 * W, 0.3 * H);
  await finger.drag(toPage(m, 0.3 * W, 0.6 * H), dragEnd);
  await waitFor(() => {
    const moves = eventsSince(beforeMove, 'motion');
    const last = moves[moves.length - 1];
    return last && Math.abs(last['stream-x'] - 0.8 * W) <= TOLERANCE && Math.abs(last['stream-y'] - 0.3 * H) <= TOLERANCE;
  }, 3000, 'the pointer follows a one-finger drag');
  assert.equal(eventsSince(beforeMove, 'button-press').length, 0, 'a drag at fit presses no button');
  log(`drag at fit: ${eventsSince(beforeMove, 'motion').length} pointer moves`);

  // The keyboard button: typed text and Enter arrive as keys.
  const beforeKeys = realEvents().length;
  await page.tap('#keyboard');
  assert.equal(await page.evaluate(() => document.activeElement && document.activeElement.id), 'keyboard-sink',
    'the keyboard button focuses the text field (a phone opens its keyboard for it)');
  await page.keyboard.type('Hi 2');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Backspace');
  await waitFor(() => eventsSince(beforeKeys, 'key-release').length >= 6, 3000, 'typed keys at the host');
  assert.deepEqual(eventsSince(beforeKeys, 'key-press').map((e) => e.key), ['H', 'i', 'space', '2', 'Return', 'BackSpace']);
  assertPageStill(await measure(page), 'while typing');
  // Tapping the picture while typing clicks and leaves the keyboard open.
  await assertTapClicks(finger, toPage(m, 0.5 * W, 0.5 * H), { x: 0.5 * W, y: 0.5 * H }, 'tap while typing');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'keyboard-sink', 'the keyboard stays open');
  await screenshot(page, 'viewer-touch-portrait-keyboard');

  // Turn the phone: the picture fits the new screen, a pinch and a tap still work.
  await page.setViewportSize(LANDSCAPE.viewport);
  await waitFor(async () => {
    const l = await measure(page);
    return l.innerWidth === LANDSCAPE.viewport.width && Math.abs(l.picture.height - l.surface.height) < 1;
  }, 3000, 'the picture fits the landscape screen');
  m = await measure(page);
  log(`landscape: screen ${m.innerWidth}x${m.innerHeight}, ${describe(m)}`);
  assertFits(m, 'turned to landscape');
  assertPageStill(m, 'turned to landscape');
  assert.ok(m.surface.height >= 0.75 * m.innerHeight,
    `landscape: the picture gets most of the height (${m.surface.height} of ${m.innerHeight})`);
  await screenshot(page, 'viewer-touch-turned-landscape');
  await assertTapClicks(finger, toPage(m, 0.1 * W, 0.9 * H), { x: 0.1 * W, y: 0.9 * H }, 'tap after turning');
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('landscape phone: join, fit, pinch, tap', async () => {
  const page = await openPage(browser, `${server.url}/?pin=${host.pin}`);
  await page.setViewportSize(LANDSCAPE.viewport);
  const finger = new Finger(page, await page.context().newCDPSession(page));
  await join(page);
  let m = await measure(page);
  assert.equal(m.innerWidth, LANDSCAPE.viewport.width);
  assertFits(m, 'landscape');
  assertPageStill(m, 'landscape');
  assert.ok(Math.abs(m.picture.height - m.surface.height) < 1, 'landscape: the picture spans the stage\'s height');
  await screenshot(page, 'viewer-touch-landscape');
  await takeControl(page);
  const fitScale = m.picture.scale;
  await assertTapClicks(finger, toPage(m, 0.9 * W, 0.2 * H), { x: 0.9 * W, y: 0.2 * H }, 'landscape tap at fit');

  const R = { x: 0.3 * W, y: 0.5 * H };
  const P = toPage(m, R.x, R.y);
  await finger.pinch(P, 50, 100);
  m = await waitZoom(page, (z) => z > 1.5, 'landscape pinch');
  assert.ok(Math.abs(m.zoom - 2) < 0.05, `zoom ${m.zoom}`);
  assertPageStill(m, 'landscape pinch');
  await screenshot(page, 'viewer-touch-landscape-zoomed');
  await assertTapClicks(finger, { x: P.x - 25, y: P.y - 15 },
    { x: R.x - 25 / (fitScale * 2), y: R.y - 15 / (fitScale * 2) }, 'landscape tap, zoomed');
  assert.deepEqual(page.problems, []);
  await page.close();
});
