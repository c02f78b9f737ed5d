// GhostView browser tests: file transfer with a real `ghostview host`
// (--source test, --allow file, --download-dir DIR) and the viewer page.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  buildDir, framesDecoded, gstEnv, openPage, skip, stopProcess, waitFor, waitForPin,
} from './harness.mjs';

export const launcher = path.join(buildDir, 'tools', 'ghostview');

/** Skips (77) unless the launcher is built. */
export function requireLauncher() {
  if (!existsSync(launcher)) skip(`the ghostview launcher is not built (${launcher})`);
}

/**
 * `ghostview host --server <server> ARGS` with `env` added to the GStreamer
 * environment; resolves {pin, output, type(line), stop()} once it printed
 * its PIN. type() is a line typed at its console (`/send 1 FILE`, `/grant`).
 */
export function startLauncherHost(server, args, { env = {}, cwd, what = 'ghostview host' } = {}) {
  const child = spawn(launcher, ['host', '--server', server.ws, ...args],
    { env: gstEnv(env), cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const host = {
    child,
    pin: '',
    output: '',
    type: (line) => child.stdin.write(`${line}\n`),
    stop: () => {
      child.stdin.end();
      return stopProcess(child, 'SIGINT', 8000);
    },
  };
  child.stdout.on('data', (d) => { host.output += d; });
  child.stderr.on('data', (d) => { host.output += d; });
  return waitForPin(child, host, /PIN: (\d{6,9})/, 20000, what);
}

/**
 * `ghostview host --source test --allow file --download-dir DIR` against
 * `server` (startLauncherHost).
 */
export function startFileHost(server, downloadDir, args = []) {
  return startLauncherHost(server, ['--source', 'test', '--allow', 'file', '--download-dir', downloadDir, ...args]);
}

/** Opens the viewer page, joins `pin`, waits for frames and the file channel, opens Files. */
export async function joinForFiles(browser, server, pin) {
  const page = await openPage(browser, `${server.url}/?pin=${pin}`);
  await page.click('#connect');
  await waitFor(async () => (await framesDecoded(page)) > 0, 15000, 'frames decoded');
  await waitFor(() => page.evaluate(() => window.ghostviewViewer.capabilities.includes('file')), 5000, 'file granted');
  await page.waitForSelector('#file-input:not([disabled])', { state: 'attached', timeout: 10000 });
  await page.click('#files-toggle');
  return page;
}

/**
 * Picks a file the page builds itself (`new File([bytes], name)`) in the
 * Files panel's input, as a person choosing it would (DataTransfer into
 * the input, then its change event): names no file system would hold.
 */
export function pickFileInPage(page, name, bytes) {
  return page.evaluate(({ name, b64 }) => {
    const raw = atob(b64);
    const data = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) data[i] = raw.charCodeAt(i);
    const dt = new DataTransfer();
    dt.items.add(new File([data], name));
    const input = document.getElementById('file-input');
    input.files = dt.files;
    input.dispatchEvent(new Event('change', { bubbles: true }));
  }, { name, b64: Buffer.from(bytes).toString('base64') });
}

/** The Files panel's outgoing rows: [{state, name, status}] (newest first). */
export function outgoingRows(page) {
  return page.evaluate(() => Array.from(document.querySelectorAll('#file-list .file-row[data-direction="outgoing"]'),
    (li) => ({
      state: li.dataset.state,
      name: li.querySelector('.file-name').textContent,
      status: li.querySelector('.file-status').textContent,
    })));
}

/** Waits until the page has `count` outgoing rows that ended (done or failed). */
export function waitForEndedRows(page, count, ms, what) {
  return waitFor(async () => {
    const rows = await outgoingRows(page);
    const ended = rows.filter((r) => r.state === 'done' || r.state === 'failed');
    return ended.length >= count ? rows : null;
  }, ms, what);
}
