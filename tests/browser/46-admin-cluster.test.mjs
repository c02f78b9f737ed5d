// Scenario 46: the admin portal of a cluster (issue 14, items 1, 3 and 4) in
// real Chromium: a real redis-server, signalling nodes a and b (--redis,
// --api-keys), `ghostview host` on node a, a `ghostview recorder-worker`
// joining through node b. Signed in on node a, the portal lists both nodes
// (a first, b from its heartbeat, with the host's session counted on a), the
// worker, and the recording job queued through the API: "recording" by the
// worker, then "done" with its file once the session is ended. No CSP
// violation, no console error; a screenshot.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  cspViolations, gstEnv, launchBrowser, log, openPage, recordPageProblems, requireBrowser,
  screenshot, skip, startServer, stopProcess, waitFor,
} from './lib/harness.mjs';
import { launcher, requireLauncher, startLauncherHost } from './lib/file-host.mjs';

requireBrowser();
requireLauncher();
if (spawnSync('redis-server', ['--version']).error) skip('redis-server is not installed (Debian: redis-server)');

const ADMIN_KEY = 'gv-admin-cluster-test-admin-key';
const sha256 = (s) => createHash('sha256').update(s).digest('hex');

let work;
let redis;
let nodes = [];
let host;
let worker;
let browser;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

before(async () => {
  work = mkdtempSync(path.join(tmpdir(), 'gv-admin-cluster-'));
  const keyFile = path.join(work, 'keys');
  writeFileSync(keyFile, `ops admin ${sha256(ADMIN_KEY)}\n`);
  const port = await freePort();
  redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', work], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${out}`)), 10000);
    redis.stdout.on('data', (d) => {
      out += d;
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  const url = `redis://127.0.0.1:${port}/0`;
  for (const name of ['a', 'b']) {
    nodes.push(await startServer(['--redis', url, '--node-id', name, '--api-keys', keyFile,
      '--session-key-file', path.join(work, 'session.key')]));
  }
  host = await startLauncherHost(nodes[0], ['--preset', 'host-test', '--fps', '15', '--set',
    'WIDTH=320', '--set', 'HEIGHT=240', '--set', 'MAX_VIEWERS=4']);
  worker = spawn(launcher, ['recorder-worker', '--redis', url, '--out', path.join(work, 'recordings'),
    '--server', nodes[1].ws, '--name', 'portal-worker'], { env: gstEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  worker.output = '';
  worker.stdout.on('data', (d) => { worker.output += d; });
  worker.stderr.on('data', (d) => { worker.output += d; });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (worker) await stopProcess(worker, 'SIGINT', 8000);
  await host?.stop();
  for (const n of nodes) await n.stop();
  if (redis) await stopProcess(redis);
  if (work) rmSync(work, { recursive: true, force: true });
});

function readIfThere(file) {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '(none)';
  }
}

async function apiSend(method, pathName) {
  const r = await fetch(`${nodes[0].url}/api/v1${pathName}`, { method, headers: { Authorization: `Bearer ${ADMIN_KEY}` } });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
}

test('the portal of a cluster shows its nodes, the recorder worker and a job from queued to done', async () => {
  const queued = await apiSend('POST', `/sessions/${host.pin}/recordings`);
  assert.equal(queued.status, 202, JSON.stringify(queued.body));
  const job = queued.body.id;
  log('job', job, 'for PIN', host.pin);

  const page = await openPage(browser, `${nodes[0].url}/admin`);
  recordPageProblems(page);
  await page.fill('#api-key', ADMIN_KEY);
  await page.press('#api-key', 'Enter');

  await waitFor(async () => (await page.locator('#node-rows tr').count()) === 2, 10000, 'two node rows');
  const names = await page.locator('#node-rows tr').evaluateAll((rows) => rows.map((r) => r.dataset.node));
  assert.deepEqual(names, ['a', 'b'], 'this node first, then the other');
  assert.equal(await page.isVisible('#nodes-cluster'), true);
  assert.equal(await page.isVisible('#nodes-alone'), false);

  const jobRow = page.locator(`#job-rows tr[data-job="${job}"]`);
  await waitFor(async () => (await jobRow.count()) === 1 && (await jobRow.getAttribute('data-state')) === 'recording',
    30000, `job ${job} recording in the portal (worker: ${worker.output})`);
  assert.match(await jobRow.textContent(), /portal-worker/);
  assert.match(await jobRow.textContent(), /••/, 'the PIN is masked');
  assert.equal(await page.locator('#workers li[data-worker="portal-worker"]').count(), 1);
  assert.match(await page.textContent('#workers'), /recording/);
  assert.equal(await page.isVisible('#recorders-empty'), false);
  const shot = await screenshot(page, 'admin-portal-cluster');
  assert.ok(statSync(shot).size > 5000, 'a screenshot with something in it');

  // Ended once the recorder writes: ended before its first picture, the job
  // would rightly be "failed" (nothing recorded).
  const partLog = path.join(work, 'recordings', `${job}-part1.log`);
  await waitFor(async () => /recording to /.test(readIfThere(partLog)), 20000,
    `the recorder writing (recorder: ${readIfThere(partLog)})`);
  assert.equal((await apiSend('DELETE', `/sessions/${host.pin}?reason=done`)).status, 204);
  await waitFor(async () => (await jobRow.getAttribute('data-state')) === 'done', 20000,
    `job ${job} done in the portal (worker: ${worker.output}; recorder: ${readIfThere(partLog)}; host: ${host.output})`);
  assert.match(await jobRow.textContent(), /1 file/);

  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(page.problems, [], 'no console errors or failed requests');
});
