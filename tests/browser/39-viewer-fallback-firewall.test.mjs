// The fallback behind a firewall that lets only the signalling server's TCP
// port through (UDP and every other TCP port dropped, as a web-only
// corporate network has it; blocking UDP alone is not enough: both peers
// then connect over ICE-TCP): `ghostview host` (720p test pattern, its
// signalling server) in a host network namespace, Chromium in a viewer
// namespace, joined by the network bench's emulated link
// (tests/bench/network, tcp-only=PORT). The page's peer connection cannot
// connect; after its ?fallback= wait it shows the host's pictures over the
// signalling WebSocket (720p, labelled), and the host's terminal says so.
// Then the firewall opens: the page's next restart connects and it is back
// on WebRTC by itself. The pictures' rate at 720p is logged (a figure, not
// a bound).
// Root only (namespaces). The same page with WebRTC blocked inside the
// browser, control and the browser host: 38-viewer-fallback.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  framesDecoded, log, openPage, requireBrowser, requireGstElements, screenshot, tail, waitFor,
} from './lib/harness.mjs';
import { requireLab, startLabSession } from './lib/netlab.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'videotestsrc', 'jpegenc');
requireLab();

const FALLBACK_S = 4;
const W = 1280;
const H = 720;

let lab;
let host;
let browser;
let session;

before(async () => {
  session = await startLabSession({ width: W, height: H, fps: 15 });
  ({ lab, host, browser } = session);
  const closed = await lab.command(`set both tcp-only=${host.port}`);
  assert.notEqual(closed.ok, false, `the link took tcp-only: ${JSON.stringify(closed)}`);
});

after(() => session?.close());

const fallbackState = (page) => page.evaluate(() => ({
  ...window.ghostviewViewer.fallback,
  state: window.ghostviewViewer.state,
  connection: window.ghostviewViewer.pc ? window.ghostviewViewer.pc.connectionState : 'none',
  status: document.getElementById('status').textContent,
  label: document.getElementById('fallback-label').hidden ? '' : document.getElementById('fallback-label').textContent,
}));

test('only the server\'s port open: pictures over the WebSocket, labelled; firewall open: WebRTC again by itself', async () => {
  const page = await openPage(browser, `http://${lab.info.host_ip}:${host.port}/?pin=${host.pin}&fallback=${FALLBACK_S}`);
  await page.click('#connect');
  const shown = await waitFor(async () => {
    const s = await fallbackState(page);
    return s.showing && s.framesDrawn >= 3 && s;
  }, (FALLBACK_S + 20) * 1000, 'fallback pictures').catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await fallbackState(page))}\nhost:\n${tail(host.output)}`);
  });
  assert.notEqual(shown.connection, 'connected', 'WebRTC did not connect through the firewall');
  assert.match(shown.label, /Fallback/);
  assert.deepEqual([shown.lastWidth, shown.lastHeight], [W, H], '720p pictures');
  assert.equal(await framesDecoded(page), 0);
  await waitFor(() => /watches pictures over the signalling connection/.test(host.output), 5000,
    'the host saying the viewer is on the fallback');

  // The pictures' rate over the emulated link, at 720p (a figure for the notes).
  const from = await fallbackState(page);
  await page.waitForTimeout(5000);
  const to = await fallbackState(page);
  const rate = (to.framesDrawn - from.framesDrawn) / 5;
  log(`fallback at ${W}x${H}: ${rate.toFixed(1)} pictures/s drawn over 5 s (host sends at most 10/s), ` +
    `${to.framesDropped} dropped while decoding`);
  assert.ok(to.framesDrawn > from.framesDrawn, 'pictures keep coming');
  await screenshot(page, 'viewer-fallback-firewall');
  const stats = await lab.command('stats');
  assert.ok(stats.a2b.dropped_firewall + stats.b2a.dropped_firewall > 0,
    `the firewall dropped the peers' ICE checks: ${JSON.stringify(stats)}`);

  const open = await lab.command('set both tcp-only=0');
  assert.notEqual(open.ok, false, JSON.stringify(open));
  const back = await waitFor(async () => {
    const s = await fallbackState(page);
    return !s.active && s.upgrades >= 1 && s;
  }, 45000, 'back to WebRTC').catch(async (e) => {
    throw new Error(`${e.message}: ${JSON.stringify(await fallbackState(page))}\nhost:\n${tail(host.output)}`);
  });
  log('back on WebRTC:', JSON.stringify(back));
  assert.equal(back.connection, 'connected');
  assert.equal(back.status, 'Live');
  const frames = await framesDecoded(page);
  await waitFor(async () => (await framesDecoded(page)) > frames + 10, 10000, 'video frames after the upgrade');
  await waitFor(() => /left the fallback/.test(host.output), 5000, 'the host saying the viewer left the fallback');
  assert.deepEqual(page.problems, []);
});
