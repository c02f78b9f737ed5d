// Fault (issue 16): the signalling server restarted under the browser host.
// The host page shares (a synthetic screen), a native viewer (gvwebrtcsrc,
// tests/integration/gvframes.py) and a Chromium viewer page watch; the
// server is stopped and started again on the same port with the same
// --session-key-file. Within 5 s the page is registered again with the same
// PIN, by itself; the native viewer's frames never stop for a second; the
// viewer page keeps its picture (it says the server was lost) instead of
// ending; a new Chromium viewer then joins with that PIN.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  framesDecoded, gstEnv, launchBrowser, log, openPage, requireBrowser, requireGstElements, screenshot,
  sourceDir, startServer, stopProcess, waitFor,
} from './lib/harness.mjs';

requireBrowser();
requireGstElements('gvwebrtcsrc', 'vp8dec');

const RECONNECT_LIMIT_MS = 5000;
const FREEZE_LIMIT_MS = 1000;
const keyFile = path.join(mkdtempSync(path.join(tmpdir(), 'gv-key-')), 'session.key');
let server;
let browser;
let viewer;

before(async () => {
  server = await startServer(['--session-key-file', keyFile]);
  browser = await launchBrowser({ fakeMedia: true });
});

after(async () => {
  if (viewer) await stopProcess(viewer.child);
  await browser?.close();
  await server?.stop();
});

/** gvframes.py joining `pin`: {child, samples: [{at, frames, gapMs}]}. */
function startNativeViewer(ws, pin) {
  const script = path.join(sourceDir, 'tests', 'integration', 'gvframes.py');
  const child = spawn('/usr/bin/python3', [script, ws, pin], { env: gstEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const v = { child, samples: [], output: '' };
  let buffered = '';
  child.stdout.on('data', (d) => {
    buffered += d;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      const m = line.match(/frames=(\d+) gap_ms=(\d+)/);
      if (m) v.samples.push({ at: Date.now(), frames: Number(m[1]), gapMs: Number(m[2]) });
      else v.output += `${line}\n`;
    }
  });
  child.stderr.on('data', (d) => { v.output += d; });
  return v;
}

const frames = (v) => (v.samples.length ? v.samples[v.samples.length - 1].frames : 0);

test('the server restarts: the browser host keeps its PIN, its viewer keeps watching, a new viewer joins', async () => {
  const hostPage = await openPage(browser, `${server.url}/host.html`);
  await hostPage.fill('#max-viewers', '3');
  await hostPage.click('#start-sharing');
  const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN');

  viewer = startNativeViewer(server.ws, pin);
  const request = hostPage.locator('#requests li.request');
  await request.waitFor({ state: 'visible', timeout: 15000 });
  await request.locator('.accept').click();
  await waitFor(() => frames(viewer) >= 15, 20000, `frames at the native viewer (${viewer.output})`);
  const watching = await openPage(browser, `${server.url}/`);
  await watching.fill('#name', 'Before');
  await watching.fill('#pin', pin);
  await watching.press('#pin', 'Enter');
  const before = hostPage.locator('#requests li.request', { hasText: 'Before' });
  await before.waitFor({ state: 'visible', timeout: 10000 });
  await before.locator('.accept').click();
  await waitFor(async () => (await framesDecoded(watching)) > 0, 10000, 'frames at the viewer page');

  const port = new URL(server.url).port;
  const stopped = Date.now();
  await server.stop();
  await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pinProblem === 'reconnecting'), 5000, 'the host page to notice');
  server = await startServer(['--session-key-file', keyFile, '--port', port]);
  await waitFor(async () => {
    const s = await hostPage.evaluate(() => ({ pin: window.ghostviewHost.pin, problem: window.ghostviewHost.pinProblem }));
    return s.pin === pin && s.problem === '';
  }, RECONNECT_LIMIT_MS + 5000, 'the same PIN again');
  const took = Date.now() - stopped;
  log(`the host page is registered again with PIN ${pin} ${took} ms after the server stopped`);
  assert.ok(took < RECONNECT_LIMIT_MS, `took ${took} ms`);
  assert.equal(await hostPage.textContent('#pin'), `${pin.slice(0, 3)} ${pin.slice(3)}`);
  assert.doesNotMatch(await hostPage.textContent('#expiry'), /could not keep/);
  assert.deepEqual((await hostPage.evaluate(() => window.ghostviewHost.viewers)).map((v) => v.state), ['watching', 'watching']);

  const pageFrames = await framesDecoded(watching);
  await new Promise((r) => { setTimeout(r, 1500); });
  assert.equal(await watching.evaluate(() => window.ghostviewViewer.state), 'live', 'the viewer page still watches');
  assert.match(await watching.textContent('#toast'), /connection to the server was lost\. The picture goes on/);
  const pageGained = (await framesDecoded(watching)) - pageFrames;
  log(`viewer page: ${pageGained} frames decoded in the 1.5 s after the host was back`);
  assert.ok(pageGained > 10, `the viewer page's picture stopped (${pageGained} frames)`);
  const since = viewer.samples.filter((s) => s.at >= stopped);
  const gap = Math.max(...since.map((s) => s.gapMs));
  const gained = since[since.length - 1].frames - since[0].frames;
  log(`native viewer: ${gained} frames since the server stopped, longest gap ${gap} ms`);
  assert.ok(gap < FREEZE_LIMIT_MS && gained > 10, `the native viewer froze (${gap} ms, ${gained} frames)`);

  const page = await openPage(browser, `${server.url}/`);
  await page.fill('#name', 'After');
  await page.fill('#pin', pin);
  await page.press('#pin', 'Enter');
  const after = hostPage.locator('#requests li.request', { hasText: 'After' });
  await after.waitFor({ state: 'visible', timeout: 10000 });
  await after.locator('.accept').click();
  await waitFor(async () => (await framesDecoded(page)) > 0, 10000, 'frames at the new viewer');
  await screenshot(hostPage, 'host-resumed');
  // The tries while the server was down are refused connections.
  hostPage.problems = hostPage.problems.filter((p) => !/WebSocket connection .* failed/.test(p));
  for (const p of [hostPage, watching, page]) assert.deepEqual(p.problems, [], p.url());
});
