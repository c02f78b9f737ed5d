// Scenario 3: the zero-install browser host (synthetic screen) -> the native
// record preset (gvwebrtcsrc decode=false ! matroskamux ! filesink: the file
// has frames) and -> the browser viewer (frames decoded), with the host's
// consent UI, control grant/revoke, and Stop sharing ending the session.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  framesDecoded, gstEnv, launchBrowser, log, openPage, outDir, requireBrowser, requireGstElements,
  screenshot, startPipeline, startServer, tail, videoVariety, waitFor,
} from './lib/harness.mjs';

requireBrowser();
requireGstElements('gvwebrtcsrc', 'matroskamux', 'matroskademux', 'decodebin');

const recording = path.join(outDir, 'browser-host-recording.mkv');
let server;
let browser;
let recorder;

before(async () => {
  mkdirSync(outDir, { recursive: true });
  rmSync(recording, { force: true });
  server = await startServer();
  browser = await launchBrowser({ fakeMedia: true });
});

after(async () => {
  await browser?.close();
  await recorder?.stop();
  await server?.stop();
});

/** Waits for a join request on the host page and answers it. */
async function answerRequest(hostPage, { allowControl, shot }) {
  const request = hostPage.locator('#requests li.request').first();
  await request.waitFor({ state: 'visible', timeout: 10000 });
  if (allowControl) await request.locator('.allow-control').check();
  if (shot) await screenshot(hostPage, shot);
  await request.locator('.accept').click();
}

/** Frames in a Matroska file: decoded and counted by a pipeline. */
function countFrames(file) {
  const r = spawnSync('gst-launch-1.0', ['-v', 'filesrc', `location=${file}`, '!', 'matroskademux', '!',
    'decodebin', '!', 'fakesink', 'silent=false', 'sync=false'], { env: gstEnv(), encoding: 'utf8', timeout: 20000 });
  const frames = (r.stdout.match(/last-message = chain/g) || []).length;
  return { frames, status: r.status, output: r.stdout + r.stderr };
}

test('browser host -> native recorder and browser viewer', async () => {
  const hostPage = await openPage(browser, `${server.url}/host.html`);
  await screenshot(hostPage, 'host-start');
  await hostPage.click('#start-sharing');
  const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN on the host page');
  log('browser host PIN', pin);
  assert.match(pin, /^\d{6}$/);
  assert.equal(await hostPage.getAttribute('#pin', 'data-pin'), pin);
  assert.match(await hostPage.textContent('#expiry'), /^New viewers can join with this PIN for another (9 min \d+ s|10 min) \(until .+\)\.$/);
  assert.equal(await hostPage.inputValue('#viewer-url'), `${server.url}/?pin=${pin}`);

  // --- the native record preset joins; the person accepts it ---
  recorder = startPipeline(
    `gvwebrtcsrc signaller::server=${server.ws} pin=${pin} display-name=Recorder decode=false ice-loopback=true ! ` +
      `matroskamux ! filesink location=${recording}`,
  );
  await answerRequest(hostPage, { allowControl: false, shot: 'host-join-request' });
  await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.viewers.some((v) => v.state === 'watching')),
    10000, 'the recorder connected').catch((e) => {
    throw new Error(`${e.message}\nrecorder output:\n${tail(recorder.output)}`);
  });

  // --- a browser viewer joins with control allowed ---
  const viewer = await openPage(browser, `${server.url}/?pin=${pin}`);
  await viewer.fill('#name', 'Alice');
  await viewer.click('#connect');
  await viewer.waitForSelector('text=Waiting for the host to accept', { timeout: 5000 });
  await hostPage.bringToFront();
  await answerRequest(hostPage, { allowControl: true });
  await waitFor(async () => (await framesDecoded(viewer)) > 0, 5000, 'frames decoded by the browser viewer');
  await waitFor(() => viewer.evaluate(() => window.ghostviewViewer.state === 'live'), 3000, 'viewer live');
  assert.deepEqual(await viewer.evaluate(() => window.ghostviewViewer.capabilities), ['view', 'control']);
  await viewer.bringToFront();
  await viewer.waitForTimeout(500);
  assert.ok((await videoVariety(viewer)) > 0.05, 'the viewer shows a picture');
  await screenshot(viewer, 'viewer-live-browser-host');

  // Input from the viewer reaches the browser host, which can only count it.
  await waitFor(() => viewer.evaluate(() => window.ghostviewViewer.channelState === 'open'), 5000, 'channel open');
  const box = await viewer.locator('#video').boundingBox();
  await viewer.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.viewers.some((v) => v.inputEvents > 0)),
    5000, 'input events at the browser host');

  // The host revokes control; the viewer hears of it.
  await hostPage.bringToFront();
  const aliceRow = hostPage.locator('#viewers li', { hasText: 'Alice' });
  assert.equal(await aliceRow.locator('.control').textContent(), 'Revoke control');
  await screenshot(hostPage, 'host-sharing-two-viewers');
  await aliceRow.locator('.control').click();
  await waitFor(() => viewer.evaluate(() => !window.ghostviewViewer.capabilities.includes('control')),
    5000, 'control revoked at the viewer');
  // ...and the viewer asks for it again: the host page shows the request.
  await viewer.click('#request-control');
  await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.viewers.some((v) => v.controlRequested)),
    5000, 'control request shown on the host page');
  assert.equal(await aliceRow.locator('.control').textContent(), 'Grant control');

  // --- Stop sharing ends the session for everyone ---
  await hostPage.click('#stop');
  assert.equal(await hostPage.evaluate(() => window.ghostviewHost.state), 'stopped');
  await waitFor(() => viewer.evaluate(() => window.ghostviewViewer.state === 'ended'), 5000, 'viewer sees the end');
  assert.match(await viewer.textContent('#ended-text'), /host ended the session/i);
  await screenshot(viewer, 'viewer-session-ended');
  await screenshot(hostPage, 'host-stopped');

  // The recorder gets EOS when the session ends, so the file is finalised.
  const code = await Promise.race([recorder.done, new Promise((r) => setTimeout(() => r('timeout'), 8000))]);
  if (code === 'timeout') await recorder.stop();
  log('recorder exit', code, code === 0 ? '' : tail(recorder.output, 6));
  assert.ok(existsSync(recording) && statSync(recording).size > 1000, `no recording:\n${tail(recorder.output)}`);
  const { frames, status, output } = countFrames(recording);
  log(`recording: ${statSync(recording).size} bytes, ${frames} frames decoded`);
  assert.equal(status, 0, `the recording does not play:\n${tail(output)}`);
  assert.ok(frames >= 10, `the recording has ${frames} frames`);

  assert.deepEqual(hostPage.problems, []);
  assert.deepEqual(viewer.problems, []);
});
