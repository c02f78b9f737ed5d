// Scenario 6: "New PIN" on the browser host. With a short PIN lifetime
// (--pin-ttl), the PIN expires and the page says so in words; "New PIN" is
// disabled while it registers, brings a different 6-digit PIN for the same
// capture, a viewer joins with it and gets frames, and a viewer admitted with
// the old PIN keeps watching throughout; after Stop sharing, "Share again
// with a new PIN" asks for a screen again. When the server goes away, the page
// keeps the capture and reconnects by itself; a server restarted without its
// session key cannot keep the PIN, so the page shows a new one and says why
// (14-browser-host-resume: with the key, the PIN is kept); a replaced PIN
// that has not expired lets nobody in; a PIN whose uses are all spent says so.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  framesDecoded, launchBrowser, log, openPage, requireBrowser, screenshot, startServer, waitFor,
} from './lib/harness.mjs';

requireBrowser();

// Short enough to wait for, long enough for a viewer (whose page is already
// open) to type a fresh PIN on a loaded 2-core machine.
const PIN_TTL_S = 8;
let server;
let browser;

before(async () => {
  server = await startServer(['--pin-ttl', String(PIN_TTL_S)]);
  browser = await launchBrowser({ fakeMedia: true });
  // Counts the WebSockets a page opens: one per registration.
  await browser.context.addInitScript(() => {
    window.__webSocketsOpened = 0;
    const Native = window.WebSocket;
    window.WebSocket = class extends Native {
      constructor(...args) {
        super(...args);
        window.__webSocketsOpened++;
      }
    };
  });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** The id of the capture's video track (the same id: the same capture, no new screen prompt). */
const captureId = (page) => page.evaluate(() => {
  const stream = document.getElementById('preview').srcObject;
  const track = stream && stream.getVideoTracks()[0];
  return track && track.readyState === 'live' ? track.id : '';
});

const hostState = (page) => page.evaluate(() => ({
  state: window.ghostviewHost.state,
  pin: window.ghostviewHost.pin,
  pinProblem: window.ghostviewHost.pinProblem,
  sessions: window.ghostviewHost.sessions,
}));

/** Types `pin` into an open viewer page and waits for the host page's request, which it accepts. */
async function joinAndAccept(hostPage, viewer, pin, name) {
  await viewer.fill('#name', name);
  await viewer.fill('#pin', pin);
  await viewer.press('#pin', 'Enter');
  const request = hostPage.locator('#requests li.request', { hasText: name });
  await request.waitFor({ state: 'visible', timeout: 10000 });
  await request.locator('.accept').click();
  await waitFor(async () => (await framesDecoded(viewer)) > 0, 10000, `frames decoded by ${name}`);
}

test('the PIN expires, "New PIN" gives another, a viewer joins with it; the first viewer stays', async () => {
  const hostPage = await openPage(browser, `${server.url}/host.html`);
  // Viewers' pages are open before the PINs exist, so joining is quick.
  const alice = await openPage(browser, `${server.url}/`);
  const bob = await openPage(browser, `${server.url}/`);
  const late = await openPage(browser, `${server.url}/`);

  await hostPage.bringToFront();
  await hostPage.click('#start-sharing');
  const pin1 = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'the first PIN');
  log('first PIN', pin1);
  assert.match(pin1, /^\d{6}$/);
  assert.match(await hostPage.textContent('#expiry'), /stops working in \d s \(at .+\)/);
  const capture = await captureId(hostPage);
  assert.ok(capture, 'a live capture');

  // Alice joins with the first PIN before it expires; she is admitted.
  await joinAndAccept(hostPage, alice, pin1, 'Alice');
  log('Alice is watching');

  // --- the PIN expires: the page says so, and offers "New PIN" ---
  await waitFor(async () => (await hostState(hostPage)).pinProblem === 'expired', (PIN_TTL_S + 3) * 1000,
    'the host page to show the PIN expired');
  const expiry = await hostPage.textContent('#expiry');
  log('expired:', expiry);
  assert.match(expiry, /This PIN expired at .+: nobody new can join with it\. Viewers already watching stay\./);
  assert.match(expiry, /New PIN/);
  assert.match(await hostPage.textContent('#status'), /Sharing — 1 viewer · PIN expired/);
  assert.ok(await hostPage.locator('#pin').evaluate((el) => el.classList.contains('expired')));
  const newPin = hostPage.getByRole('button', { name: 'New PIN' });
  assert.ok(await newPin.isVisible());
  assert.ok(await newPin.isEnabled());
  await screenshot(hostPage, 'host-pin-expired');

  // The server agrees: the old PIN no longer lets anyone in.
  await late.fill('#pin', pin1);
  await late.press('#pin', 'Enter');
  await late.waitForSelector('#join-error:not([hidden])', { timeout: 5000 });
  assert.match(await late.textContent('#join-error'), /This PIN has expired/);

  // --- New PIN, from the keyboard; disabled (and busy) while registering ---
  await hostPage.bringToFront();
  const clicked = await hostPage.evaluate(() => {
    const button = document.getElementById('new-pin');
    const before = window.__webSocketsOpened;
    button.focus();
    button.click();
    button.click(); // a second click while registering does nothing
    return {
      disabled: button.disabled, busy: button.getAttribute('aria-busy'), text: button.textContent,
      registrations: window.__webSocketsOpened - before,
    };
  });
  assert.deepEqual(clicked, { disabled: true, busy: 'true', text: 'Getting a new PIN…', registrations: 1 });

  const pin2 = await waitFor(async () => {
    const s = await hostState(hostPage);
    return s.pin !== pin1 && s.pinProblem === '' ? s.pin : '';
  }, 10000, 'a new PIN');
  log('new PIN', pin2);
  // Bob types it at once: it lives PIN_TTL_S seconds.
  await bob.bringToFront();
  const bobJoined = joinAndAccept(hostPage, bob, pin2, 'Bob');
  bobJoined.catch(() => {}); // awaited below

  assert.match(pin2, /^\d{6}$/);
  assert.notEqual(pin2, pin1);
  assert.equal(await hostPage.getAttribute('#pin', 'data-pin'), pin2);
  assert.equal(await hostPage.textContent('#pin'), `${pin2.slice(0, 3)} ${pin2.slice(3)}`);
  assert.equal(await hostPage.inputValue('#viewer-url'), `${server.url}/?pin=${pin2}`);
  assert.equal(await hostPage.evaluate(() => window.__webSocketsOpened), 2, 'one connection per PIN');
  assert.equal(await captureId(hostPage), capture, 'the same capture');
  const button = await hostPage.evaluate(() => {
    const b = document.getElementById('new-pin');
    return { disabled: b.disabled, text: b.textContent, focused: document.activeElement === b };
  });
  assert.deepEqual(button, { disabled: false, text: 'New PIN', focused: true });
  assert.ok(!(await hostPage.locator('#pin').evaluate((el) => el.classList.contains('expired'))));

  await bobJoined;
  log('Bob is watching');
  assert.match(await bob.textContent('#status'), /Live/);

  // Alice, admitted with the first PIN, never stopped watching.
  const aliceFrames = await framesDecoded(alice);
  await waitFor(async () => (await framesDecoded(alice)) > aliceFrames + 5, 5000, 'Alice still receiving frames');
  assert.equal(await alice.evaluate(() => window.ghostviewViewer.state), 'live');
  await hostPage.bringToFront();
  await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.viewers.filter((v) => v.state === 'watching')
    .length === 2), 5000, 'two viewers watching');
  assert.match(await hostPage.textContent('#status'), /Sharing — 2 viewers/);
  assert.deepEqual((await hostState(hostPage)).sessions, [{ pin: pin2, retired: false }, { pin: pin1, retired: true }]);
  await screenshot(hostPage, 'host-new-pin');

  // When Alice leaves, the old session has nobody left and ends.
  await alice.click('#leave');
  await waitFor(async () => (await hostState(hostPage)).sessions.length === 1, 5000, 'the old session ended');
  assert.deepEqual((await hostState(hostPage)).sessions, [{ pin: pin2, retired: false }]);

  // Stop sharing ends the session for Bob.
  await hostPage.click('#stop');
  await waitFor(() => bob.evaluate(() => window.ghostviewViewer.state === 'ended'), 5000, 'Bob sees the end');

  // The capture ended with the session: sharing again asks for a screen again.
  assert.equal(await captureId(hostPage), '');
  assert.equal(await hostPage.evaluate(() => document.activeElement.id), 'restart');
  await hostPage.getByRole('button', { name: 'Share again with a new PIN' }).click();
  const pin3 = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN after sharing again');
  assert.match(pin3, /^\d{6}$/);
  const capture3 = await captureId(hostPage);
  assert.ok(capture3 && capture3 !== capture, 'a new capture');
  await hostPage.click('#stop');

  for (const page of [hostPage, alice, bob, late]) {
    assert.deepEqual(page.problems, [], page.url());
    await page.close();
  }
});

test('the server goes away and comes back; a replaced PIN lets nobody in; a used-up PIN says so', async () => {
  const hostPage = await openPage(browser, `${server.url}/host.html`);
  await hostPage.fill('#max-viewers', '2');
  await hostPage.click('#start-sharing');
  const pin1 = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN');
  const capture = await captureId(hostPage);

  // The server restarts on the same port, with PINs that live a minute.
  const port = new URL(server.url).port;
  await server.stop();
  await waitFor(async () => (await hostState(hostPage)).pinProblem === 'reconnecting', 5000, 'the page to notice');
  assert.equal((await hostState(hostPage)).state, 'sharing');
  assert.match(await hostPage.textContent('#expiry'), /connection to the server was lost\. Reconnecting… Viewers already watching stay; nobody new can join until the server is back\./);
  assert.equal(await hostPage.textContent('#status'), 'Reconnecting to the server…');
  assert.ok(await hostPage.locator('#copy-url').isDisabled(), 'no copying a link that lets nobody in');
  assert.equal(await captureId(hostPage), capture, 'the capture is kept');
  await screenshot(hostPage, 'host-reconnecting');

  // While the server is down, "New PIN" says it cannot reach it, and can be tried again.
  await hostPage.click('#new-pin');
  await hostPage.waitForSelector('#new-pin-error:not([hidden])', { timeout: 10000 });
  assert.match(await hostPage.textContent('#new-pin-error'), /Could not reach the GhostView server/);
  assert.ok(await hostPage.locator('#new-pin').isEnabled());

  // Back without the old server's session key: the page registers again by
  // itself, cannot keep its PIN, and says so with the new one.
  server = await startServer(['--pin-ttl', '60', '--port', port]);
  const pin2 = await waitFor(async () => {
    const s = await hostState(hostPage);
    return s.pinProblem === '' && s.pin !== pin1 ? s.pin : '';
  }, 40000, 'a new PIN after the restart');
  log(`PIN ${pin1} before the restart, ${pin2} after`);
  // The tries while the server was down (ours and the page's own) are refused connections.
  hostPage.problems = hostPage.problems.filter((p) => !/WebSocket connection .* failed/.test(p));
  assert.match(pin2, /^\d{6}$/);
  assert.ok(await hostPage.locator('#copy-url').isEnabled());
  assert.match(await hostPage.textContent('#expiry'), new RegExp(`^The server could not keep PIN ${pin1} \\(The resume token does not verify .*\\), so this is a new PIN\\. This PIN stops working in (59 s|1 min) \\(at .+\\)\\. Anyone who has not joined by then will need a new PIN\\.$`));
  assert.ok(await hostPage.locator('#new-pin-error').isHidden(), 'the earlier error is gone');
  assert.equal(await captureId(hostPage), capture, 'the same capture, not a second screen prompt');

  // Carol joins with it.
  const carol = await openPage(browser, `${server.url}/`);
  await joinAndAccept(hostPage, carol, pin2, 'Carol');

  // A new PIN while the old one is still valid: the old one lets nobody else in
  // (the page declines for the person), while Carol keeps watching.
  await hostPage.click('#new-pin');
  const pin3 = await waitFor(async () => {
    const p = (await hostState(hostPage)).pin;
    return p !== pin2 ? p : '';
  }, 10000, 'a third PIN');
  const dave = await openPage(browser, `${server.url}/`);
  await dave.fill('#name', 'Dave');
  await dave.fill('#pin', pin2);
  await dave.press('#pin', 'Enter');
  await dave.waitForSelector('#join-error:not([hidden])', { timeout: 5000 });
  assert.equal(await dave.getAttribute('#join', 'data-error'), 'DECLINED');
  assert.deepEqual(await hostPage.evaluate(() => window.ghostviewHost.requests), [], 'no request shown for the old PIN');
  assert.equal(await carol.evaluate(() => window.ghostviewViewer.state), 'live');

  // With the new PIN, Dave gets in; Erin too, and then the PIN (2 viewers) is used up.
  await joinAndAccept(hostPage, dave, pin3, 'Dave');
  assert.equal((await hostState(hostPage)).pinProblem, '');
  const erin = await openPage(browser, `${server.url}/`);
  await joinAndAccept(hostPage, erin, pin3, 'Erin');
  await hostPage.bringToFront();
  assert.equal((await hostState(hostPage)).pinProblem, 'used');
  assert.match(await hostPage.textContent('#expiry'), /This PIN has let in 2 viewers, as many as it allows: nobody new can join with it\./);
  assert.match(await hostPage.textContent('#status'), /Sharing — 3 viewers · PIN used up/);
  assert.ok(await hostPage.getByRole('button', { name: 'New PIN' }).isEnabled());
  await screenshot(hostPage, 'host-pin-used-up');

  for (const page of [hostPage, carol, dave, erin]) assert.deepEqual(page.problems, [], page.url());
});
