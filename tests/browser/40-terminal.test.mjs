// Scenario 40: terminal sharing (issue 18, item 1). A real `ghostview host
// --terminal` runs a shell (SHELL=/bin/sh) in a pseudo-terminal with no
// screen at all; viewer pages show it with xterm.js (served from the web
// root, under the page's strict CSP). View-only by default: keystrokes from
// a viewer without `control` are refused by the host with a sentence the
// page shows, and the shell never sees them (a `touch` never runs). After
// the host grants `control` at its console, typing `echo gv$((6*7))` shows
// `gv42` on every viewer's screen (an input message's round trip to its
// echo is logged; 43-terminal-echo measures keys); the terminal takes the controlling
// viewer's size (`stty size`); a late joiner gets the recent output; the
// shell's exit reaches every viewer as "[process exited with status N]".
// Beside a screen (--source test), the picture plays and the terminal shows
// under it.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  cspViolations, framesDecoded, launchBrowser, log, openPage, requireBrowser, requireGstElements, screenshot,
  skip, startServer, tail, waitFor, webDir,
} from './lib/harness.mjs';
import { requireLauncher, startLauncherHost } from './lib/file-host.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'webrtcbin');
requireLauncher();
if (!existsSync(path.join(webDir, 'node_modules', '@xterm', 'xterm', 'lib', 'xterm.mjs'))) {
  skip(`xterm.js is not installed in ${webDir}/node_modules (npm ci in web/; tools/dev.sh build does it)`);
}

const REFUSED = 'The host has not given you control: the terminal is view-only for you.';
const scratch = mkdtempSync(path.join(tmpdir(), 'gv-terminal-'));
const marker = path.join(scratch, 'typed-by-a-view-only-viewer');
let server;
let host;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (host) await host.stop();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** `ghostview host --terminal` against `server`, three viewers; resolves once it has a PIN. */
function startTerminalHost(extra = []) {
  return startLauncherHost(server, ['--terminal', '--set', 'MAX_VIEWERS=3', ...extra], {
    env: { SHELL: '/bin/sh', HOME: scratch, PS1: '$ ', ENV: '' }, cwd: scratch, what: 'ghostview host --terminal',
  });
}

/** Joins as `name`; resolves the page once its terminal shows. */
async function join(name) {
  const page = await openPage(browser, `${server.url}/?pin=${host.pin}`);
  await page.fill('#name', name);
  await page.click('#connect');
  await waitFor(() => page.evaluate(() => document.body.dataset.terminal === 'shown'), 15000, `${name}: terminal shown`);
  await waitFor(() => page.evaluate(() => window.ghostviewViewer.state === 'live'), 5000, `${name}: live`);
  return page;
}

const screenOf = (page) => page.evaluate(() => window.ghostviewViewer.terminalText);
const shows = async (page, re) => (await screenOf(page)).some((row) => re.test(row));

/** The viewer number the host console gave `name`. */
async function viewerNumber(name) {
  const m = await waitFor(() => host.output.match(new RegExp(`viewer joined: ${name}.*?number (\\d+)`)), 10000,
    `host saw ${name}`);
  return m[1];
}

async function typeInTerminal(page, text) {
  await page.click('#terminal-screen');
  await page.keyboard.type(text);
  await page.keyboard.press('Enter');
}

test('terminal sharing: view-only refused, control types, every viewer sees it, exit shown', async () => {
  host = await startTerminalHost();
  log('host PIN', host.pin);
  assert.match(host.output, /sharing a terminal/);

  const alice = await join('alice');
  const bob = await join('bob');
  assert.equal(await alice.evaluate(() => document.body.dataset.media), 'none', 'no video offered');
  assert.equal(await alice.isVisible('#video'), false);
  await waitFor(() => shows(alice, /\$ ?$/), 5000, 'a prompt on the screen');

  // Bob is view-only: what he types is sent, refused by the host, shown to him; the shell never sees it.
  await typeInTerminal(bob, `touch ${marker}; echo viewonly$((1+1))`);
  await waitFor(() => bob.evaluate(() => window.ghostviewViewer.terminalRefusals > 0), 5000, 'bob refused');
  await waitFor(async () => (await bob.evaluate(() => window.ghostviewViewer.terminalNote)) === REFUSED, 3000,
    'the refusal shown to bob');
  const sent = (await bob.evaluate(() => window.__channelSent)).filter((t) => t.includes('"input"'));
  assert.ok(sent.length > 0, 'the page did send the keystrokes (the host refused them)');
  await bob.waitForTimeout(700);
  assert.equal(existsSync(marker), false, "a view-only viewer's command never ran");
  assert.equal(await shows(alice, /viewonly/), false);
  assert.equal(await shows(bob, /viewonly/), false);

  // Alice is granted control at the host's console, and types.
  host.type(`/grant ${await viewerNumber('alice')} control`);
  await waitFor(() => alice.evaluate(() => window.ghostviewViewer.capabilities.includes('control')), 5000,
    'control granted');
  await waitFor(async () => (await alice.evaluate(() => window.ghostviewViewer.terminalNote)).startsWith('You can type'),
    3000, 'alice told she can type');
  await typeInTerminal(alice, 'echo gv$((6*7))');
  try {
    await waitFor(() => shows(alice, /^gv42$/), 5000, 'gv42 on alice\'s screen');
    await waitFor(() => shows(bob, /^gv42$/), 5000, 'gv42 on bob\'s screen');
  } catch (e) {
    throw new Error(`${e.message}\nalice: ${JSON.stringify(await screenOf(alice))}\nhost:\n${tail(host.output)}`);
  }
  await screenshot(alice, 'terminal-alice');
  await screenshot(bob, 'terminal-bob');

  // The channel's round trip, logged (performance is measured, not asserted: 43-terminal-echo times
  // real key events to the echo drawn).
  const echo = (await alice.evaluate(() => window.ghostviewViewer.terminalEchoMs(40))).sort((a, b) => a - b);
  const p95 = echo[Math.ceil(echo.length * 0.95) - 1];
  log(`input message to its echo: median ${echo[echo.length >> 1].toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (40 keys)`);
  await alice.evaluate(() => window.ghostviewViewer.terminalEchoMs(1, '\u0015')); // Ctrl-U: the line is cleared

  // The terminal has alice's size (she has control); bob shows the same.
  const size = await alice.evaluate(() => window.ghostviewViewer.terminalSize);
  log('alice terminal', JSON.stringify(size));
  await typeInTerminal(alice, 'stty size');
  await waitFor(() => shows(alice, new RegExp(`^${size.rows} ${size.cols}$`)), 5000, 'stty size is alice\'s');
  await waitFor(async () => JSON.stringify(await bob.evaluate(() => window.ghostviewViewer.terminalSize)) ===
    JSON.stringify(size), 3000, 'bob shows the host size');

  // A late joiner sees what came before.
  const carol = await join('carol');
  await waitFor(() => shows(carol, /^gv42$/), 5000, 'carol sees the earlier output');

  // The shell ends: every viewer is told.
  await typeInTerminal(alice, 'exit 7');
  for (const [name, page] of [['alice', alice], ['bob', bob], ['carol', carol]]) {
    await waitFor(() => shows(page, /\[process exited with status 7\]/), 5000, `${name} sees the exit`);
  }
  await waitFor(() => /terminal's program ended: \[process exited with status 7\]/.test(host.output), 5000,
    'the host console says so');

  for (const page of [alice, bob, carol]) {
    assert.deepEqual(await cspViolations(page), [], 'no CSP violation (xterm.js under style-src \'self\')');
  }
});

test('a terminal beside the screen: the picture plays and the terminal shows under it', async () => {
  await host?.stop();
  host = await startTerminalHost(['--source', 'test', '--terminal-command', 'echo beside-the-screen; exec cat']);
  assert.match(host.output, /sharing a terminal \(echo beside-the-screen; exec cat\) beside host/);
  const page = await join('dave');
  await waitFor(async () => (await framesDecoded(page)) > 0, 15000, 'frames decoded');
  assert.equal(await page.evaluate(() => document.body.dataset.media), undefined, 'video offered');
  await waitFor(() => shows(page, /^beside-the-screen$/), 5000, 'the terminal beside the picture');
  assert.ok(await page.isVisible('#video'));
  await screenshot(page, 'terminal-beside-screen');
  assert.deepEqual(await cspViolations(page), []);
});
