// Scenario 1: a native host (gvwebrtcsink) -> the browser viewer. After the
// PIN is typed, frames are decoded within 5 s (getStats framesDecoded > 0) and
// the page shows a picture, not a blank. Without audio there is no unmute
// button (scenario 7 has audio). The stats overlay shows the stream's figures
// and the link as the host reports it (its estimate, the picture size); the
// host says Chromium's TWCC feedback drives that estimate.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  framesDecoded, launchBrowser, log, openPage, requireBrowser, requireGstElements, screenshot,
  startNativeHost, startServer, tail, videoVariety, waitFor,
} from './lib/harness.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'videotestsrc');

let server;
let host;
let browser;

before(async () => {
  server = await startServer();
  host = await startNativeHost(
    'videotestsrc is-live=true pattern=smpte ! video/x-raw,width=640,height=360,framerate=30/1 ! ' +
      `gvwebrtcsink signaller::server=${server.ws} ice-loopback=true`,
    // The RTCP guard's warning on a refused packet (plugins/webrtc/gvrtcpfilter.cpp).
    { env: { GST_DEBUG: 'gvrtcpfilter:2' } },
  );
  log('native host PIN', host.pin);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await host?.stop();
  await server?.stop();
});

test('native host -> browser viewer: frames decoded within 5 s of typing the PIN', async () => {
  const page = await openPage(browser, `${server.url}/`);
  await page.fill('#pin', host.pin);
  const typed = Date.now();
  await page.press('#pin', 'Enter');
  try {
    await waitFor(async () => (await framesDecoded(page)) > 0, 5000, 'framesDecoded > 0');
  } catch (e) {
    await screenshot(page, 'viewer-native-host-FAILED');
    const state = await page.evaluate(() => window.ghostviewViewer.state);
    throw new Error(`${e.message} (viewer state ${state})\nhost output:\n${tail(host.output)}`);
  }
  const elapsed = Date.now() - typed;
  log(`first frames decoded ${elapsed} ms after Enter`);
  assert.ok(elapsed < 5000);

  await waitFor(() => page.evaluate(() => window.ghostviewViewer.state === 'live'), 3000, 'state live');
  assert.equal(await page.textContent('#status'), 'Live');
  // A host without audio: no audio track, so no unmute button.
  assert.deepEqual(await page.evaluate(() => document.getElementById('video').srcObject.getAudioTracks().length), 0);
  assert.ok(await page.locator('#mute').isHidden(), 'no unmute button without audio');
  await page.waitForTimeout(500); // a few frames, so the screenshot shows the picture
  const variety = await videoVariety(page);
  log('video variety', variety.toFixed(2));
  assert.ok(variety > 0.2, `the picture looks blank (variety ${variety})`);

  // The stats overlay shows the stream's real figures.
  await page.click('#toggle-stats');
  await waitFor(() => page.evaluate(() => (window.ghostviewViewer.stats() || {}).width === 640), 3000, 'stats 640x360');
  await page.waitForTimeout(1100); // a second sample gives a bitrate
  const stats = await page.textContent('#stats');
  assert.match(stats, /640×360/);
  assert.match(stats, /bit\/s/);
  // The host's link report, about once a second, in words.
  const linkLine = '#stats div:has(> .k:text-is("Link")) .v';
  await waitFor(async () => (await page.locator(linkLine).count()) === 1, 5000, 'a Link line in the stats');
  const link = await page.textContent(linkLine);
  log('link line', link);
  assert.match(link, /^\d+(\.\d)? [kM]bit\/s · (Full|Half|Quarter) size$/);
  const report = await page.evaluate(() => window.ghostviewViewer.link());
  assert.ok(report.estimate > 0 && report.layer >= 0, JSON.stringify(report));
  // The host's side of that report (a gvwebrtcsink-link bus message): the
  // estimate is driven by Chromium's transport-wide congestion control
  // feedback, not only by its receiver reports.
  const twcc = /gvwebrtcsink-link[^\n]*feedback=\(string\)twcc/;
  await waitFor(() => twcc.test(host.output), 5000, 'a gvwebrtcsink-link message with feedback=twcc');
  // Chromium's RTCP (receiver reports, SDES, TWCC, NACK, PLI) all passes the
  // host's RTCP guard.
  assert.doesNotMatch(host.output, /RTCP from .* refused/);
  await screenshot(page, 'viewer-live-native-host');

  // Letterboxing: a phone-shaped window keeps the whole picture.
  await page.setViewportSize({ width: 390, height: 760 });
  await page.waitForTimeout(300);
  await screenshot(page, 'viewer-live-phone');

  assert.deepEqual(page.problems, []);
  await page.click('#leave');
  assert.equal(await page.evaluate(() => window.ghostviewViewer.state), 'ended');
  assert.match(await page.textContent('#ended-text'), /You left/);
});
