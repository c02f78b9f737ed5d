// Scenario 31: file transfer between a native host and the viewer page in
// Chromium (issue 13). 50 MiB from the page to the host's download folder
// and 50 MiB from the host to the page, SHA-256 compared on both sides
// (and the transfer rate and the frame rate meanwhile logged); an upload
// cut by closing the page resumes from where it stopped when the same file
// is sent again from a new page; a viewer without the `file` capability is
// told so and nothing lands.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  framesDecoded, launchBrowser, log, openPage, requireBrowser, requireGstElements, screenshot,
  startServer, tail, waitFor,
} from './lib/harness.mjs';
import { requirePythonGst, startPausableHost } from './lib/pausable-host.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'videotestsrc', 'vp8enc');
requirePythonGst();

const MIB = 1024 * 1024;
let server;
let browser;
const hosts = [];
const work = mkdtempSync(path.join(tmpdir(), 'gv-files-'));

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const h of hosts) await h.stop();
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

function makeFile(name, bytes) {
  const file = path.join(work, name);
  const parts = [];
  for (let left = bytes; left > 0; left -= MIB) parts.push(randomBytes(Math.min(MIB, left)));
  writeFileSync(file, Buffer.concat(parts));
  return file;
}

const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

async function host(allow, downloads) {
  const h = await startPausableHost(
    'videotestsrc is-live=true pattern=ball ! video/x-raw,width=1280,height=720,framerate=30/1 ! ' +
      `gvwebrtcsink name=webrtc signaller::server=${server.ws} ice-loopback=true ` +
      `signaller::max-viewers=4 allow=${allow} download-dir=${downloads}`,
  );
  hosts.push(h);
  return h;
}

async function join(h) {
  const page = await openPage(browser, `${server.url}/?pin=${h.pin}`);
  await page.click('#connect');
  await waitFor(async () => (await framesDecoded(page)) > 0, 10000, 'frames decoded');
  await page.click('#files-toggle');
  return page;
}

/** The host's file messages (gst-launch -m form) with `fields`, parsed. */
function hostFileEvents(h) {
  return h.output.split('\n').filter((l) => l.includes('gvwebrtcsink-file')).map((l) => {
    const get = (k) => (l.match(new RegExp(`${k}=\\(\\w+\\)"?([^",;]*)`)) || [])[1] || '';
    return { direction: get('direction'), state: get('state'), file: get('file'), bytes: Number(get('bytes')), code: get('code'), peer: get('peer-id') };
  });
}

test('50 MiB from the page to the host, and 50 MiB back, whole', async () => {
  const downloads = mkdtempSync(path.join(work, 'host-'));
  const h = await host('view+file', downloads);
  const page = await join(h);
  const up = makeFile('from-page.bin', 50 * MIB);
  const frames0 = await framesDecoded(page);
  const t0 = Date.now();
  await page.setInputFiles('#file-input', up);
  try {
    await waitFor(() => hostFileEvents(h).some((e) => e.direction === 'incoming' && e.state === 'done'), 60000, 'upload done');
  } catch (e) {
    await screenshot(page, 'viewer-files-upload-FAILED');
    throw new Error(`${e.message}\n${tail(h.output)}`);
  }
  const upSeconds = (Date.now() - t0) / 1000;
  const upFps = ((await framesDecoded(page)) - frames0) / upSeconds;
  const saved = hostFileEvents(h).find((e) => e.direction === 'incoming' && e.state === 'done').file;
  assert.equal(path.dirname(saved), downloads);
  assert.equal(sha256(saved), sha256(up), 'the host has the very bytes');
  log(`page -> host: 50 MiB in ${upSeconds.toFixed(1)} s (${(50 / upSeconds).toFixed(1)} MiB/s, SHA-256 read first), video ${upFps.toFixed(1)} frames/s meanwhile`);
  await page.waitForSelector('.file-row[data-direction="outgoing"][data-state="done"]', { timeout: 10000 });

  // The host sends one to the page: it is offered, arrives, and is saved.
  const down = makeFile('from-host.bin', 50 * MIB);
  const peer = hostFileEvents(h)[0].peer;
  const t1 = Date.now();
  await h.command(`emit webrtc send-file ${peer} ${down}`);
  await page.waitForSelector('.file-row[data-direction="incoming"][data-state="done"] a.file-save', { timeout: 60000 });
  const downSeconds = (Date.now() - t1) / 1000;
  const pageSha = await page.evaluate(async () => ({
    sha: await window.ghostviewViewer.receivedSha256('from-host.bin'),
    name: document.querySelector('.file-row[data-direction="incoming"] a.file-save').download,
  }));
  assert.equal(pageSha.sha, sha256(down), 'the page has the very bytes');
  assert.equal(pageSha.name, 'from-host.bin');
  log(`host -> page: 50 MiB in ${downSeconds.toFixed(1)} s (${(50 / downSeconds).toFixed(1)} MiB/s)`);
  await screenshot(page, 'viewer-files-done');
  await page.close();
});

test('an upload cut by closing the page resumes from a new page', async () => {
  const downloads = mkdtempSync(path.join(work, 'host-'));
  const h = await host('view+file', downloads);
  const file = makeFile('resume.bin', 40 * MIB);
  let page = await join(h);
  await page.setInputFiles('#file-input', file);
  await waitFor(() => hostFileEvents(h).some((e) => e.direction === 'incoming' && e.state === 'progress' && e.bytes >= 4 * MIB),
    60000, 'part of the upload');
  await page.close();
  assert.ok(readdirSync(downloads).every((n) => n.startsWith('.ghostview-')), 'only a hidden partial so far');

  page = await join(h);
  await page.setInputFiles('#file-input', file);
  await waitFor(() => hostFileEvents(h).filter((e) => e.direction === 'incoming' && e.state === 'done').length === 1,
    60000, 'the resumed upload done');
  const accepted = hostFileEvents(h).filter((e) => e.direction === 'incoming' && e.state === 'accepted');
  assert.equal(accepted.length, 2);
  assert.ok(accepted[1].bytes >= 4 * MIB, `resumed at ${accepted[1].bytes}`);
  const saved = hostFileEvents(h).find((e) => e.state === 'done').file;
  assert.equal(sha256(saved), sha256(file));
  log(`resumed at ${(accepted[1].bytes / MIB).toFixed(1)} MiB of 40`);
  await page.close();
});

test('without the file capability: told so, nothing lands', async () => {
  const downloads = mkdtempSync(path.join(work, 'host-'));
  const h = await host('view', downloads);
  const page = await join(h);
  assert.match(await page.textContent('#files-note'), /not allowed/);
  await page.setInputFiles('#file-input', makeFile('nope.txt', 1000));
  await page.waitForSelector('.file-row[data-direction="outgoing"][data-state="failed"]', { timeout: 10000 });
  assert.match(await page.textContent('.file-row[data-state="failed"] .file-status'), /not allowed/);
  assert.deepEqual(readdirSync(downloads), []);
  await page.close();
});

test('the browser host page: files both ways once it allows Files', async () => {
  const hostBrowser = await launchBrowser({ fakeMedia: true });
  try {
    const hostPage = await openPage(hostBrowser, `${server.url}/host.html`);
    await hostPage.click('#start-sharing');
    const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN');
    const page = await openPage(browser, `${server.url}/?pin=${pin}`);
    await page.click('#connect');
    const request = hostPage.locator('#requests li.request').first();
    await request.waitFor({ state: 'visible', timeout: 10000 });
    await request.locator('.accept').click();
    await waitFor(async () => (await framesDecoded(page)) > 0, 10000, 'frames decoded');
    await page.click('#files-toggle');
    assert.match(await page.textContent('#files-note'), /not allowed/);

    const row = hostPage.locator('#viewers li.viewer').first();
    await row.locator('.allow-file').check();
    await waitFor(() => page.evaluate(() => window.ghostviewViewer.capabilities.includes('file')), 5000, 'file granted');
    const up = makeFile('to-browser-host.bin', 5 * MIB);
    await page.setInputFiles('#file-input', up);
    await hostPage.waitForSelector('#host-files .file-row[data-direction="incoming"][data-state="done"]', { timeout: 30000 });
    assert.equal(await hostPage.evaluate(() => window.ghostviewHost.receivedSha256('to-browser-host.bin')), sha256(up));

    const down = makeFile('from-browser-host.bin', 5 * MIB);
    await row.locator('.send-file').setInputFiles(down);
    await page.waitForSelector('.file-row[data-direction="incoming"][data-state="done"]', { timeout: 30000 });
    assert.equal(await page.evaluate(() => window.ghostviewViewer.receivedSha256('from-browser-host.bin')), sha256(down));
    await screenshot(hostPage, 'host-files');
  } finally {
    await hostBrowser.close();
  }
});
