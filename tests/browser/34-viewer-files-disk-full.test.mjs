// Scenario 34: the host's disk full, end to end (issue 13, item 4). A 2 MiB
// tmpfs (mounted by the test: root) is `ghostview host --download-dir`;
// the viewer page sends 5 MiB: its Files panel says the disk is full, the
// host prints it, nothing is left in the folder (no partial file), and a
// small file sent next still arrives whole (the session goes on). (Host to
// viewer is a browser download: not ours to fill.)
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  launchBrowser, log, requireBrowser, requireGstElements, screenshot, skip, startServer, tail, waitFor,
} from './lib/harness.mjs';
import {
  joinForFiles, outgoingRows, pickFileInPage, requireLauncher, startFileHost, waitForEndedRows,
} from './lib/file-host.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'videotestsrc', 'vp8enc');
requireLauncher();
if (process.getuid() !== 0) skip('mounting the small tmpfs needs root');

const MIB = 1024 * 1024;
const work = mkdtempSync(path.join(tmpdir(), 'gv-diskfull-'));
const mountPoint = path.join(work, 'small-disk');
mkdirSync(mountPoint);
let mounted = false;

// Unmounted and removed however the test ends (a failed assertion, an
// exception, the process exiting).
function cleanUp() {
  if (mounted) {
    const r = spawnSync('umount', [mountPoint], { encoding: 'utf8' });
    if (r.status !== 0) spawnSync('umount', ['-l', mountPoint]);
    mounted = false;
  }
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanUp);

const mount = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m,mode=0755', 'gv-diskfull', mountPoint], { encoding: 'utf8' });
if (mount.error || mount.status !== 0) {
  cleanUp();
  skip(`cannot mount a tmpfs at ${mountPoint}: ${(mount.stderr || String(mount.error)).trim()}`);
}
mounted = true;

let server;
let browser;
let host;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await host?.stop();
  await server?.stop();
  cleanUp();
});

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

test('5 MiB to a 2 MiB disk: the page says the disk is full, nothing left, the next file arrives', async () => {
  host = await startFileHost(server, mountPoint);
  log('ghostview host PIN', host.pin);
  const page = await joinForFiles(browser, server, host.pin);
  try {
    await pickFileInPage(page, 'too-big.bin', randomBytes(5 * MIB));
    const [big] = await waitForEndedRows(page, 1, 30000, 'the 5 MiB file to end');
    await screenshot(page, 'viewer-files-disk-full');
    log('page:', big.name, '—', big.status);
    assert.equal(big.state, 'failed');
    assert.equal(big.status, "the other side's disk is full", 'whose disk: not the viewer\'s own');
    await waitFor(() => /too-big\.bin .*failed: .*disk is full/.test(host.output), 5000, 'the host to print it');
    assert.deepEqual(readdirSync(mountPoint), [], 'no partial file left');

    const small = randomBytes(100 * 1024);
    await pickFileInPage(page, 'small.txt', small);
    const rows = await waitForEndedRows(page, 2, 15000, 'the small file to end');
    assert.equal(rows[0].state, 'done', `small.txt: ${rows[0].status}`);
    assert.deepEqual(readdirSync(mountPoint), ['small.txt']);
    assert.equal(sha256(readFileSync(path.join(mountPoint, 'small.txt'))), sha256(small));
    assert.equal(await page.evaluate(() => window.ghostviewViewer.state), 'live', 'still in the session');
  } catch (e) {
    await screenshot(page, 'viewer-files-disk-full-FAILED');
    throw new Error(`${e.message}\nrows: ${JSON.stringify(await outgoingRows(page))}\n` +
      `folder: ${JSON.stringify(readdirSync(mountPoint))}\nghostview host:\n${tail(host.output, 30)}`);
  }
  log('host:', host.output.split('\n').filter((l) => /too-big|small\.txt/.test(l)).join(' | '));
  await page.close();
});
