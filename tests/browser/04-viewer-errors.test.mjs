// Scenario 4: errors a person would hit. A wrong PIN and an expired PIN show
// their messages; a declined join says so; closing the host's tab shows
// "Session ended" on the viewer; a session begun during a flood of wrong PINs
// has a 9-digit PIN, shown by the host and typed by the viewer.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  framesDecoded, launchBrowser, log, openPage, requireBrowser, screenshot, startServer, waitFor,
} from './lib/harness.mjs';

requireBrowser();

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser({ fakeMedia: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function join(viewer, pin) {
  await viewer.fill('#pin', '');
  await viewer.type('#pin', pin);
  await viewer.press('#pin', 'Enter');
}

async function joinError(viewer) {
  await viewer.waitForSelector('#join-error:not([hidden])', { timeout: 5000 });
  return { code: await viewer.getAttribute('#join', 'data-error'), text: await viewer.textContent('#join-error') };
}

/** Registers a session from a raw WebSocket in `page` (same origin); resolves its PIN. */
function registerRaw(page, fields) {
  return page.evaluate((f) => new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${location.host}/ws`);
    window.__rawHost = ws;
    ws.onopen = () => ws.send(JSON.stringify({ type: 'register', version: 1, ...f }));
    ws.onmessage = (e) => {
      const m = JSON.parse(e.data);
      if (m.type === 'registered') resolve(m.pin);
      else if (m.type === 'error') reject(new Error(m.code));
    };
    ws.onerror = () => reject(new Error('websocket error'));
  }), fields);
}

test('a wrong PIN and an expired PIN show their messages', async () => {
  const viewer = await openPage(browser, `${server.url}/`);

  // Not 6 to 9 digits: said at once, nothing sent.
  await join(viewer, '12a34');
  assert.equal(await viewer.inputValue('#pin'), '1234', 'only digits are kept');
  await viewer.press('#pin', 'Enter');
  assert.match(await viewer.textContent('#join-error'), /6 digits, or 9/);
  await join(viewer, '1234567890');
  assert.equal(await viewer.inputValue('#pin'), '123456789', 'at most 9 digits are kept');

  // Paste keeps the digits of "123 456".
  await viewer.fill('#pin', '');
  await viewer.evaluate(() => {
    const pin = document.getElementById('pin');
    pin.focus();
    document.execCommand('insertText', false, '123 456');
  });
  assert.equal(await viewer.inputValue('#pin'), '123456');

  // Wrong PIN: no session has it.
  await join(viewer, '000000');
  let err = await joinError(viewer);
  assert.equal(err.code, 'PIN_INVALID');
  assert.match(err.text, /No session has this PIN/);
  assert.equal(await viewer.evaluate(() => window.ghostviewViewer.state), 'idle');
  await screenshot(viewer, 'viewer-error-wrong-pin');

  // Expired PIN: a session registered with a 1-second PIN lifetime.
  const helper = await openPage(browser, `${server.url}/host.html`);
  const pin = await registerRaw(helper, { max_viewers: 1, pin_ttl: 1 });
  log('short-lived PIN', pin);
  await viewer.waitForTimeout(2100);
  await join(viewer, pin);
  err = await joinError(viewer);
  assert.equal(err.code, 'PIN_EXPIRED');
  assert.match(err.text, /This PIN has expired/);
  await screenshot(viewer, 'viewer-error-expired-pin');
  await helper.close();
  assert.deepEqual(viewer.problems, []);
  await viewer.close();
});

test('a declined join, then closing the host tab ends the session for the viewer', async () => {
  const hostPage = await openPage(browser, `${server.url}/host.html`);
  await hostPage.click('#start-sharing');
  const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'PIN');

  // Declined: the person says no.
  const viewer = await openPage(browser, `${server.url}/`);
  await join(viewer, pin);
  await hostPage.locator('#requests .decline').click({ timeout: 5000 });
  const err = await joinError(viewer);
  assert.equal(err.code, 'DECLINED');
  assert.match(err.text, /declined/);
  await screenshot(viewer, 'viewer-error-declined');

  // Accepted this time, watching...
  await join(viewer, pin);
  await viewer.waitForSelector('text=Waiting for the host to accept', { timeout: 5000 });
  await screenshot(viewer, 'viewer-waiting');
  await hostPage.locator('#requests .accept').click({ timeout: 5000 });
  await waitFor(async () => (await framesDecoded(viewer)) > 0, 5000, 'frames decoded');

  // ...until the host's tab is closed.
  await hostPage.close();
  await waitFor(() => viewer.evaluate(() => window.ghostviewViewer.state === 'ended'), 5000, 'session ended on the viewer');
  assert.equal(await viewer.textContent('#ended-title'), 'Session ended');
  assert.match(await viewer.textContent('#ended-text'), /The host (ended the session|disconnected)/);
  assert.equal(await viewer.textContent('#status'), 'Session ended');
  await screenshot(viewer, 'viewer-host-tab-closed');
  assert.deepEqual(viewer.problems, []);
});

test('during a flood of wrong PINs a session gets 9 digits, and a viewer types them and joins', async () => {
  // Flood mode after any wrong PIN (--flood-networks 0): the page's own
  // wrong PIN is the flood, so no second address is needed.
  const floodServer = await startServer(['--flood-networks', '0']);
  try {
    const viewer = await openPage(browser, `${floodServer.url}/`);
    await join(viewer, '000000');
    assert.equal((await joinError(viewer)).code, 'PIN_INVALID');

    const hostPage = await openPage(browser, `${floodServer.url}/host.html`);
    await hostPage.click('#start-sharing');
    const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'PIN');
    log('PIN during the flood', pin);
    assert.match(pin, /^\d{9}$/);
    assert.equal(await hostPage.textContent('#pin'), `${pin.slice(0, 3)} ${pin.slice(3, 6)} ${pin.slice(6)}`);
    const link = await hostPage.inputValue('#viewer-url');
    assert.ok(link.endsWith(`/?pin=${pin}`), link);
    await screenshot(hostPage, 'browser-host-nine-digit-pin');

    // The host's link fills in all nine digits ...
    const linked = await openPage(browser, link);
    assert.equal(await linked.inputValue('#pin'), pin);
    await linked.close();

    // ... and a person types them, and is in on the first try.
    await join(viewer, pin);
    await viewer.waitForSelector('text=Waiting for the host to accept', { timeout: 5000 });
    await hostPage.locator('#requests .accept').click({ timeout: 5000 });
    await waitFor(async () => (await framesDecoded(viewer)) > 0, 5000, 'frames decoded');
    await screenshot(viewer, 'viewer-joined-nine-digit-pin');
    assert.deepEqual(viewer.problems, []);
    assert.deepEqual(hostPage.problems, []);
    await viewer.close();
    await hostPage.close();
  } finally {
    await floodServer.stop();
  }
});
