// Fault test (issue 16): relay only. A real coturn started here, the
// signalling server handing out its short-term credentials (use-auth-secret,
// --turn-secret-file), and a Chromium viewer opened with ?relay=1
// (iceTransportPolicy 'relay'): the video and the control both go through
// the relay. Checked from what the page and the host see: frames decoded,
// the selected candidate pair's local candidate a relay one (getStats),
// coturn's log of the allocation made with the server's credentials, the
// host's own relay candidates (it got the TURN server too), and a click in
// the page arriving at the host (gvinputinject backend=record).
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  framesDecoded, launchBrowser, log, openPage, requireBrowser, requireGstElements, screenshot,
  skip, startNativeHost, startServer, stopProcess, tail, waitFor,
} from './lib/harness.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'gvinputinject', 'videotestsrc');
if (spawnSync('turnserver', ['--help']).error) skip('coturn is not installed (turnserver): apt-get install coturn');

const W = 640;
const H = 360;
const SECRET = 'relay-test-secret-not-for-production';
let dir;
let turn;
let server;
let host;
let browser;

const logFile = () => path.join(dir, 'turnserver.log');
const turnLog = () => (existsSync(logFile()) ? readFileSync(logFile(), 'utf8') : '');

/** A UDP port free now (coturn binds it a moment later). */
async function freeUdpPort() {
  const socket = createSocket('udp4');
  await new Promise((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const { port } = socket.address();
  await new Promise((resolve) => socket.close(resolve));
  return port;
}

async function startCoturn() {
  const port = await freeUdpPort();
  // Relay ports of our own (by process id), away from test_turn_coturn's 49200-49400.
  const minPort = 50000 + (process.pid % 100) * 100;
  const child = spawn('turnserver', [
    '-n', '--verbose', '--listening-ip', '127.0.0.1', '--relay-ip', '127.0.0.1', '-p', String(port),
    '--min-port', String(minPort), '--max-port', String(minPort + 99),
    '--use-auth-secret', '--static-auth-secret', SECRET, '--realm', 'ghostview.test',
    // UDP only: the page relays over UDP, and a TCP listener on the port
    // checked free for UDP can collide with another program's TCP socket
    // (seen in CI: coturn retried its bind forever and relayed nothing).
    '--no-tcp', '--no-tls', '--no-dtls', '--no-tcp-relay', '--no-cli', '--fingerprint',
    // The host and the page are both on 127.0.0.1: the relay must reach loopback peers.
    '--allow-loopback-peers',
    // A log file rather than a pipe: coturn's stdout is block-buffered.
    '--userdb', path.join(dir, 'turndb'), '--log-file', logFile(), '--simple-log', '--pidfile', '/dev/null',
  ], { stdio: ['ignore', 'ignore', 'ignore'] });
  await waitFor(() => child.exitCode !== null || /Total General servers/.test(turnLog()), 10000, 'coturn to start')
    .catch((e) => { throw new Error(`${e.message}\n${tail(turnLog())}`); });
  if (child.exitCode !== null) throw new Error(`turnserver exited ${child.exitCode}:\n${tail(turnLog())}`);
  return { child, port, minPort };
}

before(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'gv-relay-'));
  turn = await startCoturn();
  const secretFile = path.join(dir, 'turn-secret');
  writeFileSync(secretFile, SECRET, { mode: 0o600 });
  server = await startServer(['--turn-url', `turn:127.0.0.1:${turn.port}?transport=udp`,
    '--turn-secret-file', secretFile, '--turn-ttl', '600']);
  host = await startHost(server.ws);
  log('native host PIN', host.pin, 'coturn on UDP', turn.port);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await host?.stop();
  await server?.stop();
  if (turn) await stopProcess(turn.child);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function startHost(ws) {
  return startNativeHost(
    `videotestsrc is-live=true pattern=ball ! video/x-raw,width=${W},height=${H},framerate=30/1 ! ` +
      'gvinputinject backend=record ! videoconvert ! ' +
      `gvwebrtcsink signaller::server=${ws} ice-loopback=true control-on-request=true`,
  );
}

/** The page's selected candidate pair and every remote candidate, from getStats. */
function iceReport(page) {
  return page.evaluate(async () => {
    const { pc } = window.ghostviewViewer;
    const byId = new Map();
    (await pc.getStats()).forEach((s) => byId.set(s.id, s));
    const stats = [...byId.values()];
    const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
    const pair = transport && byId.get(transport.selectedCandidatePairId);
    const pick = (c) => c && { type: c.candidateType, address: c.address, port: c.port, relayProtocol: c.relayProtocol };
    return {
      policy: pc.getConfiguration().iceTransportPolicy,
      pair: pair && { state: pair.state, local: pick(byId.get(pair.localCandidateId)), remote: pick(byId.get(pair.remoteCandidateId)) },
      locals: stats.filter((s) => s.type === 'local-candidate').map(pick),
      remotes: stats.filter((s) => s.type === 'remote-candidate').map(pick),
    };
  });
}

test('a relay-only Chromium viewer gets video and control through coturn', async () => {
  const page = await openPage(browser, `${server.url}/?pin=${host.pin}&relay=1`);
  await page.click('#connect');
  try {
    await waitFor(async () => (await framesDecoded(page)) > 10, 15000, 'frames decoded through the relay');
  } catch (e) {
    throw new Error(`${e.message}\npage ice: ${JSON.stringify(await iceReport(page))}\ncoturn:\n${tail(turnLog())}\nhost:\n${tail(host.output)}`);
  }
  const ice = await iceReport(page);
  log('ice:', JSON.stringify(ice));
  assert.equal(ice.policy, 'relay', 'the page asked for relay candidates only');
  assert.ok(ice.pair, 'a selected candidate pair');
  assert.equal(ice.pair.local.type, 'relay', 'the media goes through the relay');
  assert.equal(ice.pair.local.address, '127.0.0.1');
  assert.ok(ice.pair.local.port >= turn.minPort && ice.pair.local.port < turn.minPort + 100,
    `relayed port ${ice.pair.local.port} is coturn's (${turn.minPort}-${turn.minPort + 99})`);
  assert.ok(ice.locals.every((c) => c.type === 'relay'), `only relay candidates gathered: ${JSON.stringify(ice.locals)}`);
  // The host got the same TURN server from the signalling server and gathered through it.
  assert.ok(ice.remotes.some((c) => c.type === 'relay'), `the host offered a relay candidate: ${JSON.stringify(ice.remotes)}`);
  // coturn accepted the server's short-term credentials ("expiry:peer").
  assert.match(turnLog(), /user <\d+:[^>]+>: incoming packet ALLOCATE processed, success/);

  await waitFor(() => page.evaluate(() => window.ghostviewViewer.channelState === 'open'), 5000, 'input channel open');
  await page.click('#request-control');
  await waitFor(() => page.evaluate(() => window.ghostviewViewer.capabilities.includes('control')), 5000, 'control granted');
  const box = await page.locator('#video').boundingBox();
  const scale = Math.min(box.width / W, box.height / H);
  const x = box.x + (box.width - W * scale) / 2 + 0.5 * W * scale;
  const y = box.y + (box.height - H * scale) / 2 + 0.5 * H * scale;
  await page.mouse.click(x, y);
  await page.keyboard.press('a');
  const real = (type) => host.events.filter((e) => e.type === type && !e.synthetic);
  try {
    await waitFor(() => real('button-press').length >= 1 && real('key-press').length >= 1, 5000, 'the click and the key at the host');
  } catch (e) {
    throw new Error(`${e.message}; events so far: ${JSON.stringify(host.events)}\n${tail(host.output)}`);
  }
  const press = real('button-press')[0];
  assert.ok(Math.abs(press.x - W / 2) <= 1.5 && Math.abs(press.y - H / 2) <= 1.5, `click at ${press.x},${press.y}`);
  assert.equal(real('key-press')[0].key, 'a');
  await screenshot(page, 'viewer-relay');
  assert.deepEqual(page.problems, []);
});

test('relay=1 on a server without TURN: the page says why there can be no video', async () => {
  const plain = await startServer();
  const plainHost = await startHost(plain.ws);
  try {
    const page = await openPage(browser, `${plain.url}/?pin=${plainHost.pin}&relay=1`);
    await page.click('#connect');
    await waitFor(() => page.evaluate(() => window.ghostviewViewer.state === 'ended'), 10000, 'the page to end the session');
    const text = await page.textContent('#ended-text');
    log('page says:', text);
    assert.match(text, /relay=1/);
    assert.match(text, /offers no TURN relay/);
    assert.equal(await page.isVisible('#ended'), true);
    await page.close();
  } finally {
    await plainHost.stop();
    await plain.stop();
  }
});
