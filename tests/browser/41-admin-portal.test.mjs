// Scenario 41: the admin portal (/admin, web/admin.html, issue 14 item 4) in
// real Chromium against a server with --api-keys. A read-only key and an
// unknown key are refused with the API's own message; an admin key signs in;
// a session started by the browser host page shows (PIN masked, revealed on
// request, node, duration), a viewer that joins shows by itself within a
// poll, is removed from the keyboard with a confirmation (the viewer page
// ends, the host page loses it); the session is ended (the host's
// connection gets `session-ended`, the viewer is gone, the row goes). A
// failed poll is shown and cleared by the next; an action the API refuses
// (a reservation another operator ended first) is shown. No CSP
// violation, no console error; screenshots, wide and narrow (no sideways
// scrolling at 390 px).
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  cspViolations, framesDecoded, instrumentPage, launchBrowser, log, openPage, recordPageProblems,
  requireBrowser, screenshot, startServer, waitFor,
} from './lib/harness.mjs';

requireBrowser();

const ADMIN_KEY = 'gv-admin-portal-test-admin-key';
const READ_KEY = 'gv-admin-portal-test-read-key';
const sha256 = (s) => createHash('sha256').update(s).digest('hex');

let server;
let browser;
let keyDir;

before(async () => {
  keyDir = mkdtempSync(path.join(tmpdir(), 'gv-admin-keys-'));
  const keyFile = path.join(keyDir, 'keys');
  writeFileSync(keyFile, `ops admin ${sha256(ADMIN_KEY)}\nwatcher read ${sha256(READ_KEY)}\n`);
  server = await startServer(['--api-keys', keyFile]);
  browser = await launchBrowser({ fakeMedia: true }); // a screen for the browser host
});

after(async () => {
  await browser?.close();
  await server?.stop();
  if (keyDir) rmSync(keyDir, { recursive: true, force: true });
});

/** What the API itself answers, from here (not through the page). */
async function apiSend(method, pathName, key, body) {
  const r = await fetch(`${server.url}/api/v1${pathName}`, { method, body, headers: { Authorization: `Bearer ${key}` } });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
}
const api = (pathName, key) => apiSend('GET', pathName, key);

// Runs in the host page before its scripts: every text message its WebSockets receive.
function recordSocketMessages() {
  window.__wsReceived = [];
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', (e) => {
        if (typeof e.data === 'string') window.__wsReceived.push(e.data);
      });
    }
  };
}

async function signIn(page, key) {
  await page.fill('#api-key', key);
  await page.press('#api-key', 'Enter');
}

const rowOf = (page, pin) => page.locator(`#session-rows tr[data-pin="${pin}"]`);

test('a read-only key and an unknown key are refused, with the API\'s message', async () => {
  const page = await openPage(browser, `${server.url}/admin`);
  assert.equal(await page.title(), 'GhostView — admin');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'api-key', 'the key field has the focus');

  // The API refuses a read key here (GET /node needs admin): the page shows that very sentence.
  const refusal = await api('/node', READ_KEY);
  assert.equal(refusal.status, 403);
  await signIn(page, READ_KEY);
  await page.waitForSelector('#sign-in-error:not([hidden])', { timeout: 5000 });
  let text = await page.textContent('#sign-in-error');
  log('read key:', text);
  assert.ok(text.includes(refusal.body.message), `"${text}" does not show "${refusal.body.message}"`);
  assert.match(text, /FORBIDDEN \(HTTP 403\)/);
  assert.match(text, /admin/);
  assert.equal(await page.evaluate(() => window.ghostviewAdmin.state), 'signed-out');
  assert.equal(await page.getAttribute('#api-key', 'aria-invalid'), 'true');
  assert.equal(await page.isHidden('#portal'), true, 'no portal for a read key');
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'a refused key is not kept');
  await screenshot(page, 'admin-read-key-refused');

  const unknown = await api('/node', 'not-a-key-at-all');
  assert.equal(unknown.status, 401);
  await signIn(page, 'not-a-key-at-all');
  await waitFor(async () => (await page.textContent('#sign-in-error')).includes('UNAUTHORIZED'), 5000, 'the unknown key refused');
  text = await page.textContent('#sign-in-error');
  assert.ok(text.includes(unknown.body.message), text);

  assert.deepEqual(await cspViolations(page), []);
  // The only console errors are Chromium's lines for the two refused requests.
  const other = page.problems.filter((p) => !/status of 40[13]/.test(p));
  assert.deepEqual(other, []);
  await page.close();
});

test('live sessions: a host and a viewer show by themselves, the viewer is removed, the session ended', async () => {
  const node = (await api('/node', ADMIN_KEY)).body.node;

  // The host: the browser host page on a fake screen, recording what its WebSocket hears.
  const hostPage = await browser.context.newPage();
  recordPageProblems(hostPage);
  await hostPage.addInitScript(instrumentPage);
  await hostPage.addInitScript(recordSocketMessages);
  await hostPage.goto(`${server.url}/host.html`, { waitUntil: 'load' });
  await hostPage.click('#start-sharing');
  const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'the host\'s PIN');
  const masked = `${pin.slice(0, 2)}${'•'.repeat(pin.length - 4)}${pin.slice(-2)}`;
  log('host PIN', pin);

  const admin = await openPage(browser, `${server.url}/admin`);
  await signIn(admin, ADMIN_KEY);
  await admin.waitForSelector('#portal:not([hidden])', { timeout: 5000 });
  const row = rowOf(admin, pin);
  await row.waitFor({ timeout: 5000 });

  // The PIN is masked until asked, and masked again.
  assert.equal(await row.locator('.pin-text').textContent(), masked);
  assert.ok(!(await row.textContent()).includes(pin), 'the whole PIN is nowhere in the row');
  await row.locator('.reveal').click();
  assert.equal(await row.locator('.pin-text').textContent(), pin);
  assert.equal(await row.locator('.reveal').getAttribute('aria-pressed'), 'true');
  await row.locator('.reveal').click();
  assert.equal(await row.locator('.pin-text').textContent(), masked);

  assert.equal(await row.locator('td[data-label="Node"]').textContent(), node);
  assert.match(await row.locator('td[data-label="Host"]').textContent(), /127\.0\.0\.1/);
  assert.match(await row.locator('td[data-label="Bitrate"]').textContent(), /not known/);
  assert.match(await row.locator('td[data-label="Duration"]').textContent(), /^\d+ s$/);
  assert.match(await admin.textContent('#node-rows'), new RegExp(`${node}.*1 live`));
  assert.match(await admin.textContent('#recorders-empty'), /No recorder pool configured/);
  assert.equal(await admin.evaluate(() => sessionStorage.getItem('ghostview.adminKey')), ADMIN_KEY);

  // A viewer joins and the host accepts: the portal shows it on its own (polling), no click.
  const viewer = await openPage(browser, `${server.url}/`);
  await viewer.fill('#pin', pin);
  await viewer.press('#pin', 'Enter');
  await hostPage.locator('#requests .accept').click({ timeout: 5000 });
  await waitFor(async () => (await framesDecoded(viewer)) > 0, 10000, 'frames decoded by the viewer');
  const joinedAt = Date.now();
  const item = row.locator('li.viewer[data-state="admitted"]');
  await item.waitFor({ timeout: 5000 });
  log(`viewer shown as watching ${Date.now() - joinedAt} ms after its first frame`);
  assert.match(await item.textContent(), /watching · 127\.0\.0\.1/);
  assert.match(await row.locator('.viewer-summary').textContent(), /^1 viewer · PIN admits 5$/);
  assert.match(await admin.textContent('#updated'), /^Updated \d s ago$/);
  await admin.waitForTimeout(2500); // the duration and "updated" tick
  assert.match(await admin.textContent('#updated'), /^Updated [0-2] s ago$/, 'polled again');
  const shot = await screenshot(admin, 'admin-portal-live');
  const png = readFileSync(shot);
  assert.ok(statSync(shot).size > 5000, 'a screenshot with something in it');
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'a PNG');

  // Narrow: every row a card, nothing scrolls sideways.
  await admin.setViewportSize({ width: 390, height: 844 });
  assert.equal(await admin.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), true,
    'no sideways scrolling at 390 px');
  await screenshot(admin, 'admin-portal-narrow');
  await admin.setViewportSize({ width: 1280, height: 800 });

  // A failed poll is said, with why, and the last figures are kept; the next good poll clears it.
  await admin.route('**/api/v1/sessions?*', (route) => route.abort('connectionrefused'));
  await admin.waitForSelector('#poll-error:not([hidden])', { timeout: 5000 });
  assert.match(await admin.textContent('#poll-error'), /^Could not update: The server could not be reached/);
  assert.equal(await admin.evaluate(() => document.getElementById('updated').classList.contains('stale')), true);
  assert.equal(await row.count(), 1, 'the last answer stays on screen');
  await admin.unroute('**/api/v1/sessions?*');
  await admin.waitForSelector('#poll-error', { state: 'hidden', timeout: 5000 });
  admin.problems = admin.problems.filter((p) => !/ERR_CONNECTION_REFUSED|request failed: .*\/api\/v1\/sessions/.test(p));

  // Remove the viewer from the keyboard: focus its button, Enter, a reason, Tab Tab Enter.
  await item.locator('.kick').focus();
  await admin.keyboard.press('Enter');
  await admin.waitForSelector('#confirm[open]', { timeout: 2000 });
  assert.equal(await admin.evaluate(() => document.activeElement.id), 'confirm-reason');
  assert.match(await admin.textContent('#confirm-title'), /^Remove /);
  await admin.keyboard.type('Test over');
  await admin.keyboard.press('Tab');
  await admin.keyboard.press('Tab');
  assert.equal(await admin.evaluate(() => document.activeElement.id), 'confirm-ok');
  await admin.keyboard.press('Enter');
  await waitFor(() => viewer.evaluate(() => window.ghostviewViewer.state === 'ended'), 5000, 'the viewer page ended');
  assert.equal(await viewer.textContent('#ended-text'),
    'The session\'s operator removed you from the session: Test over');
  await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.viewers.length === 0), 5000, 'the host lost the viewer');
  const peerLeft = await hostPage.evaluate(() => window.__wsReceived.map((t) => JSON.parse(t)).filter((m) => m.type === 'peer-left'));
  assert.equal(peerLeft.length, 1);
  assert.equal(peerLeft[0].reason, 'removed');
  await row.locator('li.viewer').waitFor({ state: 'detached', timeout: 5000 });
  assert.match(await row.locator('.viewer-summary').textContent(), /^0 viewers/);
  assert.equal((await api(`/sessions/${pin}/viewers`, ADMIN_KEY)).body.viewers.length, 0);

  // A reservation shows as such; another operator ends it while this one confirms: the API's refusal is shown.
  const reservedPin = (await apiSend('POST', '/sessions', ADMIN_KEY, '{"label":"Ticket 7"}')).body.session.pin;
  const reservedRow = rowOf(admin, reservedPin);
  await reservedRow.waitFor({ timeout: 5000 });
  assert.match(await reservedRow.locator('td[data-label="Host"]').textContent(), /Reserved: no host yet.*Ticket 7/);
  await reservedRow.locator('.end-session').click();
  await admin.waitForSelector('#confirm[open]', { timeout: 2000 });
  assert.equal((await apiSend('DELETE', `/sessions/${reservedPin}`, ADMIN_KEY)).status, 204);
  await admin.click('#confirm-ok');
  await admin.waitForSelector('#action-error:not([hidden])', { timeout: 5000 });
  assert.match(await admin.textContent('#action-error'),
    new RegExp(`^Could not end session: No live session has PIN ${reservedPin}\\.SESSION_NOT_FOUND \\(HTTP 404\\)$`));
  await reservedRow.waitFor({ state: 'detached', timeout: 5000 });
  await admin.waitForTimeout(2500);
  assert.equal(await admin.isVisible('#action-error'), true, 'the refusal stays after the next poll');
  admin.problems = admin.problems.filter((p) => !/status of 404/.test(p));

  // End the session: Escape backs out (nothing happens), then confirmed with the mouse.
  await row.locator('.end-session').click();
  await admin.waitForSelector('#confirm[open]', { timeout: 2000 });
  await admin.keyboard.press('Escape');
  await admin.waitForSelector('#confirm', { state: 'hidden', timeout: 2000 });
  assert.equal(await admin.evaluate(() => document.activeElement.classList.contains('end-session')), true,
    'the focus is back on the button');
  assert.equal((await api(`/sessions/${pin}`, ADMIN_KEY)).status, 200, 'Escape ended nothing');
  await row.locator('.end-session').click();
  await admin.fill('#confirm-reason', 'Closing time');
  await admin.click('#confirm-ok');
  await row.waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(await admin.isVisible('#no-sessions'), true);
  const ended = await waitFor(() => hostPage.evaluate(() => window.__wsReceived.map((t) => JSON.parse(t))
    .find((m) => m.type === 'session-ended')), 5000, 'the host told the session ended');
  log('the host was told:', JSON.stringify(ended));
  assert.equal(ended.reason, 'removed');
  assert.equal(ended.message, 'The session was ended through the session API: Closing time');
  // The host page stops sharing and shows the server's words.
  await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.state === 'stopped'), 5000,
    'the host page stopped sharing');
  assert.equal(await hostPage.textContent('#stopped-text'),
    'The session was ended through the session API: Closing time');
  assert.equal((await api(`/sessions/${pin}`, ADMIN_KEY)).status, 404);

  // Still signed in after a reload (the key is in this tab's sessionStorage); signing out forgets it.
  await admin.reload({ waitUntil: 'load' });
  await admin.waitForSelector('#portal:not([hidden])', { timeout: 5000 });
  await admin.click('#sign-out');
  assert.equal(await admin.isVisible('#sign-in'), true);
  assert.equal(await admin.evaluate(() => sessionStorage.getItem('ghostview.adminKey')), null);

  assert.deepEqual(await cspViolations(admin), []);
  assert.deepEqual(admin.problems, []);
  await viewer.close();
  await hostPage.close();
  await admin.close();
});
