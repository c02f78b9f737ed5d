// Scenario 37: the host's pointer on its own channel (issue 15 item 3), on
// the viewer page. A real `ghostview host --source screen --cursor local`
// shares an Xvfb display whose pointer xdotool moves. The page draws the
// pointer's image (cursor-shape) where it is (cursor): its hot spot lands
// on the pointer's place scaled into the picture as shown (pillarboxed in a
// wide window, letterboxed in a tall one), within a couple of CSS pixels,
// and stays there when the window changes shape. With `control`, moves and
// clicks go through the overlay to the host (pointer-events: none), and
// the host's pointer, which the viewer now moves, is drawn under the
// viewer's mouse. Sharing one window, the pointer outside it is hidden
// (visible: false). A host without --cursor local sends no cursor
// messages and the page draws none.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startXvfb } from './lib/firefox.mjs';
import {
  cspViolations, framesDecoded, launchBrowser, log, openPage, requireBrowser, requireGstElements, screenshot, skip,
  startServer, stopProcess, tail, waitFor,
} from './lib/harness.mjs';
import { requireLauncher } from './lib/file-host.mjs';
import { openXWindow, startXHost } from './lib/x-host.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'gvscreensrc', 'vp8enc');
requireLauncher();
if (spawnSync('xdotool', ['version']).error) skip('xdotool is not installed (apt install xdotool)');
if (spawnSync('xmessage', ['-help']).error) skip('xmessage is not installed (apt install x11-utils)');

const SCREEN = { width: 800, height: 600 };
const WINDOW = { title: 'GhostView cursor window', width: 320, height: 240, at: 40 };
const TOLERANCE = 2; // CSS pixels between the drawn hot spot and where the pointer is in the picture

let server;
let xvfb;
let browser;
const processes = [];

before(async () => {
  server = await startServer();
  xvfb = await startXvfb(SCREEN);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const p of processes.reverse()) await stopProcess(p.child ?? p, 'SIGINT', 8000);
  await xvfb?.stop();
  await server?.stop();
});

function xdotool(...args) {
  const r = spawnSync('xdotool', args, { env: { ...process.env, DISPLAY: xvfb.display }, encoding: 'utf8' });
  assert.equal(r.status, 0, `xdotool ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Where the host's pointer is on the Xvfb screen. */
function pointerAt() {
  const out = xdotool('getmouselocation', '--shell');
  return { x: Number(/X=(-?\d+)/.exec(out)[1]), y: Number(/Y=(-?\d+)/.exec(out)[1]) };
}

/** `ghostview host` sharing `source` of the Xvfb display with `args`; resolves once it has a PIN. */
function startHost(args, source = 'screen') {
  return startXHost(server, xvfb.display, ['--source', source, ...args], processes);
}

async function join(pin, name, want) {
  const page = await openPage(browser, `${server.url}/?pin=${pin}`);
  await page.fill('#name', name);
  await page.click('#connect');
  await waitFor(async () => (await framesDecoded(page)) > 0, 15000, 'frames decoded');
  await waitFor(() => page.evaluate(({ width, height }) => {
    const v = document.getElementById('video');
    return v.videoWidth === width && v.videoHeight === height;
  }, want), 15000, `a ${want.width}x${want.height} picture`);
  await waitFor(() => page.evaluate(() => window.ghostviewViewer.assistState === 'open'), 5000, 'assist channel open');
  return page;
}

/**
 * What the page shows of the host's pointer, measured from the page itself:
 * the overlay's box, its hot spot in client pixels, how many of its pixels
 * are not transparent, and the picture's place (object-fit: contain
 * worked out here again, not taken from the page's code).
 */
const overlay = (page) => page.evaluate(() => {
  const v = document.getElementById('video');
  const c = document.getElementById('remote-cursor');
  const snap = window.ghostviewViewer.cursor;
  const box = v.getBoundingClientRect();
  const scale = Math.min(box.width / v.videoWidth, box.height / v.videoHeight);
  const picture = {
    left: box.left + (box.width - v.videoWidth * scale) / 2, top: box.top + (box.height - v.videoHeight * scale) / 2, scale,
  };
  const r = c.getBoundingClientRect();
  const style = getComputedStyle(c);
  const shown = !c.hidden && style.display !== 'none' && style.visibility !== 'hidden' && r.width > 0 && r.height > 0;
  let opaque = 0;
  if (shown) {
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 0) opaque++;
  }
  const hot = shown && snap.hot ? { x: r.left + (snap.hot.x * r.width) / c.width, y: r.top + (snap.hot.y * r.height) / c.height } : null;
  return {
    snap, shown, picture, opaque, hot, pointerEvents: style.pointerEvents,
    box: { left: r.left, top: r.top, width: r.width, height: r.height }, pixels: { width: c.width, height: c.height },
  };
});

/** Picture pixel (`x`, `y`) in client pixels, as the page shows the picture now. */
const clientPoint = (o, x, y) => ({ x: o.picture.left + x * o.picture.scale, y: o.picture.top + y * o.picture.scale });

/** Waits until the overlay shows the pointer at picture pixel (`x`, `y`), hot spot within TOLERANCE. */
async function expectDrawnAt(page, x, y, what) {
  let last = null;
  try {
    return await waitFor(async () => {
      last = await overlay(page);
      const p = last.snap.position;
      if (!last.shown || !last.hot || !p || p.x !== x || p.y !== y || !p.visible) return null;
      const want = clientPoint(last, x, y);
      return Math.abs(last.hot.x - want.x) <= TOLERANCE && Math.abs(last.hot.y - want.y) <= TOLERANCE ? last : null;
    }, 5000, `${what}: the pointer drawn at ${x},${y}`);
  } catch (e) {
    e.message += `\n  last seen: ${JSON.stringify(last)}`;
    throw e;
  }
}

/** The drawn image: some of it opaque, the picture's scale (a 1:1 shape is as many CSS pixels as the picture's). */
function checkImage(o, what) {
  assert.ok(o.opaque > 0, `${what}: the pointer image has visible pixels (${JSON.stringify(o.pixels)})`);
  assert.ok(Math.abs(o.box.width - o.pixels.width * o.picture.scale) < 0.5, `${what}: width ${o.box.width} at scale ${o.picture.scale}`);
  assert.ok(Math.abs(o.box.height - o.pixels.height * o.picture.scale) < 0.5, `${what}: height ${o.box.height}`);
  assert.equal(o.pointerEvents, 'none', `${what}: the overlay takes no clicks`);
}

test('with --cursor local the page draws the host\'s pointer where it is, at any window shape, and control goes through it', async () => {
  xdotool('mousemove', '5', '5');
  const host = await startHost(['--cursor', 'local', '--allow', 'control']);
  log('ghostview host PIN', host.pin);
  const page = await join(host.pin, 'Ann', SCREEN);
  try {
    // A wide window: the 4:3 picture is pillarboxed.
    await page.setViewportSize({ width: 1280, height: 720 });
    for (const [x, y] of [[100, 80], [400, 300], [760, 560], [0, 0]]) {
      xdotool('mousemove', String(x), String(y));
      const o = await expectDrawnAt(page, x, y, 'pillarboxed');
      checkImage(o, `pillarboxed at ${x},${y}`);
    }
    const wide = await overlay(page);
    assert.ok(wide.picture.left > 50, `pillarboxed: the picture starts at ${wide.picture.left}`);
    log('pointer image', JSON.stringify(wide.pixels), 'hot spot', JSON.stringify(wide.snap.hot), 'shapes', wide.snap.shapes.join(','));
    assert.ok(wide.snap.received.shape >= 1, 'a cursor-shape came');
    await screenshot(page, 'viewer-cursor-wide');

    // A tall window: letterboxed, smaller; the overlay follows without the pointer moving.
    xdotool('mousemove', '650', '120');
    await expectDrawnAt(page, 650, 120, 'before the window changes');
    await page.setViewportSize({ width: 500, height: 900 });
    const tall = await expectDrawnAt(page, 650, 120, 'letterboxed');
    assert.ok(tall.picture.top > 50 && tall.picture.scale < wide.picture.scale, `letterboxed: ${JSON.stringify(tall.picture)}`);
    checkImage(tall, 'letterboxed');
    xdotool('mousemove', '200', '500');
    checkImage(await expectDrawnAt(page, 200, 500, 'letterboxed, moved'), 'letterboxed, moved');
    await screenshot(page, 'viewer-cursor-tall');

    // Fullscreen (the stage fills the screen): the overlay follows too.
    await page.setViewportSize({ width: 1024, height: 768 });
    await page.click('#fullscreen');
    const full = await waitFor(() => page.evaluate(() => !!document.fullscreenElement), 5000, 'fullscreen');
    assert.ok(full);
    checkImage(await expectDrawnAt(page, 200, 500, 'fullscreen'), 'fullscreen');
    await page.evaluate(() => document.exitFullscreen());
    await waitFor(() => page.evaluate(() => !document.fullscreenElement), 5000, 'out of fullscreen');
    await expectDrawnAt(page, 200, 500, 'after fullscreen');

    // With control: the viewer's mouse, over the overlay, moves the host's pointer, which is drawn under it.
    await waitFor(() => page.evaluate(() => window.ghostviewViewer.capabilities.includes('control')
      && window.ghostviewViewer.channelState === 'open'), 5000, 'control');
    const before = await overlay(page);
    const under = clientPoint(before, 200, 500);
    const target = await page.evaluate(({ x, y }) => document.elementFromPoint(x, y)?.id, before.hot);
    assert.notEqual(target, 'remote-cursor', 'the overlay is not what the mouse is over');
    const sent = await page.evaluate(() => window.ghostviewViewer.inputSent);
    await page.mouse.move(under.x + 20, under.y + 10, { steps: 2 });
    await page.mouse.move(under.x, under.y, { steps: 4 }); // onto the drawn pointer itself
    await waitFor(() => {
      const p = pointerAt();
      return Math.abs(p.x - 200) <= 1 && Math.abs(p.y - 500) <= 1;
    }, 5000, `the host's pointer back at 200,500 (at ${JSON.stringify(pointerAt())})`);
    const moved = await page.evaluate(() => window.ghostviewViewer.inputSent);
    assert.ok(moved > sent, `moves sent through the overlay (${sent} -> ${moved})`);
    const goal = clientPoint(before, 480, 240);
    await page.mouse.move(goal.x, goal.y, { steps: 5 });
    const host2 = await waitFor(() => {
      const p = pointerAt();
      return Math.abs(p.x - 480) <= 1 && Math.abs(p.y - 240) <= 1 ? p : null;
    }, 5000, `the host's pointer at 480,240 (at ${JSON.stringify(pointerAt())})`);
    const drawn = await expectDrawnAt(page, host2.x, host2.y, 'moved by the viewer');
    assert.ok(Math.abs(drawn.hot.x - goal.x) <= TOLERANCE + before.picture.scale
      && Math.abs(drawn.hot.y - goal.y) <= TOLERANCE + before.picture.scale, 'drawn under the viewer\'s mouse');
    const clicks = await page.evaluate(() => window.ghostviewViewer.inputSent);
    await page.mouse.click(drawn.hot.x, drawn.hot.y); // right on the drawn hot spot
    await waitFor(() => page.evaluate((n) => window.ghostviewViewer.inputSent >= n + 2, clicks), 3000, 'a click sent');
    await screenshot(page, 'viewer-cursor-control');

    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(page.problems, []);
  } catch (e) {
    log('host output:\n', tail(host.output, 40));
    throw e;
  } finally {
    await page.close();
    await stopProcess(host.child, 'SIGINT', 8000);
  }
});

test('sharing one window, the pointer outside it is not drawn', async () => {
  const win = await openXWindow(xvfb.display, WINDOW, WINDOW.at, processes);
  const id = await waitFor(() => {
    const r = spawnSync('xdotool', ['search', '--name', WINDOW.title], { env: { ...process.env, DISPLAY: xvfb.display }, encoding: 'utf8' });
    return r.status === 0 && r.stdout.trim() ? Number(r.stdout.trim().split('\n')[0]) : 0;
  }, 5000, 'the xmessage window');
  // The window's inside (what is shared): xwininfo's absolute upper left is its border's.
  const info = spawnSync('xwininfo', ['-id', String(id)], { env: { ...process.env, DISPLAY: xvfb.display }, encoding: 'utf8' }).stdout;
  const number = (label) => Number(new RegExp(`${label}:\\s+(-?\\d+)`).exec(info)[1]);
  const border = number('Border width');
  const origin = { x: number('Absolute upper-left X') + border, y: number('Absolute upper-left Y') + border };
  xdotool('mousemove', String(origin.x + 30), String(origin.y + 40));
  const host = await startHost(['--cursor', 'local'], `window:0x${id.toString(16)}`);
  const page = await join(host.pin, 'Bea', { width: WINDOW.width, height: WINDOW.height });
  try {
    const inside = await expectDrawnAt(page, 30, 40, 'inside the window');
    checkImage(inside, 'inside the window');
    xdotool('mousemove', String(origin.x + WINDOW.width + 150), String(origin.y + WINDOW.height + 150));
    const outside = await waitFor(async () => {
      const o = await overlay(page);
      return o.snap.position && !o.snap.position.visible ? o : null;
    }, 5000, 'visible: false');
    assert.equal(outside.shown, false, 'not drawn while outside the window');
    assert.equal(await page.isHidden('#remote-cursor'), true);
    xdotool('mousemove', String(origin.x + 300), String(origin.y + 200));
    checkImage(await expectDrawnAt(page, 300, 200, 'back inside'), 'back inside');
    assert.deepEqual(page.problems, []);
  } catch (e) {
    log('host output:\n', tail(host.output, 40));
    throw e;
  } finally {
    await page.close();
    await stopProcess(host.child, 'SIGINT', 8000);
    await stopProcess(win, 'SIGTERM');
  }
});

test('a host that draws the pointer into its frames sends no cursor messages, and the page draws none', async () => {
  const host = await startHost([]);
  const page = await join(host.pin, 'Cy', SCREEN);
  try {
    for (const [x, y] of [[120, 90], [600, 400]]) {
      xdotool('mousemove', String(x), String(y));
      await new Promise((r) => setTimeout(r, 700));
    }
    const o = await overlay(page);
    assert.deepEqual(o.snap.received, { cursor: 0, shape: 0 }, 'no cursor messages');
    assert.equal(o.snap.position, null);
    assert.equal(o.shown, false, 'no overlay');
    assert.equal(await page.isHidden('#remote-cursor'), true);
    const frames = await framesDecoded(page);
    await waitFor(async () => (await framesDecoded(page)) > frames + 5, 5000, 'frames go on');
    assert.deepEqual(page.problems, []);
  } catch (e) {
    log('host output:\n', tail(host.output, 40));
    throw e;
  } finally {
    await page.close();
    await stopProcess(host.child, 'SIGINT', 8000);
  }
});

test('Fit display: a viewer with control resizes the host\'s (virtual) display to its window; without --allow-resize it is told why', async () => {
  const host = await startHost(['--allow', 'control', '--allow-resize']);
  const page = await join(host.pin, 'Cy', SCREEN);
  try {
    await page.setViewportSize({ width: 700, height: 520 });
    await waitFor(() => page.evaluate(() => window.ghostviewViewer.capabilities.includes('control')), 5000, 'control');
    await page.click('#fit-display');
    const want = await page.evaluate(() => {
      const s = document.getElementById('surface');
      return { width: s.clientWidth & ~1, height: s.clientHeight & ~1 };
    });
    assert.ok(want.width < SCREEN.width && want.height < SCREEN.height, JSON.stringify(want));
    await waitFor(() => page.evaluate(({ width, height }) => {
      const v = document.getElementById('video');
      return v.videoWidth === width && v.videoHeight === height;
    }, want), 15000, `the picture at the window's ${want.width}x${want.height}`);
    assert.deepEqual(page.problems, []);
  } catch (e) {
    log('host output:\n', tail(host.output, 40));
    throw e;
  } finally {
    await page.close();
    await stopProcess(host.child, 'SIGINT', 8000);
  }
  // The host gave the display its first size back; one that does not resize says so.
  const plain = await startHost(['--allow', 'control']);
  const refused = await join(plain.pin, 'Di', SCREEN);
  try {
    await waitFor(() => refused.evaluate(() => window.ghostviewViewer.capabilities.includes('control')), 5000, 'control');
    await refused.click('#fit-display');
    await waitFor(() => refused.evaluate(() => /not resized: the host does not resize its display/
      .test(document.getElementById('toast').textContent)), 5000, 'the refusal shown');
  } finally {
    await refused.close();
    await stopProcess(plain.child, 'SIGINT', 8000);
  }
});
