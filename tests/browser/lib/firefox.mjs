// GhostView browser tests: Firefox ESR (Debian's /usr/bin/firefox-esr),
// headless or on an X display, in a network namespace of its own
// (lib/netns.mjs), driven over WebDriver BiDi by puppeteer-core (npm,
// pinned; it never downloads a browser).
//
// Firefox gathers no ICE candidate with only lo, so it runs in a namespace
// joined to this one by a veth pair; the signalling server and the native
// pipelines stay here and listen on this side's veth address
// (`ff.serverAddress`), and pages are loaded from the server's own address
// so its Origin check passes as it is.
//
// We start Firefox ourselves (`ip netns exec NS firefox-esr --headless
// --remote-debugging-port=0`) and connect puppeteer-core to it: its BiDi
// socket listens on the namespace's 127.0.0.1, which this namespace reaches
// through a one-connection bridge (a node process inside the namespace
// piping that socket to its stdio). Preferences: Firefox's defaults in a
// fresh profile, plus what its remote agent sets for automation by itself;
// nothing about WebRTC (mDNS host candidates stay on); a test adds what it
// needs (`prefs`) and says why.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { instrumentPage, log, recordPageProblems, skip, stopProcess, tail, testDir } from './harness.mjs';
import { makeNetns, netnsUnavailable } from './netns.mjs';

const firefoxPath = process.env.GHOSTVIEW_FIREFOX || '/usr/bin/firefox-esr';

function loadPuppeteer() {
  try {
    return createRequire(path.join(testDir, 'package.json'))('puppeteer-core');
  } catch {
    return null;
  }
}

/** Why the Firefox tests cannot run here, or '' when they can. */
export function firefoxUnavailable() {
  if (!existsSync(firefoxPath)) return `no Firefox at ${firefoxPath} (apt install firefox-esr)`;
  if (!loadPuppeteer()) return 'puppeteer-core is not installed: run `npm ci` in tests/browser (tools/dev.sh does)';
  return netnsUnavailable();
}

/** puppeteer-core, or a skip (exit 77) naming what is missing. */
export function requireFirefox() {
  const why = firefoxUnavailable();
  if (why) skip(why);
  return loadPuppeteer();
}

// Runs inside the namespace: one TCP connection to Firefox's BiDi port there, piped to stdio.
const BRIDGE = `
const s = require('node:net').connect(Number(process.argv[1]), '127.0.0.1');
process.stdin.pipe(s);
s.pipe(process.stdout);
s.on('error', () => process.exit(1));
s.on('close', () => process.exit(0));
`;

/**
 * Starts a TCP listener on this namespace's 127.0.0.1 whose every connection
 * is carried to `port` on the namespace's 127.0.0.1.
 */
function bridgeInto(ns, port) {
  const children = new Set();
  const server = net.createServer((sock) => {
    const argv = ns.exec([process.execPath, '-e', BRIDGE, String(port)]);
    const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
    children.add(child);
    sock.pipe(child.stdin);
    child.stdout.pipe(sock);
    child.stdin.on('error', () => {});
    sock.on('error', () => child.kill());
    sock.on('close', () => child.kill());
    child.on('exit', () => {
      children.delete(child);
      sock.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({
      port: server.address().port,
      close() {
        for (const c of children) c.kill();
        server.close();
      },
    }));
  });
}

/**
 * Launches one headless Firefox in a fresh namespace and profile. Resolves
 * {browser (puppeteer Browser), netns, serverAddress, peerAddress,
 * output (Firefox's stdout+stderr), close()}. Throws (and cleans up) when
 * Firefox or the namespace cannot start.
 *
 * `acceptInsecureCerts` (the WebDriver capability): pages from a server
 * with a test certificate (testCertificate()) load without a warning page.
 * `display` (an X display, startXvfb()): Firefox runs there full-screen
 * (--kiosk) instead of headless, so that getDisplayMedia has a screen to
 * capture (see startXvfb). `prefs`: preferences written to the fresh
 * profile's user.js.
 */
export async function launchFirefox({ acceptInsecureCerts = false, display = '', prefs = {} } = {}) {
  const puppeteer = requireFirefox();
  const ns = makeNetns();
  const profile = mkdtempSync(path.join(tmpdir(), 'gv-firefox-'));
  writeFileSync(path.join(profile, 'user.js'), Object.entries(prefs)
    .map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));

  const ff = { netns: ns, serverAddress: ns.hostAddress, peerAddress: ns.peerAddress, output: '' };
  let child;
  let bridge;
  const cleanup = async () => {
    if (ff.browser) await Promise.race([ff.browser.close().catch(() => {}), new Promise((r) => setTimeout(r, 5000))]);
    if (child) await stopProcess(child, 'SIGTERM', 3000);
    bridge?.close();
    ns.remove();
    rmSync(profile, { recursive: true, force: true });
  };
  ff.close = cleanup;
  try {
    const argv = ns.exec([firefoxPath, ...(display ? ['--kiosk'] : ['--headless']), '--no-remote', '--profile', profile,
      '--remote-debugging-port=0', 'about:blank']);
    const env = { ...process.env, MOZ_CRASHREPORTER_DISABLE: '1' };
    delete env.WAYLAND_DISPLAY;
    if (display) env.DISPLAY = display;
    child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'], env });
    const endpoint = await new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Firefox did not open its BiDi socket in 30 s:\n${tail(ff.output)}`)), 30000);
      const onData = (d) => {
        ff.output += d;
        const m = ff.output.match(/WebDriver BiDi listening on ws:\/\/127\.0\.0\.1:(\d+)/);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`Firefox exited (${code ?? signal}) before it listened:\n${tail(ff.output)}`));
      });
    });
    bridge = await bridgeInto(ns, endpoint);
    ff.browser = await puppeteer.connect({
      browserWSEndpoint: `ws://127.0.0.1:${bridge.port}/session`,
      protocol: 'webDriverBiDi',
      acceptInsecureCerts,
      // Firefox refuses (400) an upgrade whose Host is not where it listens.
      headers: { Host: `127.0.0.1:${endpoint}` },
      // On a display the window is the size of the screen; headless pages get 1280x800.
      defaultViewport: display ? null : { width: 1280, height: 800 },
    });
    log(`Firefox ${await ff.browser.version()} in ${ns.name} (${ns.peerAddress}; this side ${ns.hostAddress})`);
  } catch (e) {
    await cleanup();
    throw e;
  }
  return ff;
}

/**
 * Opens `url` in a new Firefox tab, recording console errors, page errors,
 * failed requests and CSP violations in `page.problems` (as harness.openPage
 * does for Chromium) and every data-channel message the page sends in
 * window.__channelSent.
 */
export async function openFirefoxPage(ff, url) {
  const page = await ff.browser.newPage();
  recordPageProblems(page);
  await page.evaluateOnNewDocument(instrumentPage);
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

/**
 * A self-signed certificate for `address` (in subjectAltName: GnuTLS checks
 * an IP there) and its key, made by openssl: the server serves https/wss
 * with it (--tls-cert/--tls-key), native peers trust it
 * (signaller::ca-file=cert), Firefox takes it with acceptInsecureCerts.
 * getDisplayMedia needs a secure context, and http://<veth address> is not
 * one. Resolves {cert, key, remove()}; skips when openssl is missing.
 */
export function testCertificate(address) {
  const dir = mkdtempSync(path.join(tmpdir(), 'gv-tls-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
    '-subj', `/CN=${address}`, '-addext', `subjectAltName=IP:${address}`, '-keyout', key, '-out', cert],
  { encoding: 'utf8', timeout: 30000 });
  if (r.error) {
    rmSync(dir, { recursive: true, force: true });
    skip(`openssl is missing (apt install openssl): ${r.error.message}`);
  }
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { cert, key, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Starts Xvfb on a free display (-displayfd) for a Firefox that shares its
 * screen. Firefox fakes cameras and microphones only
 * (media.navigator.streams.fake); getDisplayMedia always captures a real
 * screen or window, and headless Firefox has none (NotFoundError). So the
 * browser host test runs Firefox on Xvfb and shares that X screen, through
 * Firefox's own X11 capture. Resolves {display, stop()}; skips without Xvfb.
 */
export async function startXvfb({ width = 1280, height = 720 } = {}) {
  const child = spawn('Xvfb', ['-displayfd', '3', '-noreset', '-nolisten', 'tcp',
    '-screen', '0', `${width}x${height}x24`], { stdio: ['ignore', 'ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d) => { err += d; });
  const display = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`Xvfb gave no display in 10 s: ${err}`)), 10000);
    child.on('error', (e) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') skip('Xvfb is not installed (apt install xvfb)');
      reject(e);
    });
    child.stdio[3].on('data', (d) => {
      out += d;
      if (out.includes('\n')) {
        clearTimeout(timer);
        resolve(`:${out.trim()}`);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Xvfb exited (${code}): ${err}`));
    });
  });
  log('Xvfb on', display);
  return { display, stop: () => stopProcess(child) };
}
