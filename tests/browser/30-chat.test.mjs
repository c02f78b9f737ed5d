// Scenario 30: chat between the browser host page and two browser viewers
// on the "assist" data channel (web/js/assist.js, chat.js, host-chat.js),
// gated per viewer by the `chat` capability the host grants and revokes.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  cspViolations, launchBrowser, log, openPage, requireBrowser, screenshot, startServer, waitFor,
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

/** The chat history of `page`: [{who, text, time}] and notices as {notice}. */
function history(page) {
  return page.evaluate(() => [...document.querySelectorAll('#chat-panel .chat-history > li')].map((li) => (
    li.classList.contains('chat-notice') ? { notice: li.textContent }
      : {
        who: li.querySelector('.chat-who').textContent,
        text: li.querySelector('.chat-text').textContent,
        time: li.querySelector('time').textContent,
      })));
}

const lines = async (page) => (await history(page)).filter((l) => !l.notice);

/** Waits until `page`'s history has a line with `text` (from `who`); returns it. */
async function waitForLine(page, who, text, what) {
  return waitFor(async () => (await lines(page)).find((l) => l.who === who && l.text === text), 5000, what);
}

/** A viewer page joins with `name`; the host accepts it, allowing chat or not. */
async function join(hostPage, pin, name, { chat }) {
  const viewer = await openPage(browser, `${server.url}/?pin=${pin}`);
  await viewer.fill('#name', name);
  await viewer.click('#connect');
  await viewer.waitForSelector('text=Waiting for the host to accept', { timeout: 5000 });
  const request = hostPage.locator('#requests li.request', { hasText: name });
  await request.waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await request.locator('.allow-chat').isChecked(), false, 'new viewers get view only by default');
  if (chat) await request.locator('.allow-chat').check();
  await request.locator('.accept').click();
  await waitFor(() => viewer.evaluate(() => window.ghostviewViewer.assistState === 'open'), 10000,
    `${name}'s assist channel open`);
  return viewer;
}

test('chat: granted per viewer, relayed by the browser host, shown as text', async () => {
  const hostPage = await openPage(browser, `${server.url}/host.html`);
  assert.equal(await hostPage.isChecked('#new-chat'), false);
  await hostPage.click('#start-sharing');
  const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN');

  const alice = await join(hostPage, pin, 'Alice', { chat: true });
  const bob = await join(hostPage, pin, 'Bob', { chat: false });
  log('both viewers joined');
  assert.deepEqual(await alice.evaluate(() => window.ghostviewViewer.capabilities), ['view', 'chat']);
  assert.deepEqual(await bob.evaluate(() => window.ghostviewViewer.capabilities), ['view']);
  const hostViewers = await hostPage.evaluate(() => window.ghostviewHost.viewers);
  assert.deepEqual(hostViewers.map((v) => [v.name, v.capabilities]), [['Alice', ['view', 'chat']], ['Bob', ['view']]]);

  // Alice may chat: her input is enabled. Bob's is not, and says why.
  await alice.click('#chat-button');
  assert.equal(await alice.isEnabled('#chat-input'), true);
  assert.equal(await alice.isHidden('#chat-panel .chat-note'), true);
  assert.equal(await bob.isVisible('#chat-button'), true, 'Bob sees that the host offers chat');
  assert.equal(await bob.isDisabled('#chat-input'), true);
  assert.equal(await bob.textContent('#chat-panel .chat-note'), 'The host has not allowed chat.');

  // Alice sends a line (Enter sends): the host and Alice show it, Bob does not.
  await alice.fill('#chat-input', 'Hello from Alice');
  assert.equal(await alice.textContent('#chat-count'), '16 / 4000 bytes');
  await alice.press('#chat-input', 'Enter');
  const atHost = await waitForLine(hostPage, 'Alice', 'Hello from Alice', 'Alice\'s line on the host page');
  assert.match(atHost.time, /^\d{2}:\d{2}$/);
  await waitForLine(alice, 'You', 'Hello from Alice', 'Alice\'s own line echoed back');
  assert.equal(await alice.inputValue('#chat-input'), '', 'the input is cleared once sent');
  // The host's panel is closed: its button counts what came in.
  assert.equal(await hostPage.textContent('#chat-button .unread'), '1');

  // Bob tries anyway (a page that thinks it may): the host refuses, Bob is told, the host counts.
  assert.equal(await bob.evaluate(() => window.ghostviewViewer.sendChat('Let me in')), true);
  await waitFor(async () => (await history(bob)).some((l) => l.notice === 'The host has not allowed chat.'),
    5000, 'the refusal shown to Bob');
  await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.viewers.find((v) => v.name === 'Bob').chatRefused === 1),
    5000, 'the refusal counted on the host page');
  const bobRow = hostPage.locator('#viewers li', { hasText: 'Bob' });
  assert.match(await bobRow.textContent(), /1 chat message refused/);
  assert.equal(await bob.isVisible('#chat-button .unread'), true, 'Bob\'s closed panel shows an unread count');
  await screenshot(hostPage, 'chat-host-refused-count');

  // The host allows chat for Bob: he hears of it and can send; everyone sees his line.
  await bobRow.locator('.allow-chat').check();
  await waitFor(() => bob.evaluate(() => window.ghostviewViewer.capabilities.includes('chat')), 5000, 'chat granted to Bob');
  assert.deepEqual(await bob.evaluate(() => window.ghostviewViewer.capabilities), ['view', 'chat']);
  await bob.click('#chat-button');
  assert.equal(await bob.isVisible('#chat-button .unread'), false, 'opening the panel clears the count');
  assert.equal(await bob.isEnabled('#chat-input'), true);
  assert.ok((await history(bob)).some((l) => l.notice === 'The host allowed you to chat.'));
  // Shift+Enter is a new line, Enter sends.
  await bob.fill('#chat-input', 'Hi all');
  await bob.press('#chat-input', 'Shift+Enter');
  await bob.type('#chat-input', 'from Bob');
  await bob.press('#chat-input', 'Enter');
  await waitForLine(bob, 'You', 'Hi all\nfrom Bob', 'Bob\'s line echoed back');
  await waitForLine(alice, 'Bob', 'Hi all\nfrom Bob', 'Bob\'s line at Alice');
  await waitForLine(hostPage, 'Bob', 'Hi all\nfrom Bob', 'Bob\'s line on the host page');

  // The host's own line reaches both.
  await hostPage.click('#chat-button');
  await hostPage.fill('#chat-input', 'Host here: welcome');
  await hostPage.click('#chat-panel .chat-send');
  await waitForLine(hostPage, 'You', 'Host here: welcome', 'the host\'s line in its own panel');
  await waitForLine(alice, 'Host', 'Host here: welcome', 'the host\'s line at Alice');
  await waitForLine(bob, 'Host', 'Host here: welcome', 'the host\'s line at Bob');

  // One ordered history: Bob never got Alice's line (sent before he had chat).
  assert.deepEqual((await lines(bob)).map((l) => [l.who, l.text]),
    [['You', 'Hi all\nfrom Bob'], ['Host', 'Host here: welcome']]);
  assert.deepEqual((await lines(alice)).map((l) => [l.who, l.text]),
    [['You', 'Hello from Alice'], ['Bob', 'Hi all\nfrom Bob'], ['Host', 'Host here: welcome']]);
  assert.deepEqual((await lines(hostPage)).map((l) => [l.who, l.text]),
    [['Alice', 'Hello from Alice'], ['Bob', 'Hi all\nfrom Bob'], ['You', 'Host here: welcome']]);

  // A hostile line is text, everywhere: no element made from it, no script run.
  const hostile = '<img src=x onerror="window.__pwned=1"><b>bold</b>';
  await alice.fill('#chat-input', hostile);
  await alice.press('#chat-input', 'Enter');
  for (const [page, who] of [[alice, 'You'], [bob, 'Alice'], [hostPage, 'Alice']]) {
    await waitForLine(page, who, hostile, 'the hostile line');
    assert.deepEqual(await page.evaluate(() => ({
      img: document.querySelectorAll('#chat-panel img, #chat-panel b').length,
      pwned: window.__pwned === undefined ? 'no' : 'yes',
    })), { img: 0, pwned: 'no' });
  }

  // The limit is 4000 bytes: more is not sent, and the count says so.
  await alice.fill('#chat-input', 'é'.repeat(2001));
  assert.equal(await alice.textContent('#chat-count'), '4002 / 4000 bytes: too long');
  assert.equal(await alice.isDisabled('#chat-panel .chat-send'), true);
  await alice.press('#chat-input', 'Enter');
  assert.equal(await alice.inputValue('#chat-input'), 'é'.repeat(2001), 'a line over the limit stays in the input');

  // The host takes chat back from Bob: his input is disabled again.
  await bobRow.locator('.allow-chat').uncheck();
  await waitFor(() => bob.evaluate(() => !window.ghostviewViewer.capabilities.includes('chat')), 5000, 'chat revoked');
  assert.equal(await bob.isDisabled('#chat-input'), true);
  assert.ok((await history(bob)).some((l) => l.notice === 'The host turned chat off for you.'));
  await hostPage.fill('#chat-input', 'Only Alice reads this');
  await hostPage.press('#chat-input', 'Enter');
  await waitForLine(alice, 'Host', 'Only Alice reads this', 'the host\'s line at Alice');
  await bob.waitForTimeout(300);
  assert.ok(!(await lines(bob)).some((l) => l.text === 'Only Alice reads this'), 'Bob without chat gets no line');

  await screenshot(alice, 'chat-viewer-alice');
  await screenshot(bob, 'chat-viewer-bob');
  await screenshot(hostPage, 'chat-host');
  assert.equal(await hostPage.evaluate(() => window.ghostviewHost.assistDropped), 0);
  for (const page of [hostPage, alice, bob]) {
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(page.problems, []);
  }
});

test('chat: what new viewers get is the host\'s setting, remembered', async () => {
  const hostPage = await openPage(browser, `${server.url}/host.html`);
  await hostPage.check('#new-chat');
  await hostPage.click('#start-sharing');
  const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN');
  const viewer = await openPage(browser, `${server.url}/?pin=${pin}`);
  await viewer.fill('#name', 'Carol');
  await viewer.click('#connect');
  const request = hostPage.locator('#requests li.request', { hasText: 'Carol' });
  await request.waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await request.locator('.allow-chat').isChecked(), true, 'the request offers chat ticked');
  assert.equal(await request.locator('.allow-control').isChecked(), false);
  await request.locator('.accept').click();
  await waitFor(() => viewer.evaluate(() => window.ghostviewViewer.assistState === 'open'), 10000, 'assist channel open');
  assert.deepEqual(await viewer.evaluate(() => window.ghostviewViewer.capabilities), ['view', 'chat']);
  await viewer.click('#chat-button');
  assert.equal(await viewer.isEnabled('#chat-input'), true);
  await hostPage.click('#stop');
  await waitFor(() => viewer.evaluate(() => window.ghostviewViewer.state === 'ended'), 5000, 'the session ended');
  assert.equal(await viewer.isVisible('#chat-button'), false, 'no chat once the session ended');

  // The next visit starts with the same choice.
  const again = await openPage(browser, `${server.url}/host.html`);
  assert.equal(await again.isChecked('#new-chat'), true);
  assert.equal(await again.isChecked('#new-control'), false);
  for (const page of [hostPage, viewer, again]) {
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(page.problems, []);
  }
});
