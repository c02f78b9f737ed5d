// The fallback (signaling/PROTOCOL.md "Fallback", web/js/viewer-fallback.js):
// a Chromium viewer whose peer connection cannot connect (the page's
// RTCPeerConnection is made relay-only with no TURN server: no candidate
// at all) watches a native host's pictures over the signalling WebSocket,
// labelled as such, clicks and types on them with control, and goes back
// to WebRTC by itself once the network lets it (the block lifted: the next
// `restart` connects). And the browser host page sends pictures of its own
// capture the same way.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  cspViolations, framesDecoded, launchBrowser, log, openPage, requireBrowser, requireGstElements, screenshot,
  startNativeHost, startServer, tail, videoVariety, waitFor,
} from './lib/harness.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'gvinputinject', 'videotestsrc', 'jpegenc');

const W = 640;
const H = 360;
const FALLBACK_S = 2;
let server;
let host;
let browser;

/**
 * Runs in every page before its scripts: while window.__gvBlockWebRtc is
 * true, each new RTCPeerConnection gathers no candidate (relay only, no
 * relay), so it never connects, as behind a network that blocks UDP.
 */
function blockWebRtc() {
  window.__gvBlockWebRtc = true;
  window.__wsSent = []; // the page's `input` messages, for diagnostics
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (typeof data === 'string' && data.includes('"input"') && window.__wsSent.length < 1000) window.__wsSent.push(data);
    return send.call(this, data);
  };
  const Real = window.RTCPeerConnection;
  window.RTCPeerConnection = class extends Real {
    constructor(config = {}) {
      super(window.__gvBlockWebRtc ? { ...config, iceServers: [], iceTransportPolicy: 'relay' } : config);
    }
  };
}

before(async () => {
  server = await startServer();
  host = await startNativeHost(
    `videotestsrc is-live=true pattern=smpte ! video/x-raw,width=${W},height=${H},framerate=15/1 ! ` +
      'gvinputinject backend=record ! videoconvert ! ' +
      `gvwebrtcsink signaller::server=${server.ws} ice-loopback=true allow-control=true`,
  );
  log('native host PIN', host.pin);
  browser = await launchBrowser({ fakeMedia: true }); // (fake media: the browser host page's screen)
  await browser.context.addInitScript(blockWebRtc);
});

after(async () => {
  await browser?.close();
  await host?.stop();
  await server?.stop();
});

const fallbackState = (page) => page.evaluate(() => ({
  ...window.ghostviewViewer.fallback,
  state: window.ghostviewViewer.state,
  status: document.getElementById('status').textContent,
  label: document.getElementById('fallback-label').hidden ? '' : document.getElementById('fallback-label').textContent,
  canvasShown: !document.getElementById('fallback-canvas').hidden,
  problemShown: !document.getElementById('problem').hidden,
  connection: window.ghostviewViewer.pc ? window.ghostviewViewer.pc.connectionState : 'none',
  reports: window.ghostviewViewer.reports,
}));

const hostEvents = (type) => host.events.filter((e) => e.type === type && !e.synthetic);

test('no WebRTC: pictures over the signalling connection, labelled, with control; then back to WebRTC', async () => {
  const page = await openPage(browser, `${server.url}/?pin=${host.pin}&fallback=${FALLBACK_S}`);
  await page.setViewportSize({ width: 900, height: 800 }); // letterbox bars above and below
  await page.click('#connect');
  const shown = await waitFor(async () => {
    const s = await fallbackState(page);
    return s.showing && s.framesDrawn >= 5 && s;
  }, (FALLBACK_S + 10) * 1000, 'fallback pictures drawn').catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await fallbackState(page))}\nhost:\n${tail(host.output)}`);
  });
  log('in the fallback:', JSON.stringify(shown));
  assert.equal(shown.connection === 'connected', false, 'WebRTC did not connect');
  assert.equal(shown.state, 'live');
  assert.equal(shown.status, 'Fallback (no WebRTC)');
  assert.match(shown.label, /Fallback: .*signalling connection.*WebRTC could not connect/);
  assert.ok(shown.canvasShown && !shown.problemShown, 'the pictures show, no "no picture" alert over them');
  assert.deepEqual([shown.lastWidth, shown.lastHeight], [W, H], 'pictures of the stream\'s size');
  assert.ok(await videoVariety(page, 'fallback-canvas') > 0.2, 'a real picture on the canvas');
  assert.equal(await page.evaluate(() => document.body.dataset.fallback), 'showing');
  assert.equal(await framesDecoded(page), 0);
  // Decoded (createImageBitmap of a Blob) and drawn under the server's CSP, which needs nothing more.
  assert.deepEqual(await cspViolations(page), []);
  await screenshot(page, 'viewer-fallback');

  // Control over the fallback: the same picture coordinates as the data channel.
  await waitFor(() => page.evaluate(() => window.ghostviewViewer.capabilities.includes('control')), 5000, 'control');
  const box = await page.locator('#fallback-canvas').boundingBox();
  const scale = Math.min(box.width / W, box.height / H);
  const left = box.x + (box.width - W * scale) / 2;
  const top = box.y + (box.height - H * scale) / 2;
  assert.ok(top - box.y > 50, 'the picture is letterboxed');
  await page.mouse.click(box.x + 10, box.y + 5); // on the bars: nothing
  await page.mouse.click(left + 0.25 * W * scale, top + 0.75 * H * scale);
  await page.keyboard.press('a');
  await page.keyboard.press('Enter');
  await waitFor(() => hostEvents('key-release').length >= 2, 5000, 'key events at the host').catch(async (e) => {
    throw new Error(`${e.message}; page sent ${(await page.evaluate(() => window.__wsSent)).join(' ')}; ` +
      `host events: ${JSON.stringify(host.events.map((ev) => [ev.type, ev.x, ev.y, ev.key]))}`);
  });
  const presses = hostEvents('button-press');
  assert.equal(presses.length, 1, 'one click (not the one on the bars)');
  assert.ok(Math.abs(presses[0].x - 0.25 * W) <= 1.5 && Math.abs(presses[0].y - 0.75 * H) <= 1.5,
    `click at ${presses[0].x},${presses[0].y}`);
  assert.deepEqual(hostEvents('key-press').map((e) => e.key), ['a', 'Return']);
  const afterInput = await fallbackState(page);
  assert.ok(afterInput.inputMessages >= 1 && afterInput.inputMessages <= afterInput.inputEvents, JSON.stringify(afterInput));
  assert.equal(await page.evaluate(() => window.__channelSent.length), 0, 'nothing on a data channel');

  // The network lets WebRTC through again: the next restart (every 15 s) connects, and the page goes back.
  await page.evaluate(() => { window.__gvBlockWebRtc = false; });
  const back = await waitFor(async () => {
    const s = await fallbackState(page);
    return !s.active && s.upgrades === 1 && s;
  }, 40000, 'back to WebRTC').catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await fallbackState(page))}\nhost:\n${tail(host.output)}`);
  });
  log('back to WebRTC:', JSON.stringify(back));
  assert.ok(!back.canvasShown && !back.label, 'canvas and label gone');
  assert.equal(back.status, 'Live');
  assert.ok(back.restarts >= 1);
  const frames = await framesDecoded(page);
  await waitFor(async () => (await framesDecoded(page)) > frames + 10, 5000, 'video frames after the upgrade');
  assert.equal(await page.evaluate(() => document.body.dataset.fallback), undefined);
  // No report of a problem was made while the pictures showed.
  assert.ok(!back.reports.some((p) => p !== 'connection-blocked' && p !== 'resolved'), JSON.stringify(back.reports));
  assert.deepEqual(page.problems, []);
  await page.close();
});

test('the browser host page sends pictures too: its capture, drawn and scaled in the page', async () => {
  const hostPage = await openPage(browser, `${server.url}/host.html`);
  await hostPage.click('#start-sharing');
  const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN on the host page');
  const viewer = await openPage(browser, `${server.url}/?pin=${pin}&fallback=${FALLBACK_S}`);
  await viewer.evaluate(() => { window.__gvBlockWebRtc = true; });
  await viewer.click('#connect');
  const request = hostPage.locator('#requests li.request').first();
  await request.waitFor({ state: 'visible', timeout: 10000 });
  await request.locator('.accept').click();
  const shown = await waitFor(async () => {
    const s = await fallbackState(viewer);
    return s.showing && s.framesDrawn >= 5 && s;
  }, (FALLBACK_S + 10) * 1000, 'pictures from the browser host').catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await fallbackState(viewer))}`);
  });
  log('from the browser host:', JSON.stringify(shown));
  const preview = await hostPage.evaluate(() => {
    const v = document.getElementById('preview');
    return [v.videoWidth, v.videoHeight];
  });
  const scale = Math.min(1, 1280 / preview[0], 720 / preview[1]);
  assert.ok(Math.abs(shown.lastWidth - preview[0] * scale) <= 2 && Math.abs(shown.lastHeight - preview[1] * scale) <= 2,
    `pictures of ${shown.lastWidth}x${shown.lastHeight} for a ${preview.join('x')} capture`);
  assert.equal(shown.status, 'Fallback (no WebRTC)');
  assert.ok(await videoVariety(viewer, 'fallback-canvas') > 0.05, 'the capture on the canvas, not a blank');
  assert.deepEqual(await hostPage.evaluate(() => window.ghostviewHost.fallback.viewers), 1);
  await screenshot(viewer, 'viewer-fallback-browser-host');
  // The viewer leaves: the host page stops drawing for it.
  await viewer.click('#leave');
  await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.fallback.viewers === 0), 10000, 'the host page forgets it');
  assert.deepEqual(viewer.problems, []);
  assert.deepEqual(hostPage.problems, []);
  await viewer.close();
  await hostPage.close();
});
