// Scenario 35: a file from the host survives a reload of the viewer page
// (issue 13, item 4). `ghostview host --source test` sends 48 MiB with
// `/send 1 FILE`; the page is reloaded mid-transfer (what arrived so far
// is in its Origin Private File System, web/js/filepartials.js); it joins
// again and the host sends the same file again (`/send 2 FILE`: the same
// file has the same transfer id): the page accepts it from where its kept
// partial stops, not from 0, and ends with the very bytes (SHA-256); the
// kept partial is gone afterwards. Also a regression test for the host: a
// viewer gone while the host sends it a file wedged the host (webrtcbin's
// sctpenc waiting for room that never came), so the page joining again
// got no offer (about one run in two before gvviewer.cpp flushed it).
// GV_DEBUG_GDB=FILE writes the host's threads to FILE when it fails.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  framesDecoded, launchBrowser, log, requireBrowser, requireGstElements, screenshot, startServer, tail, waitFor,
} from './lib/harness.mjs';
import { joinForFiles, requireLauncher, startFileHost } from './lib/file-host.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'videotestsrc', 'vp8enc');
requireLauncher();

const MIB = 1024 * 1024;
let server;
let browser;
let host;
const work = mkdtempSync(path.join(tmpdir(), 'gv-reload-'));

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await host?.stop();
  await server?.stop();
  rmSync(work, { recursive: true, force: true });
});

/** The accept messages the page sent (offsets), from the harness's record of its channel. */
const acceptsSent = (page) => page.evaluate(() => window.__channelSent
  .map((s) => { try { return JSON.parse(s); } catch { return null; } })
  .filter((m) => m && m.t === 'accept').map((m) => m.offset));

/** The highest viewer number the host announced. */
const lastViewerNumber = () => Math.max(...[...host.output.matchAll(/viewer joined: .*\(number (\d+)\)/g)].map((m) => Number(m[1])));

test('a file from the host goes on after the page is reloaded mid-transfer', async () => {
  const downloads = path.join(work, 'downloads');
  mkdirSync(downloads);
  const file = path.join(work, 'from-host.bin');
  const bytes = randomBytes(48 * MIB);
  writeFileSync(file, bytes);
  const sha = createHash('sha256').update(bytes).digest('hex');
  host = await startFileHost(server, downloads, ['--set', 'MAX_VIEWERS=4']); // the PIN again after the reload
  log('ghostview host PIN', host.pin);
  const page = await joinForFiles(browser, server, host.pin);
  try {
    host.type(`/send ${lastViewerNumber()} ${file}`);
    // Part of it, then the page is reloaded (what a person pressing F5 does).
    await page.waitForFunction((least) => {
      const bar = document.querySelector('.file-row[data-direction="incoming"] progress');
      return bar && bar.value >= least;
    }, 6 * MIB, { timeout: 30000, polling: 20 });
    const arrived = await page.evaluate(() => document.querySelector('.file-row[data-direction="incoming"] progress').value);
    await page.reload({ waitUntil: 'load' });
    log(`reloaded at ${(arrived / MIB).toFixed(1)} MiB of 48`);
    const kept = await page.evaluate(() => window.ghostviewViewer.partialFileIds());
    assert.equal(kept.length, 1, 'the page kept one partial file');

    await page.click('#connect');
    await waitFor(async () => (await framesDecoded(page)) > 0, 15000, 'frames decoded again');
    await page.waitForSelector('#file-input:not([disabled])', { state: 'attached', timeout: 10000 });
    await page.click('#files-toggle');
    await waitFor(() => lastViewerNumber() >= 2, 5000, 'the host to see the viewer again');
    host.type(`/send ${lastViewerNumber()} ${file}`);
    await page.waitForSelector('.file-row[data-direction="incoming"][data-state="done"] a.file-save', { timeout: 60000 });
    const [resumedAt] = await acceptsSent(page);
    log(`resumed at ${(resumedAt / MIB).toFixed(1)} MiB (the page had ${(arrived / MIB).toFixed(1)} MiB when reloaded)`);
    // What the page had written to its store before the reload (one write, of what
    // arrived meanwhile, may be lost with the page): at least a piece.
    assert.ok(resumedAt >= MIB, `resumed from what the page kept, not from the start: ${resumedAt}`);
    assert.ok(resumedAt < bytes.length, 'it was cut mid-transfer');
    assert.equal(await page.evaluate(() => window.ghostviewViewer.receivedSha256('from-host.bin')), sha, 'the very bytes');
    assert.deepEqual(await page.evaluate(() => window.ghostviewViewer.partialFileIds()), [], 'the kept partial is gone');
    assert.ok(/from-host\.bin delivered/.test(host.output), 'the host printed it delivered');
    await screenshot(page, 'viewer-files-reload-resume');
  } catch (e) {
    await screenshot(page, 'viewer-files-reload-resume-FAILED');
    if (process.env.GV_DEBUG_GDB) { // the host's threads, for a wedged host (GV_DEBUG_GDB=FILE)
      const r = spawnSync('gdb', ['-p', String(host.child.pid), '-batch', '-ex', 'thread apply all bt'], { encoding: 'utf8' });
      writeFileSync(process.env.GV_DEBUG_GDB, r.stdout + r.stderr);
    }
    throw new Error(`${e.message}\nghostview host:\n${tail(host.output, 30)}\npage problems: ${page.problems.join('\n')}`);
  }
  await page.close();
});
