// Firefox 1: a native host (gvwebrtcsink, VP8) -> the viewer page in
// headless Firefox ESR (its own network namespace, lib/firefox.mjs). The PIN
// is typed, the host accepts (every viewer: no join-request handler), and
// frames are decoded and keep coming (getStats framesDecoded rising, the
// video's presented frames and currentTime advancing), the picture is not
// blank, the decoded codec is VP8. Firefox keeps its mDNS host candidates
// and the host tries to resolve them (what came of it is printed).
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { launchFirefox, openFirefoxPage, requireFirefox } from './lib/firefox.mjs';
import { frameClock, inboundVideo, installFrameClock, selectedPair } from './lib/frames.mjs';
import {
  framesDecoded, log, requireGstElements, screenshot, startNativeHost, startServer, tail, videoVariety, waitFor,
} from './lib/harness.mjs';

requireFirefox();
requireGstElements('gvwebrtcsink', 'videotestsrc');

let ff;
let server;
let host;

before(async () => {
  ff = await launchFirefox();
  server = await startServer([], { address: ff.serverAddress });
  // The host's debug lines about the browser's mDNS candidates (resolved or dropped).
  // gvrtcpfilter: the RTCP guard's warning on a refused packet.
  process.env.GST_DEBUG = 'gvwebrtcutils:5,gvrtcpfilter:2';
  host = await startNativeHost(
    'videotestsrc is-live=true pattern=smpte ! video/x-raw,width=640,height=360,framerate=30/1 ! ' +
      `gvwebrtcsink signaller::server=${server.ws} video-codec=vp8`,
  );
  log('native host PIN', host.pin);
});

after(async () => {
  await ff?.close();
  await host?.stop();
  await server?.stop();
});

test('native host -> Firefox viewer: frames decoded within 5 s of typing the PIN, and they keep coming', async () => {
  const page = await openFirefoxPage(ff, `${server.url}/`);
  await installFrameClock(page);
  await page.type('#pin', host.pin);
  const typed = Date.now();
  await page.keyboard.press('Enter');
  try {
    await waitFor(async () => (await framesDecoded(page)) > 0, 5000, 'framesDecoded > 0');
  } catch (e) {
    await screenshot(page, 'firefox-viewer-FAILED');
    const state = await page.evaluate(() => window.ghostviewViewer.state);
    throw new Error(`${e.message} (viewer state ${state})\nhost output:\n${tail(host.output)}\nFirefox:\n${tail(ff.output)}`);
  }
  log(`first frames decoded (getStats, polled) ${Date.now() - typed} ms after Enter`);
  await waitFor(() => page.evaluate(() => window.ghostviewViewer.state === 'live'), 3000, 'state live');
  assert.equal(await page.$eval('#status', (e) => e.textContent), 'Live');

  const first = await inboundVideo(page);
  const clock1 = await frameClock(page);
  const t1 = await page.evaluate(() => document.getElementById('video').currentTime);
  await new Promise((r) => setTimeout(r, 1500));
  const second = await inboundVideo(page);
  const clock2 = await frameClock(page);
  const t2 = await page.evaluate(() => document.getElementById('video').currentTime);
  log(`first frame presented ${clock2.acceptedToFirstFrameMs} ms after the host accepted ` +
    `(${clock2.enterToFirstFrameMs} ms after Enter); states ${clock2.states.join(' > ')}`);
  log(`framesDecoded ${first.framesDecoded} -> ${second.framesDecoded}, presented ${clock1.frames} -> ${clock2.frames}, ` +
    `currentTime ${t1.toFixed(2)} -> ${t2.toFixed(2)} s, ${second.width}x${second.height} ${second.codec}`);
  assert.ok(second.framesDecoded - first.framesDecoded >= 15, 'about 30 frames a second are decoded');
  assert.ok(clock2.frames - clock1.frames >= 15, 'and presented (requestVideoFrameCallback)');
  assert.ok(t2 - t1 > 1, 'the video plays (currentTime advances)');
  assert.equal(second.codec, 'video/VP8');
  assert.equal(second.width, 640);
  assert.ok(clock2.acceptedToFirstFrameMs !== null && clock2.acceptedToFirstFrameMs < 5000);

  const variety = await videoVariety(page);
  log('video variety', variety.toFixed(2));
  assert.ok(variety > 0.2, `the picture looks blank (variety ${variety})`);
  // Firefox's defaults hide its host address behind an mDNS name; the host
  // got that candidate and tried to resolve it (resolved: used; not: dropped,
  // and ICE succeeds on the peer-reflexive candidate Firefox's checks make).
  const pair = await selectedPair(page);
  log('selected ICE pair (Firefox side):', JSON.stringify(pair));
  assert.match(pair.local, /^host [0-9a-f-]+\.local:\d+$/, 'Firefox keeps its mDNS host candidates');
  const mdns = host.output.split('\n').filter((l) => /mDNS/.test(l)).map((l) => l.replace(/^.*gvwebrtcutils\S*\s+/, ''));
  log(`host side of Firefox's mDNS candidates: ${mdns.join(' | ')}`);
  assert.ok(mdns.length > 0, 'the host received an mDNS candidate and tried to resolve it');
  await screenshot(page, 'firefox-viewer-live');
  // Firefox's RTCP all passes the host's RTCP guard.
  assert.doesNotMatch(host.output, /RTCP from .* refused/);

  assert.deepEqual(page.problems, []);
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  await page.click('#leave');
  assert.equal(await page.evaluate(() => window.ghostviewViewer.state), 'ended');
});
