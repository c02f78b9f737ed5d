// Fault test (issue 16): the network between a host and a Chromium viewer
// cut for 10 s, both ways, then restored. The page must say that the
// picture stopped while it is cut (then, once Chromium's ICE notices, that
// the connection was lost), and afterwards show frames again by itself (or
// end with a message): never a frozen picture with nothing said.
// `ghostview host` (test pattern, its signalling server) runs in a host
// network namespace and Chromium in a viewer namespace, joined through the
// network bench's emulated link (tests/bench/network, driven by
// lib/netlab-driver.py), which drops every frame for exactly 10 s; the
// page's WebSocket crosses the same link. Root only (namespaces).
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  framesDecoded, log, openPage, requireBrowser, requireGstElements, screenshot, tail, waitFor,
} from './lib/harness.mjs';
import { requireLab, startLabSession } from './lib/netlab.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'videotestsrc');
requireLab();

const CUT_S = 10;
const STALL_S = 3; // the page's ?stall=: it says why there is no picture after this long
const RECOVER_S = 15;

let lab;
let host;
let browser;
let session;

before(async () => {
  session = await startLabSession({ width: 640, height: 360, fps: 15 });
  ({ lab, host, browser } = session);
});

after(() => session?.close());

const viewerState = (page) => page.evaluate(() => {
  const v = window.ghostviewViewer;
  return {
    state: v.state,
    connection: v.pc ? v.pc.connectionState : 'none',
    problem: v.problem ? v.problem.problem : '',
    problemText: document.getElementById('problem-text').textContent,
    ended: document.getElementById('ended-text').textContent,
  };
});

test('a 10 s network cut: the page says the picture stopped, then the picture comes back by itself', async () => {
  const page = await openPage(browser, `http://${lab.info.host_ip}:${host.port}/?pin=${host.pin}&stall=${STALL_S}`);
  await page.click('#connect');
  await waitFor(async () => (await framesDecoded(page)) > 15, 15000, 'steady frames before the cut')
    .catch((e) => { throw new Error(`${e.message}\nhost:\n${tail(host.output)}`); });

  const cutAt = Date.now();
  const reply = await lab.command(`schedule both ${CUT_S} loss=100; 0 loss=0`);
  assert.notEqual(reply.ok, false, `the link took the schedule: ${JSON.stringify(reply)}`);
  // While cut: the page says why there is no picture.
  const said = await waitFor(async () => {
    const s = await viewerState(page);
    return (s.problem || s.state === 'ended') && s;
  }, (STALL_S + 5) * 1000, 'the page to say the picture stopped');
  const saidAfter = (Date.now() - cutAt) / 1000;
  log(`after ${saidAfter.toFixed(1)} s the page says: ${said.problem} "${said.problemText}" (connection ${said.connection})`);
  assert.ok(saidAfter < CUT_S, 'said while the network was still cut');
  await screenshot(page, 'viewer-network-cut');

  const atCut = await framesDecoded(page);
  const restoredAt = cutAt + CUT_S * 1000;
  await new Promise((r) => setTimeout(r, Math.max(0, restoredAt - Date.now())));
  const atRestore = await framesDecoded(page);
  const before = await viewerState(page);
  log(`at the restore the page says: ${before.problem} "${before.problemText}" (connection ${before.connection})`);
  // Chromium's ICE notices the cut after about 5 s: by then the page no
  // longer blames the host ("stopped sending") but the network.
  assert.equal(before.problem, 'connection-lost', 'the page says the connection was lost');
  assert.ok(atRestore - atCut <= 2, `${atRestore - atCut} frames decoded through a cut link`);
  const outcome = await waitFor(async () => {
    const s = await viewerState(page);
    if (s.state === 'ended') return { ended: s.ended };
    const frames = await framesDecoded(page);
    return frames - atRestore >= 15 && !s.problem && { frames, s };
  }, RECOVER_S * 1000, 'frames again (or a message) after the restore').catch(async (e) => {
    throw new Error(`${e.message}: the page hangs with ${JSON.stringify(await viewerState(page))}\nhost:\n${tail(host.output)}`);
  });
  const back = (Date.now() - restoredAt) / 1000;
  if (outcome.ended) {
    log(`the page ended ${back.toFixed(1)} s after the restore: ${outcome.ended}`);
    assert.ok(outcome.ended.length > 10, 'the page says why it ended');
  } else {
    log(`frames again ${back.toFixed(1)} s after the restore (bound ${RECOVER_S} s), problem cleared, ` +
      `connection ${outcome.s.connection}`);
  }
  const stats = await lab.command('stats');
  log(`the link dropped ${stats.a2b.lost_random} frames down, ${stats.b2a.lost_random} up`);
  assert.ok(stats.a2b.lost_random > 0 && stats.b2a.lost_random > 0, 'the link really dropped both ways');
  // Served over plain http from a non-loopback address: no console error
  // (the server sends no cross-origin-isolation header on http).
  assert.deepEqual(page.problems, []);
});
