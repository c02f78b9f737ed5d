// Firefox 2: as viewer-control (02) does in Chromium, in headless Firefox
// ESR (lib/firefox.mjs): the viewer requests control, the native host grants
// it (control-on-request), and a click, a wheel notch and typed keys arrive
// at the host as navigation events with the right coordinates and keys
// (gvinputinject backend=record posts each as a bus message).
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchFirefox, openFirefoxPage, requireFirefox } from './lib/firefox.mjs';
import {
  framesDecoded, log, requireGstElements, screenshot, startNativeHost, startServer, tail, waitFor,
} from './lib/harness.mjs';

requireFirefox();
requireGstElements('gvwebrtcsink', 'gvinputinject', 'videotestsrc');

const W = 640;
const H = 360;
let ff;
let server;
let host;

before(async () => {
  ff = await launchFirefox();
  server = await startServer([], { address: ff.serverAddress });
  host = await startNativeHost(
    `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1 ! ` +
      'gvinputinject backend=record ! videoconvert ! ' +
      `gvwebrtcsink signaller::server=${server.ws} control-on-request=true`,
  );
  log('native host PIN', host.pin);
});

after(async () => {
  await ff?.close();
  await host?.stop();
  await server?.stop();
});

async function videoBox(page) {
  return (await page.$('#video')).boundingBox();
}

/** Page coordinates of picture point (fx, fy), computed here, independently of the page. */
async function pagePoint(page, fx, fy) {
  const box = await videoBox(page);
  const scale = Math.min(box.width / W, box.height / H);
  const left = box.x + (box.width - W * scale) / 2;
  const top = box.y + (box.height - H * scale) / 2;
  return { x: left + fx * W * scale, y: top + fy * H * scale, bars: { x: left - box.x, y: top - box.y } };
}

const hostEvents = (type) => host.events.filter((e) => e.type === type && !e.synthetic);

test('Firefox viewer requests control, host grants, click/wheel/keys arrive with the right coordinates', async () => {
  const page = await openFirefoxPage(ff, `${server.url}/?pin=${host.pin}`);
  await page.setViewport({ width: 900, height: 800 }); // tall: letterbox bars above and below
  assert.equal(await page.$eval('#pin', (e) => e.value), host.pin, '?pin= pre-fills the PIN');
  await page.click('#connect');
  try {
    await waitFor(async () => (await framesDecoded(page)) > 0, 5000, 'frames decoded');
  } catch (e) {
    throw new Error(`${e.message}\nhost output:\n${tail(host.output)}`);
  }
  await waitFor(() => page.evaluate(() => window.ghostviewViewer.channelState === 'open'), 5000, 'input channel open');
  await waitFor(() => page.evaluate(() => window.ghostviewViewer.state === 'live'), 3000, 'live');

  // View-only by default: a click is not sent.
  const early = await pagePoint(page, 0.5, 0.5);
  await page.mouse.click(early.x, early.y);
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(hostEvents('button-press').length, 0, 'no input before control is granted');

  await page.click('#request-control');
  try {
    await waitFor(() => page.evaluate(() => window.ghostviewViewer.capabilities.includes('control')), 5000, 'control granted');
  } catch (e) {
    throw new Error(`${e.message}\nhost output:\n${tail(host.output)}`);
  }
  await page.waitForSelector('#control-badge', { visible: true });
  assert.equal(await page.$eval('#request-control', (e) => e.hidden || e.offsetParent === null), true);

  const target = await pagePoint(page, 0.25, 0.75);
  log(`letterbox bars: ${target.bars.x.toFixed(1)} px left, ${target.bars.y.toFixed(1)} px top`);
  assert.ok(target.bars.y > 50, 'the test window letterboxes the picture');
  // A click on the bars is outside the picture: nothing is sent.
  await page.mouse.click(target.x, (await videoBox(page)).y + 5);
  await page.mouse.click(target.x, target.y);
  // puppeteer's BiDi mouse scrolls where it last moved (a click does not count): move first.
  await page.mouse.move(target.x, target.y);
  await page.mouse.wheel({ deltaY: 100 }); // one notch down, at the pointer
  await page.keyboard.press('a');
  await page.keyboard.press('Enter');
  await page.keyboard.down('Shift');
  await page.keyboard.press('B');
  await page.keyboard.up('Shift');

  const expectX = 0.25 * W;
  const expectY = 0.75 * H;
  try {
    await waitFor(() => hostEvents('key-release').length >= 4, 5000, 'key events at the host');
  } catch (e) {
    throw new Error(`${e.message}; events so far: ${JSON.stringify(host.events)}\n${tail(host.output)}`);
  }
  await screenshot(page, 'firefox-control-granted');
  log('page sent:', (await page.evaluate(() => window.__channelSent)).join(' '));
  log('host events:', JSON.stringify(host.events.map((e) => [e.type, e.x, e.y, e.button, e.key])));

  const presses = hostEvents('button-press');
  assert.equal(presses.length, 1, 'exactly one click (the one on the bars was not sent)');
  assert.equal(presses[0].button, 1);
  assert.ok(Math.abs(presses[0]['stream-x'] - expectX) <= 1.5, `click x ${presses[0]['stream-x']} != ${expectX}`);
  assert.ok(Math.abs(presses[0]['stream-y'] - expectY) <= 1.5, `click y ${presses[0]['stream-y']} != ${expectY}`);
  assert.ok(Math.abs(presses[0].x - expectX) <= 1.5 && Math.abs(presses[0].y - expectY) <= 1.5);
  assert.equal(hostEvents('button-release').length, 1);

  const sent = (await page.evaluate(() => window.__channelSent)).map((t) => JSON.parse(t));
  const wheel = sent.filter((m) => m.t === 'wh');
  assert.equal(wheel.length, 1, 'one wheel notch sent');
  assert.ok(Math.abs(wheel[0].x - 0.25) < 0.002 && Math.abs(wheel[0].y - 0.75) < 0.002);
  assert.equal(wheel[0].dy, -1);
  const scroll = hostEvents('scroll');
  assert.equal(scroll.length, 1, 'one wheel notch');
  assert.ok(Math.abs(scroll[0].x - expectX) <= 1.5 && Math.abs(scroll[0].y - expectY) <= 1.5,
    `scroll at ${scroll[0].x},${scroll[0].y}, expected ${expectX},${expectY}`);
  assert.ok(scroll[0]['delta-y'] < 0, 'wheel down is negative delta-y (GstNavigation: positive is up)');

  assert.deepEqual(hostEvents('key-press').map((e) => e.key), ['a', 'Return', 'Shift_L', 'B']);
  assert.deepEqual(hostEvents('key-release').map((e) => e.key), ['a', 'Return', 'B', 'Shift_L']);
  assert.deepEqual(page.problems, []);
});
