// A native `ghostview host` sharing a private Xvfb display, and plain X
// windows (xmessage) on that display, for the tests of what is shared and
// of the pointer (scenarios 36 and 37).
// SPDX-License-Identifier: LGPL-2.1-or-later
import { spawn } from 'node:child_process';
import { gstEnv, waitForPin } from './harness.mjs';
import { launcher } from './file-host.mjs';

/**
 * `ghostview host --server SERVER ...args` on X display `display`; the child
 * goes into `processes` (stopped by the test's `after`). Resolves
 * {child, pin, output} once it printed its PIN.
 */
export function startXHost(server, display, args, processes) {
  const child = spawn(launcher, ['host', '--server', server.ws, ...args],
    { env: gstEnv({ DISPLAY: display }), stdio: ['pipe', 'pipe', 'pipe'] });
  const host = { child, pin: '', output: '' };
  child.stdout.on('data', (d) => { host.output += d; });
  child.stderr.on('data', (d) => { host.output += d; });
  processes.push(child);
  return waitForPin(child, host, /PIN: (\d{6,9})/, 20000, 'ghostview host');
}

/**
 * An X window titled `title`, `width`x`height` at `at`,`at` (no window
 * manager: exactly that size). Resolves the xmessage child once the window
 * is mapped (`xdotool search --sync`), so a list of windows taken after it
 * has it: on a busy machine xmessage can take seconds to map.
 */
export async function openXWindow(display, { title, width, height }, at, processes) {
  const env = { ...process.env, DISPLAY: display };
  const child = spawn('xmessage', ['-title', title, '-geometry', `${width}x${height}+${at}+${at}`, title], {
    env, stdio: 'ignore',
  });
  processes.push(child);
  const found = spawn('xdotool', ['search', '--sync', '--onlyvisible', '--name', `^${title}$`],
    { env, stdio: 'ignore' });
  const timer = setTimeout(() => found.kill(), 15000);
  const code = await new Promise((resolve) => found.on('exit', resolve));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`the X window "${title}" was not mapped within 15 s`);
  return child;
}
