// Scenario 33: hostile file names end to end (issue 13, item 4). The viewer
// page in Chromium, granted `file`, sends files it builds itself (`new
// File([bytes], name)` picked in the Files panel) named `../../etc/passwd`,
// `CON`, `con.txt`, 4,000 characters, with a NUL, with newlines, with `/`
// and `\`, only dots — and some names twice — to a real `ghostview host
// --source test --download-dir DIR`. Each lands sanitised inside DIR (the
// listing: nothing outside it, no separators, no control characters, at
// most 200 bytes, no device name, no hidden or partial file, nothing
// overwritten: the second of a name gets a name of its own), with the very
// bytes sent; the page says what each was saved as.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  launchBrowser, log, requireBrowser, requireGstElements, screenshot, startServer, tail,
} from './lib/harness.mjs';
import {
  joinForFiles, outgoingRows, pickFileInPage, requireLauncher, startFileHost, waitForEndedRows,
} from './lib/file-host.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'videotestsrc', 'vp8enc');
requireLauncher();

let server;
let browser;
let host;
const work = mkdtempSync(path.join(tmpdir(), 'gv-names-'));

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

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

// What a hostile sender might call a file; each is sent with bytes of its own.
const HOSTILE = [
  ['dot-dot path', '../../etc/passwd'],
  ['dot-dot path again', '../../etc/passwd'],
  ['device', 'CON'],
  ['device with extension', 'con.txt'],
  ['device with extension again', 'con.txt'],
  ['4000 characters', `${'a'.repeat(3996)}.txt`],
  ['4000 characters, multi-byte', `${'é'.repeat(3996)}.txt`],
  ['NUL', 'nul\u0000byte.txt'],
  ['newlines', 'line one\nline two\r\n.txt'],
  ['slash and backslash', 'dir/sub\\evil\\name.txt'],
  ['only dots', '...'],
  ['two dots', '..'],
  ['control and format characters', 'tab\there\u001b[31mred\u202etxt.exe'],
];

const DEVICE = /^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])$/i;

test('hostile names land sanitised inside the download folder, whole, none overwritten', async () => {
  const downloads = path.join(work, 'downloads');
  mkdirSync(downloads);
  host = await startFileHost(server, downloads);
  log('ghostview host PIN', host.pin);
  const page = await joinForFiles(browser, server, host.pin);

  const sent = [];
  try {
    for (const [what, name] of HOSTILE) {
      const bytes = randomBytes(1000 + sent.length * 100);
      await pickFileInPage(page, name, bytes);
      await waitForEndedRows(page, sent.length + 1, 15000, `the file "${what}" delivered`);
      sent.push({ what, name, sha: sha256(bytes) });
    }
  } catch (e) {
    await screenshot(page, 'viewer-files-names-FAILED');
    throw new Error(`${e.message}\nrows: ${JSON.stringify(await outgoingRows(page))}\n` +
      `offers sent: ${JSON.stringify(await page.evaluate(() => window.__channelSent.filter((s) => s.includes('"offer"')).map((s) => s.slice(0, 200))))}\n` +
      `ghostview host:\n${tail(host.output, 30)}`);
  }
  const rows = (await outgoingRows(page)).reverse(); // oldest first, as sent
  await screenshot(page, 'viewer-files-names');

  // Nothing outside the folder: the work directory holds only it.
  assert.deepEqual(readdirSync(work), ['downloads']);
  const listing = readdirSync(downloads);
  log('download folder:', JSON.stringify(listing.map((n) => (n.length > 40 ? `${n.slice(0, 20)}…(${Buffer.byteLength(n)} bytes)` : n))));
  assert.equal(listing.length, HOSTILE.length, 'one file for each sent, none overwritten, no partial left');

  const byHash = new Map();
  for (const name of listing) {
    assert.doesNotMatch(name, /[/\\]/, `no path separator in ${JSON.stringify(name)}`);
    assert.doesNotMatch(name, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/, `no control character in ${JSON.stringify(name)}`);
    assert.ok(!name.startsWith('.'), `not hidden, not a partial: ${JSON.stringify(name)}`);
    assert.ok(Buffer.byteLength(name) <= 200, `at most 200 bytes: ${Buffer.byteLength(name)}`);
    assert.doesNotMatch(name.split('.')[0].trimEnd(), DEVICE, `not a device name: ${name}`);
    byHash.set(sha256(readFileSync(path.join(downloads, name))), name);
  }
  assert.equal(rows.length, sent.length);
  for (const [i, s] of sent.entries()) {
    const savedAs = byHash.get(s.sha);
    assert.ok(savedAs, `"${s.what}" is in the folder with the very bytes sent`);
    assert.equal(rows[i].state, 'done', `"${s.what}": ${rows[i].status}`);
    // The page says what the host saved it as, when that is not the name in its row.
    const shown = rows[i].name.replace(/^⬆ /, '');
    assert.doesNotMatch(shown, /[\p{Cc}\p{Cf}]/u, `the row shows no control or format character: ${JSON.stringify(shown)}`);
    assert.equal(rows[i].status, savedAs === shown ? 'delivered' : `delivered, saved as ${savedAs}`, `"${s.what}"`);
  }
  // The same name twice: two files, the second with a name of its own.
  const twice = (what) => byHash.get(sent.find((s) => s.what === what).sha);
  assert.notEqual(twice('dot-dot path'), twice('dot-dot path again'));
  assert.notEqual(twice('device with extension'), twice('device with extension again'));
  // The host said where each went.
  for (const name of listing) assert.ok(host.output.includes(name.replace(/[\u0000-\u001f\u007f]/g, '?')), `the host printed ${name}`);
  assert.deepEqual(page.problems, []);
  await page.close();
});
