// Fault (issue 16): the host killed. Two viewer pages in Chromium watch a
// native host (gst-launch-1.0 ... gvwebrtcsink); the host process gets
// SIGKILL. Within 5 s each page says the host left and offers to rejoin;
// Rejoin goes back to the PIN entry with the same PIN filled in, and
// connecting with it says plainly that no session has it (a killed host
// cannot come back with its PIN; one that lost its connection does, see
// fault-server-restart).
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  framesDecoded, launchBrowser, log, openPage, requireBrowser, requireGstElements, screenshot,
  startNativeHost, startServer, tail, waitFor,
} from './lib/harness.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'videotestsrc');

const HOST_LEFT_LIMIT_MS = 5000;

let server;
let host;
let browser;

before(async () => {
  server = await startServer();
  host = await startNativeHost(
    'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! ' +
      `gvwebrtcsink signaller::server=${server.ws} signaller::max-viewers=2 ice-loopback=true`,
  );
  log('native host PIN', host.pin);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await host?.stop();
  await server?.stop();
});

test('the host killed: every viewer page says the host left within 5 s and offers to rejoin', async () => {
  const pages = [];
  for (const name of ['first', 'second']) {
    const page = await openPage(browser, `${server.url}/`);
    await page.fill('#pin', host.pin);
    await page.fill('#name', name);
    await page.press('#pin', 'Enter');
    pages.push(page);
  }
  for (const page of pages) {
    try {
      await waitFor(async () => (await framesDecoded(page)) > 0, 10000, 'framesDecoded > 0');
    } catch (e) {
      throw new Error(`${e.message}\nhost output:\n${tail(host.output)}`);
    }
  }

  const killed = Date.now();
  host.child.kill('SIGKILL');
  await Promise.all(pages.map((page) => waitFor(
    () => page.evaluate(() => window.ghostviewViewer.state === 'ended'), HOST_LEFT_LIMIT_MS, 'the page says the session ended',
  )));
  const took = Date.now() - killed;
  log(`both pages said the host left ${took} ms after SIGKILL`);
  assert.ok(took < HOST_LEFT_LIMIT_MS);

  for (const page of pages) {
    assert.equal(await page.textContent('#ended-title'), 'Session ended');
    assert.match(await page.textContent('#ended-text'), /The host disconnected\. If the host comes back with the same PIN, you can join again\./);
    assert.equal(await page.evaluate(() => window.ghostviewViewer.endReason), 'host-disconnected');
    assert.ok(await page.locator('#rejoin').isVisible(), 'a Rejoin button');
    assert.equal((await page.textContent('#rejoin')).trim(), 'Rejoin');
    assert.ok(await page.locator('#stage').isHidden(), 'no frozen picture left on screen');
  }
  await screenshot(pages[0], 'viewer-host-killed');

  // Rejoin: back to the PIN entry, the same PIN ready to send.
  const [first, second] = pages;
  await first.click('#rejoin');
  assert.ok(await first.locator('#join').isVisible(), 'the PIN entry is back');
  assert.equal(await first.inputValue('#pin'), host.pin);
  assert.equal(await first.evaluate(() => window.ghostviewViewer.state), 'idle');
  // The killed host's session is gone: joining says so, nothing hangs.
  await first.click('#connect');
  await first.waitForSelector('#join-error:not([hidden])', { timeout: 5000 });
  assert.match(await first.textContent('#join-error'), /No session has this PIN/);
  await screenshot(first, 'viewer-host-killed-rejoin');

  await second.click('#rejoin');
  assert.equal(await second.inputValue('#pin'), host.pin);
  for (const page of pages) assert.deepEqual(page.problems, []);
});
