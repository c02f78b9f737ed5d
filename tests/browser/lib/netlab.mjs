// GhostView browser tests: the network bench's emulated link
// (tests/bench/network, driven by lib/netlab-driver.py) between a host
// network namespace and a viewer namespace, with `ghostview host` in the
// first and Chromium in the second, so that the page's WebSocket and its
// WebRTC both cross the link the test controls (loss, cuts, UDP blocked).
// Root only (namespaces): the module skips the test otherwise.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { buildDir, gstEnv, launchBrowser, log, skip, stopProcess, waitForPin } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const launcher = path.join(buildDir, 'tools', 'ghostview');
const forwarder = process.env.GV_NETLAB_FORWARDER || path.join(buildDir, 'tests', 'bench', 'network', 'gvnl-forwarder');

/** Skips the test (with the reason) where the lab cannot be built. */
export function requireLab() {
  if (!existsSync(launcher)) skip(`the ghostview launcher is not built (${launcher})`);
  if (!existsSync(forwarder)) skip(`the network emulator is not built (${forwarder})`);
  if (typeof process.getuid === 'function' && process.getuid() !== 0) skip('not root: the test makes network namespaces');
}

/** lib/netlab-driver.py: resolves {info, command(line) -> reply, close()} once the lab is built. */
export async function startLab() {
  const child = spawn('/usr/bin/python3', [path.join(here, 'netlab-driver.py'), forwarder], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => waiting.shift()?.(JSON.parse(line)));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  const info = await next();
  if (info.event === 'unavailable') skip(info.reason);
  if (info.event !== 'ready') throw new Error(`netlab: ${JSON.stringify(info)}`);
  return {
    info,
    command(line) {
      const reply = next();
      child.stdin.write(`${line}\n`);
      return reply;
    },
    close() {
      child.stdin.end();
      return new Promise((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', resolve)));
    },
  };
}

/**
 * `ghostview host` (its own server, all interfaces, the host-test preset at
 * `width`x`height`, `fps`) in namespace `ns`: {pin, port, output, stop()}.
 */
export async function startLabHost(ns, { width, height, fps, args = [] }) {
  const child = spawn('ip', ['netns', 'exec', ns, launcher, 'host', '--port', '0', '--preset', 'host-test',
    '--set', `WIDTH=${width}`, '--set', `HEIGHT=${height}`, '--set', `FPS=${fps}`, ...args],
  { env: gstEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  const h = { child, pin: '', output: '', stop: () => stopProcess(child, 'SIGINT', 8000) };
  child.stdout.on('data', (d) => { h.output += d; });
  child.stderr.on('data', (d) => { h.output += d; });
  await waitForPin(child, h, /PIN: (\d{6})/, 20000, 'ghostview host');
  h.port = h.output.match(/listening on http:\/\/[^:]+:(\d+)/)[1];
  return h;
}

/** A wrapper in `dir` that playwright-core starts as "the browser": Chromium in namespace `ns`. */
export function chromiumIn(dir, ns) {
  const wrapper = path.join(dir, 'chromium-in-netns');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${ns} ${process.env.GHOSTVIEW_CHROMIUM || '/usr/bin/chromium'} "$@"\n`);
  chmodSync(wrapper, 0o755);
  return wrapper;
}

/**
 * The whole set-up: the lab, `ghostview host` in its host namespace
 * (startLabHost's `hostOptions`), Chromium in its viewer namespace.
 * Resolves {lab, host, browser, close()}; close() undoes what was made.
 */
export async function startLabSession(hostOptions) {
  const made = { lab: null, host: null, browser: null, dir: '' };
  made.close = async () => {
    await made.browser?.close();
    await made.host?.stop();
    await made.lab?.close();
    if (made.dir) rmSync(made.dir, { recursive: true, force: true });
  };
  made.lab = await startLab();
  log('lab', JSON.stringify(made.lab.info));
  made.host = await startLabHost(made.lab.info.host_ns, hostOptions);
  log('host PIN', made.host.pin, 'port', made.host.port);
  made.dir = mkdtempSync(path.join(tmpdir(), 'gv-lab-'));
  made.browser = await launchBrowser({ executablePath: chromiumIn(made.dir, made.lab.info.viewer_ns) });
  return made;
}
