// GhostView browser tests — shared harness: the signalling server, headless
// Chromium (Debian's, through playwright-core), native pipelines, skips.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const testDir = path.resolve(here, '..');
export const sourceDir = process.env.GHOSTVIEW_SOURCE_DIR || path.resolve(testDir, '../..');
export const buildDir = process.env.GHOSTVIEW_BUILD_DIR || path.join(sourceDir, 'build');
export const webDir = process.env.GHOSTVIEW_WEB_DIR || path.join(sourceDir, 'web');
export const outDir = path.join(buildDir, 'tests', 'browser');
export const screenshotDir = path.join(outDir, 'screenshots');
const chromiumPath = process.env.GHOSTVIEW_CHROMIUM || '/usr/bin/chromium';

/** Exits 77 (meson: skipped) with a one-line reason. */
export function skip(reason) {
  process.stdout.write(`SKIP: ${reason}\n`);
  process.exit(77);
}

export function log(...args) {
  const t = (performance.now() / 1000).toFixed(2).padStart(6);
  process.stderr.write(`[${t}s] ${args.join(' ')}\n`);
}

/** playwright-core's chromium, or a skip when something it needs is missing. */
export function requireBrowser() {
  if (!existsSync(chromiumPath)) skip(`no Chromium at ${chromiumPath} (apt install chromium)`);
  let playwright;
  try {
    playwright = createRequire(path.join(testDir, 'package.json'))('playwright-core');
  } catch {
    skip('playwright-core is not installed: run `npm ci` in tests/browser (tools/dev.sh does)');
  }
  return playwright.chromium;
}

export function serverBinary() {
  const bin = path.join(buildDir, 'signaling', 'ghostview-signaling');
  if (!existsSync(bin)) skip(`the signalling server is not built (${bin})`);
  return bin;
}

/** Environment for GStreamer programs: our plugins and a registry of our own. */
export function gstEnv(extra = {}) {
  mkdirSync(outDir, { recursive: true });
  const env = { ...process.env, ...extra };
  env.GST_PLUGIN_PATH_1_0 = process.env.GST_PLUGIN_PATH_1_0 || path.join(buildDir, 'plugins');
  env.GST_REGISTRY_1_0 = path.join(outDir, 'gst-registry.bin');
  env.GST_DEBUG_NO_COLOR = '1';
  return env;
}

/** Skips unless gst-launch-1.0 and every named element are available. */
export function requireGstElements(...names) {
  const launch = spawnSync('gst-launch-1.0', ['--version'], { encoding: 'utf8' });
  if (launch.error || launch.status !== 0) skip('gst-launch-1.0 is missing (apt install gstreamer1.0-tools)');
  for (const name of names) {
    const r = spawnSync('gst-inspect-1.0', [name], { env: gstEnv(), encoding: 'utf8' });
    if (r.status !== 0) skip(`GStreamer element ${name} is not available (not built, or its plugin is missing)`);
  }
}

/**
 * Starts ghostview-signaling on 127.0.0.1 (or `address`: the Firefox tests
 * pass their veth address), a free port; resolves {url, ws, stop}.
 */
export async function startServer(extraArgs = [], { address = '127.0.0.1' } = {}) {
  const bin = serverBinary();
  const child = spawn(bin, ['--address', address, '--port', '0', '--web-root', webDir, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 10000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/listening on (https?:\/\/[^\s]+)/);
      if (m) {
        clearTimeout(timer);
        resolve(m[1].replace(/\/$/, ''));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}): ${stderr}`));
    });
  });
  log('server at', url);
  return {
    url,
    ws: `${url.replace(/^http/, 'ws')}/ws`,
    get stderr() { return stderr; },
    stop: () => stopProcess(child),
  };
}

export function stopProcess(child, signal = 'SIGTERM', graceMs = 3000) {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve(child.exitCode);
      return;
    }
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    child.kill(signal);
  });
}

const CHROMIUM_ARGS = [
  '--no-sandbox', // required as root; harmless otherwise in a throwaway profile
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--allow-loopback-in-peer-connection',
  // Real host candidates: libnice cannot resolve Chromium's mDNS .local names.
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];
const FAKE_MEDIA_ARGS = [
  '--use-fake-ui-for-media-stream',
  '--use-fake-device-for-media-stream',
  '--auto-select-desktop-capture-source=Entire screen',
];

/**
 * Launches one headless Chromium (one at a time: the machine has 2 cores).
 * `fakeMedia`: getDisplayMedia gets a synthetic screen. `device`: context
 * options that emulate a device (a playwright-core `devices[...]` entry:
 * viewport, isMobile, hasTouch, deviceScaleFactor, userAgent). `executablePath`:
 * a wrapper that runs Chromium elsewhere (a network namespace).
 */
export async function launchBrowser({ fakeMedia = false, extraArgs = [], device = {}, executablePath = chromiumPath } = {}) {
  const chromium = requireBrowser();
  const profile = mkdtempSync(path.join(tmpdir(), 'gv-chromium-'));
  const args = [...CHROMIUM_ARGS, ...(fakeMedia ? FAKE_MEDIA_ARGS : []), ...extraArgs];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args,
    viewport: { width: 1280, height: 800 },
    env: { ...process.env, PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' },
    ...deviceOptions(device),
  });
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

// A devices[...] entry without what is not a context option.
function deviceOptions({ defaultBrowserType, ...options }) {
  return options;
}

/** playwright-core's device descriptors (devices['Pixel 7']...). */
export function browserDevices() {
  return createRequire(path.join(testDir, 'package.json'))('playwright-core').devices;
}

/**
 * Opens `url` in a new page of `browser`, recording console errors, page
 * errors and Content-Security-Policy violations in `page.problems`.
 */
export async function openPage(browser, url) {
  const page = await browser.context.newPage();
  recordPageProblems(page);
  // Runs before any page script, outside the page's CSP.
  await page.addInitScript(instrumentPage);
  await page.goto(url, { waitUntil: 'load' });
  return page;
}

/**
 * Console errors, page errors and failed requests of `page` (playwright's
 * or puppeteer's: the same events) into `page.problems`.
 */
export function recordPageProblems(page) {
  page.problems = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') page.problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => page.problems.push(`page error: ${err.message}`));
  page.on('requestfailed', (req) => {
    const f = req.failure();
    page.problems.push(`request failed: ${req.url()} ${f ? f.errorText : ''}`);
  });
}

/**
 * Runs in the page before its own scripts: CSP violations into
 * window.__cspViolations, every data-channel message the page sends into
 * window.__channelSent (for diagnostics).
 */
export function instrumentPage() {
  window.__cspViolations = [];
  window.__channelSent = [];
  const send = RTCDataChannel.prototype.send;
  RTCDataChannel.prototype.send = function (data) {
    if (typeof data === 'string' && window.__channelSent.length < 1000) window.__channelSent.push(data);
    return send.call(this, data);
  };
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`);
  });
}

export async function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations || []);
}

export async function screenshot(page, name) {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  await page.screenshot({ path: file });
  log('screenshot', file);
  return file;
}

/** Resolves when `fn()` (in node) returns truthy, polling; rejects after `ms`. */
export async function waitFor(fn, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The viewer page's framesDecoded, from getStats (0 without a connection). */
export function framesDecoded(page) {
  return page.evaluate(async () => {
    const pc = window.ghostviewViewer && window.ghostviewViewer.pc;
    if (!pc) return 0;
    let n = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded || 0;
    });
    return n;
  });
}

/**
 * Fraction of the video's pixels that differ from the first pixel: 0 for a
 * blank (uniform) picture. Drawn from the <video> itself (or the <canvas>
 * `id` names, the fallback's), not the screen.
 */
export function videoVariety(page, id = 'video') {
  return page.evaluate((id) => {
    const v = document.getElementById(id);
    if (!v || !(v.videoWidth ?? v.width)) return 0;
    const c = document.createElement('canvas');
    c.width = 64;
    c.height = 36;
    const g = c.getContext('2d');
    g.drawImage(v, 0, 0, c.width, c.height);
    const d = g.getImageData(0, 0, c.width, c.height).data;
    let differ = 0;
    for (let i = 4; i < d.length; i += 4) {
      if (Math.abs(d[i] - d[0]) + Math.abs(d[i + 1] - d[1]) + Math.abs(d[i + 2] - d[2]) > 30) differ++;
    }
    return differ / (d.length / 4);
  }, id);
}

/**
 * Runs `gst-launch-1.0 -m <pipeline>` and parses its bus messages: resolves
 * {pin, events, stop()} once gvwebrtcsink posted its session (PIN).
 * `events` collects gvinputinject-event messages as objects; `env` is added
 * to the host's environment (GST_DEBUG, say: its log is in `output` too).
 */
export function startNativeHost(pipeline, { timeoutMs = 15000, env = {} } = {}) {
  const child = spawn('gst-launch-1.0', ['-m', ...splitLaunch(pipeline)], {
    env: gstEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const host = { child, pin: '', events: [], output: '', stop: () => stopProcess(child, 'SIGINT') };
  let buffered = '';
  const onLine = (line) => {
    const ev = parseInputEvent(line);
    if (ev) host.events.push(ev);
  };
  child.stdout.on('data', (d) => {
    host.output += d;
    buffered += d;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      onLine(buffered.slice(0, nl));
      buffered = buffered.slice(nl + 1);
    }
  });
  child.stderr.on('data', (d) => { host.output += d; });
  return waitForPin(child, host, /gvwebrtcsink-session[^\n]*?pin=\(string\)"?(\d{6,9})/, timeoutMs,
    'gst-launch-1.0');
}

/**
 * Resolves `host` (whose `output` the caller collects from `child`) with
 * `host.pin` set once `pattern`'s first group shows in it; rejects when
 * `child` (`what`) exits first or after `timeoutMs`.
 */
export function waitForPin(child, host, pattern, timeoutMs, what) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no PIN from ${what} in ${timeoutMs} ms:\n${tail(host.output)}`)), timeoutMs);
    const check = () => {
      const m = host.output.match(pattern);
      if (m) {
        clearTimeout(timer);
        host.pin = m[1];
        resolve(host);
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before a PIN:\n${tail(host.output)}`));
    });
  });
}

/** Runs a gst-launch-1.0 pipeline to its end; resolves {child, output, done}. */
export function startPipeline(pipeline, { eos = true } = {}) {
  const child = spawn('gst-launch-1.0', [...(eos ? ['-e'] : []), '-m', ...splitLaunch(pipeline)], {
    env: gstEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const p = { child, output: '' };
  child.stdout.on('data', (d) => { p.output += d; });
  child.stderr.on('data', (d) => { p.output += d; });
  p.done = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  p.stop = () => stopProcess(child, 'SIGINT', 5000);
  return p;
}

function splitLaunch(pipeline) {
  return pipeline.trim().split(/\s+/);
}

export function tail(text, lines = 25) {
  return String(text).split('\n').slice(-lines).join('\n');
}

// "... gvinputinject-event, type=(string)button-press, x=(int)320, ..." -> object
function parseInputEvent(line) {
  const i = line.indexOf('gvinputinject-event');
  if (i < 0) return null;
  const ev = {};
  const re = /([a-z-]+)=\((string|int|uint|double|boolean)\)("(?:[^"\\]|\\.)*"|[^,;\s]+)/g;
  let m;
  while ((m = re.exec(line.slice(i))) !== null) {
    let v = m[3];
    if (m[2] === 'string') v = v.startsWith('"') ? JSON.parse(v) : v;
    else if (m[2] === 'boolean') v = v === 'true' || v === '1';
    else v = Number(v);
    ev[m[1]] = v;
  }
  return ev;
}
