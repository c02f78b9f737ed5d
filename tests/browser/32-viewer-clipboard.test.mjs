// Scenario 32: the clipboard between a native host on an X display (Xvfb;
// gvinputinject shares its CLIPBOARD selection) and the viewer page in
// Chromium, for a viewer the host gave `clipboard` (issue 13). What the
// page sends is on the host's X clipboard (read back with xclip, as any X
// application would paste it); what an X application copies on the host
// (xclip -i) reaches the page, which puts it on this device's clipboard.
// The time from the copy on the host to the page having it is logged
// (p50/p95 over 10 copies). A viewer without the capability has no button
// and sends nothing.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import { startXvfb } from './lib/firefox.mjs';
import {
  framesDecoded, launchBrowser, log, openPage, requireBrowser, requireGstElements, skip, startServer,
  stopProcess, waitFor,
} from './lib/harness.mjs';
import { requirePythonGst, startPausableHost } from './lib/pausable-host.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'gvinputinject', 'videotestsrc');
requirePythonGst();
if (spawnSync('xclip', ['-version']).error) skip('xclip is not installed (apt install xclip)');

let server;
let browser;
let xvfb;
const hosts = [];

before(async () => {
  server = await startServer();
  xvfb = await startXvfb({ width: 320, height: 240 });
  browser = await launchBrowser();
  await browser.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
});

after(async () => {
  await browser?.close();
  for (const h of hosts) await h.stop();
  await xvfb?.stop();
  await server?.stop();
});

async function host(allow) {
  const h = await startPausableHost(
    'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=30/1 ! ' +
      `gvinputinject backend=xtest display=${xvfb.display} ! videoconvert ! ` +
      `gvwebrtcsink name=webrtc signaller::server=${server.ws} ice-loopback=true allow=${allow}`,
  );
  hosts.push(h);
  return h;
}

async function join(h) {
  const page = await openPage(browser, `${server.url}/?pin=${h.pin}`);
  await page.click('#connect');
  await waitFor(async () => (await framesDecoded(page)) > 0, 10000, 'frames decoded');
  return page;
}

const hostClipboard = () => spawnSync('xclip', ['-o', '-selection', 'clipboard', '-display', xvfb.display],
  { encoding: 'utf8', timeout: 5000 }).stdout;

/** An X application on the host copies `text` (xclip owns the selection until the next copy). */
let copier = null;
function copyOnHost(text) {
  if (copier) stopProcess(copier);
  copier = spawn('xclip', ['-i', '-selection', 'clipboard', '-display', xvfb.display, '-loops', '0'],
    { stdio: ['pipe', 'ignore', 'ignore'] });
  copier.stdin.end(text);
}

test('the page and the host share the clipboard both ways', async () => {
  const h = await host('view+clipboard');
  const page = await join(h);
  await page.bringToFront();
  await page.waitForSelector('#clipboard-send:not([hidden])', { timeout: 5000 });

  // The page -> the host's X clipboard.
  const mine = 'copied in the browser: grüße ✓';
  assert.ok(await page.evaluate((t) => window.ghostviewViewer.sendClipboardText(t), mine));
  await waitFor(() => hostClipboard() === mine, 5000, 'the host pastes what the page sent');

  // This device's clipboard, read with the button's click.
  await page.evaluate(() => navigator.clipboard.writeText('from the device clipboard'));
  await page.click('#clipboard-send');
  await waitFor(() => hostClipboard() === 'from the device clipboard', 5000, 'the button sent the device clipboard');

  // The host -> the page, ten times, timed.
  const times = [];
  for (let i = 0; i < 10; i++) {
    const before = await page.evaluate(() => window.ghostviewViewer.clipboard.received);
    const text = `host copy ${i}: ${'x'.repeat(i * 100)}`;
    const t0 = performance.now();
    copyOnHost(text);
    await waitFor(() => page.evaluate((n) => window.ghostviewViewer.clipboard.received > n, before), 5000, `copy ${i}`);
    times.push(performance.now() - t0);
    assert.equal((await page.evaluate(() => window.ghostviewViewer.clipboard.last)).text, text);
  }
  const sorted = [...times].sort((a, b) => a - b);
  log(`host copy -> page: p50 ${sorted[4].toFixed(0)} ms, p95 ${sorted[9].toFixed(0)} ms (10 copies, from starting xclip)`);
  // The page put it on this device's clipboard, or offers the button.
  const onDevice = await page.evaluate(() => navigator.clipboard.readText().catch(() => ''));
  const offered = await page.locator('#clipboard-take').isVisible();
  assert.ok(onDevice.startsWith('host copy 9') || offered, `device clipboard "${onDevice.slice(0, 40)}", button ${offered}`);
  if (copier) stopProcess(copier);
  await page.close();
});

test('without the clipboard capability nothing crosses', async () => {
  const h = await host('view');
  const page = await join(h);
  assert.ok(await page.locator('#clipboard-send').isHidden());
  assert.equal(await page.evaluate(() => window.ghostviewViewer.sendClipboardText('secret')), false);
  const before = hostClipboard();
  copyOnHost('not for this viewer');
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await page.evaluate(() => window.ghostviewViewer.clipboard.received), 0);
  assert.notEqual(before, 'secret');
  if (copier) stopProcess(copier);
  await page.close();
});
