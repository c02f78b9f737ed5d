// Scenario 36: choosing what the host shares (issue 15 item 1), from the
// viewer page. A real `ghostview host --source screen --allow source`
// shares an Xvfb display on which two plain X windows (xmessage) of known
// titles and sizes are open. The page, given `source`, lists them in its
// Source picker; picking a window makes the picture that window's size and
// "Sharing:" name it; picking the screen brings the display's size back;
// closing the shared window tells the page (window-closed) and the picture
// goes on at the display's size. A viewer without `source` has no picker,
// and a share it sends by hand is refused with the host's sentence shown.
// The browser host page: "Share something else" (a second getDisplayMedia
// on Chromium's synthetic screen) replaces every viewer's track and tells
// them with `shared` by "Host"; the viewer keeps playing; a viewer's own
// share is refused with the browser host's sentence.
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
if (spawnSync('xmessage', ['-help']).error) skip('xmessage is not installed (apt install x11-utils)');

// The refusals' sentences (web/js/assist.js, host-source.js; the spec's words).
const SOURCE_REFUSED = 'The host has not allowed choosing what is shared.';
const BROWSER_REFUSED = 'This host shares from a browser: only the host can pick what is shared.';
const SCREEN = { width: 800, height: 600 };
const WINDOW_A = { title: 'GhostView source A', width: 320, height: 240 };
const WINDOW_B = { title: 'GhostView source B', width: 480, height: 360 };

let server;
let xvfb;
let browser;
const processes = [];

before(async () => {
  server = await startServer();
  xvfb = await startXvfb(SCREEN);
  browser = await launchBrowser({ fakeMedia: true });
});

after(async () => {
  await browser?.close();
  for (const p of processes.reverse()) await stopProcess(p.child ?? p, 'SIGINT', 8000);
  await xvfb?.stop();
  await server?.stop();
});

const openWindow = (window, at) => openXWindow(xvfb.display, window, at, processes);

/** `ghostview host` sharing the Xvfb screen, every viewer given `allow`; resolves once it has a PIN. */
function startHost(allow) {
  return startXHost(server, xvfb.display, ['--source', 'screen', ...(allow ? ['--allow', allow] : [])], processes);
}

async function join(pin, name) {
  const page = await openPage(browser, `${server.url}/?pin=${pin}`);
  await page.fill('#name', name);
  await page.click('#connect');
  await waitFor(async () => (await framesDecoded(page)) > 0, 15000, 'frames decoded');
  return page;
}

const videoSize = (page) => page.evaluate(() => {
  const v = document.getElementById('video');
  return { width: v.videoWidth, height: v.videoHeight };
});
const sourceState = (page) => page.evaluate(() => window.ghostviewViewer.source);

/** Waits until the picture is `want`'s size and frames keep coming. */
async function waitForPicture(page, want, what) {
  await waitFor(async () => {
    const size = await videoSize(page);
    return size.width === want.width && size.height === want.height;
  }, 15000, `${what}: a ${want.width}x${want.height} picture (now ${JSON.stringify(await videoSize(page))})`);
  const before = await framesDecoded(page);
  await waitFor(async () => (await framesDecoded(page)) > before + 5, 5000, `${what}: frames go on`);
}

/** Picks `id` in the Source picker and presses Share. */
async function pick(page, id) {
  await page.selectOption('#source-select', id);
  await page.click('#source-share');
}

test('a viewer with `source` picks a window, the screen, and hears when the shared window closes', async () => {
  const windowA = await openWindow(WINDOW_A, 10);
  const windowB = await openWindow(WINDOW_B, 120);
  const host = await startHost('source');
  log('ghostview host PIN', host.pin);
  const page = await join(host.pin, 'Ann');
  try {
    await waitFor(() => page.evaluate(() => window.ghostviewViewer.capabilities.includes('source')), 5000, 'source granted');
    await page.waitForSelector('#source-picker:not([hidden])', { timeout: 5000 });
    // The page asked for the list when `source` and the channel were there.
    const listed = await waitFor(async () => {
      const s = await sourceState(page);
      return [WINDOW_A, WINDOW_B].every((w) => s.items.some((i) => i.name === w.title)) ? s : null;
    }, 10000, 'both windows in the Source picker');
    log('sources:', JSON.stringify(listed.items));
    assert.ok(listed.items.some((i) => i.id === 'screen' && i.kind === 'screen'), 'the whole screen is listed');
    const itemA = listed.items.find((i) => i.name === WINDOW_A.title);
    const itemB = listed.items.find((i) => i.name === WINDOW_B.title);
    for (const [item, w] of [[itemA, WINDOW_A], [itemB, WINDOW_B]]) {
      assert.match(item.id, /^window:0x[0-9a-f]+$/);
      assert.equal(item.kind, 'window');
      assert.deepEqual([item.width, item.height], [w.width, w.height], `${w.title}'s size as listed`);
    }
    await waitForPicture(page, SCREEN, 'at first');
    await screenshot(page, 'viewer-source-picker');

    // A window: the picture becomes the window, and the page says so.
    await pick(page, itemA.id);
    await waitForPicture(page, WINDOW_A, 'window A');
    await waitFor(async () => (await sourceState(page)).shared?.source === itemA.id, 5000, '`shared` for window A');
    const lineA = await page.textContent('#sharing-line');
    assert.equal(lineA, `Sharing: ${WINDOW_A.title} (${WINDOW_A.width}×${WINDOW_A.height})`);
    assert.equal((await sourceState(page)).shared.by, 'Ann');
    await screenshot(page, 'viewer-source-window');

    // The screen again.
    await pick(page, 'screen');
    await waitForPicture(page, SCREEN, 'the screen again');
    await waitFor(async () => (await sourceState(page)).shared?.source === 'screen', 5000, '`shared` for the screen');
    assert.match(await page.textContent('#sharing-line'), new RegExp(`^Sharing: .+ \\(${SCREEN.width}×${SCREEN.height}\\)$`));

    // Window B, then it closes while shared: the host falls back to its display.
    await pick(page, itemB.id);
    await waitForPicture(page, WINDOW_B, 'window B');
    await stopProcess(windowB, 'SIGTERM');
    const closed = await waitFor(async () => {
      const s = await sourceState(page);
      return s.shared?.reason === 'window-closed' ? s : null;
    }, 10000, 'window-closed');
    log('after the window closed:', JSON.stringify(closed.shared));
    assert.match(closed.shared.source, /^(screen|display:\d+)$/);
    assert.equal(closed.notice, `The shared window was closed; the host now shares ${closed.shared.name || closed.shared.source}.`);
    assert.equal(await page.textContent('#toast'), closed.notice);
    assert.equal(await page.isVisible('#toast'), true, 'the notice shows');
    await waitForPicture(page, SCREEN, 'after the window closed');
    await screenshot(page, 'viewer-source-window-closed');
    // The list the page asked for again no longer has it.
    await waitFor(async () => !(await sourceState(page)).items.some((i) => i.id === itemB.id), 5000, 'window B gone from the list');
    assert.equal((await sourceState(page)).refused, 0);
    // The picker and the line fit a phone.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    await screenshot(page, 'viewer-source-phone');
    assert.ok(overflow <= 0, `${overflow} px wider than the phone`);
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(page.problems, []);
  } catch (e) {
    log('host output:\n', tail(host.output, 40));
    throw e;
  } finally {
    await page.close();
    await stopProcess(host.child, 'SIGINT', 8000);
    await stopProcess(windowA, 'SIGTERM');
  }
});

test('a viewer without `source` has no picker, and its share is refused with the host\'s sentence', async () => {
  const host = await startHost('');
  const page = await join(host.pin, 'Bob');
  try {
    await waitFor(() => page.evaluate(() => window.ghostviewViewer.assistState === 'open'), 5000, 'assist channel open');
    assert.equal(await page.isHidden('#source-picker'), true, 'no Source picker');
    assert.equal(await page.evaluate(() => window.ghostviewViewer.shareSource('screen')), false, 'the page does not ask');
    assert.equal(await page.evaluate(() => window.ghostviewViewer.shareSource('screen', { evenIfNotAllowed: true })), true);
    await waitFor(async () => (await sourceState(page)).refused === 1, 5000, 'the refusal');
    assert.equal((await sourceState(page)).lastRefusal, SOURCE_REFUSED);
    assert.equal(await page.textContent('#toast'), SOURCE_REFUSED);
    assert.equal(await page.isVisible('#toast'), true, 'Bob sees the refusal');
    await waitForPicture(page, SCREEN, 'the picture unchanged');
    assert.deepEqual(page.problems, []);
  } catch (e) {
    log('host output:\n', tail(host.output, 40));
    throw e;
  } finally {
    await page.close();
    await stopProcess(host.child, 'SIGINT', 8000);
  }
});

test('the browser host page shares something else: viewers hear it by "Host" and keep playing', async () => {
  const hostPage = await openPage(browser, `${server.url}/host.html`);
  await hostPage.check('#new-source');
  await hostPage.click('#start-sharing');
  const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN on the host page');
  assert.equal(await hostPage.isVisible('#switch-source'), true, '"Share something else" while sharing');

  const viewer = await openPage(browser, `${server.url}/?pin=${pin}`);
  await viewer.fill('#name', 'Cleo');
  await viewer.click('#connect');
  const request = hostPage.locator('#requests li.request', { hasText: 'Cleo' });
  await request.waitFor({ state: 'visible', timeout: 10000 });
  assert.equal(await request.locator('.allow-source').isChecked(), true, 'the request offers `source` ticked');
  await request.locator('.accept').click();
  await waitFor(async () => (await framesDecoded(viewer)) > 0, 10000, 'frames decoded');
  await waitFor(() => viewer.evaluate(() => window.ghostviewViewer.assistState === 'open'), 5000, 'assist channel open');
  assert.deepEqual(await viewer.evaluate(() => window.ghostviewViewer.capabilities), ['view', 'source']);

  // The page asked for the list; a browser host refuses that, and a share, with its own sentence.
  await waitFor(async () => (await sourceState(viewer)).refused >= 1, 5000, 'list-sources refused');
  assert.equal((await sourceState(viewer)).lastRefusal, BROWSER_REFUSED);
  assert.equal(await viewer.evaluate(() => window.ghostviewViewer.shareSource('screen')), true);
  await waitFor(async () => (await sourceState(viewer)).refused >= 2, 5000, 'share refused');
  assert.equal(await viewer.textContent('#toast'), BROWSER_REFUSED);
  const row = hostPage.locator('#viewers li', { hasText: 'Cleo' });
  assert.match(await row.locator('.refused-note').textContent(), /asked 2 times to pick what is shared/);

  // Without `source`, the native host's sentence.
  await row.locator('.allow-source').uncheck();
  await waitFor(() => viewer.evaluate(() => !window.ghostviewViewer.capabilities.includes('source')), 5000, 'source revoked');
  assert.equal(await viewer.isHidden('#source-picker'), true);
  await viewer.evaluate(() => window.ghostviewViewer.shareSource('screen', { evenIfNotAllowed: true }));
  await waitFor(async () => (await sourceState(viewer)).refused >= 3, 5000, 'share refused without source');
  assert.equal((await sourceState(viewer)).lastRefusal, SOURCE_REFUSED);
  // Given `source` again: the picker is back, and the page asks for the list at once.
  await row.locator('.allow-source').check();
  await viewer.waitForSelector('#source-picker:not([hidden])', { timeout: 5000 });
  await waitFor(async () => (await sourceState(viewer)).refused >= 4, 5000, 'list-sources on the grant');
  assert.equal((await sourceState(viewer)).lastRefusal, BROWSER_REFUSED);

  // "Share something else": a second capture in place of the first.
  const oldTrack = await hostPage.evaluate(() => document.getElementById('preview').srcObject.getVideoTracks()[0].id);
  await hostPage.bringToFront();
  await hostPage.click('#switch-source');
  await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.source.switches === 1), 10000, 'the capture replaced');
  const shared = await waitFor(async () => (await sourceState(viewer)).shared, 5000, '`shared` at the viewer');
  log('shared:', JSON.stringify(shared));
  const track = await hostPage.evaluate(() => {
    const t = document.getElementById('preview').srcObject.getVideoTracks()[0];
    const s = t.getSettings();
    return { id: t.id, label: t.label, width: s.width, height: s.height };
  });
  assert.notEqual(track.id, oldTrack, 'a new track');
  assert.equal(shared.by, 'Host');
  assert.equal(shared.reason, '');
  assert.equal(shared.name, track.label);
  assert.deepEqual([shared.width, shared.height], [track.width, track.height]);
  assert.equal(await viewer.textContent('#sharing-line'), `Sharing: ${track.label || 'the whole screen'} (${track.width}×${track.height})`);
  // The viewer's sender carries the new track, and the picture goes on.
  assert.equal(await hostPage.evaluate(() => window.ghostviewHost.viewers[0].state), 'watching');
  const before = await framesDecoded(viewer);
  await waitFor(async () => (await framesDecoded(viewer)) > before + 20, 10000, 'frames go on after the switch');
  assert.equal(await viewer.evaluate(() => window.ghostviewViewer.state), 'live');
  await screenshot(hostPage, 'host-shared-something-else');
  await screenshot(viewer, 'viewer-host-shared-something-else');

  await hostPage.click('#stop');
  await waitFor(() => viewer.evaluate(() => window.ghostviewViewer.state === 'ended'), 5000, 'viewer sees the end');
  assert.deepEqual(hostPage.problems, []);
  assert.deepEqual(viewer.problems, []);
  await viewer.close();
  await hostPage.close();
});
