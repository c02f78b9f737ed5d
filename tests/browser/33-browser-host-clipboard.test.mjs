// Scenario 33: the clipboard between the browser host page and browser
// viewer pages on the "assist" channel (web/js/host-clipboard.js,
// clipboard.js, viewer-clipboard.js), gated per viewer by the `clipboard`
// capability the host grants (start setting, join request, row toggle) and
// revokes live. The host page runs in one Chromium and the viewers in
// another, so each side has a clipboard of its own: what a page reads back
// from its clipboard came over the channel. Text and a PNG go both ways;
// a viewer without the capability is refused, told, and counted; what a
// viewer just sent is not pasted back; a tab that may not write its
// clipboard offers "Copy viewer's clipboard". The time from a copy on the
// host page to a viewer page having it is logged (p50/p95 over 10 copies).
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  cspViolations, launchBrowser, log, openPage, requireBrowser, screenshot, startServer, waitFor,
} from './lib/harness.mjs';

requireBrowser();

const REFUSAL = 'The host has not allowed clipboard sharing.';

let server;
let hostBrowser;
let viewerBrowser;

before(async () => {
  server = await startServer();
  hostBrowser = await launchBrowser({ fakeMedia: true });
  viewerBrowser = await launchBrowser();
  for (const b of [hostBrowser, viewerBrowser]) {
    await b.context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  }
});

after(async () => {
  await hostBrowser?.close();
  await viewerBrowser?.close();
  await server?.stop();
});

/** A viewer page joins with `name`; the host accepts it with `clipboard` or not. */
async function join(hostPage, pin, name, { clipboard, ticked }) {
  const viewer = await openPage(viewerBrowser, `${server.url}/?pin=${pin}`);
  await viewer.fill('#name', name);
  await viewer.click('#connect');
  const request = hostPage.locator('#requests li.request', { hasText: name });
  await request.waitFor({ state: 'visible', timeout: 5000 });
  assert.equal(await request.locator('.allow-clipboard').isChecked(), ticked, 'the start setting ticks Clipboard');
  await request.locator('.allow-clipboard').setChecked(clipboard);
  await request.locator('.accept').click();
  await waitFor(() => viewer.evaluate(() => window.ghostviewViewer.assistState === 'open'), 10000,
    `${name}'s assist channel open`);
  return viewer;
}

const hostClip = (page) => page.evaluate(() => window.ghostviewHost.clipboard);
const viewerClip = (page) => page.evaluate(() => window.ghostviewViewer.clipboard);
const viewerCaps = (page) => page.evaluate(() => window.ghostviewViewer.capabilities);
const hostViewer = (page, name) => page.evaluate((n) => window.ghostviewHost.viewers.find((v) => v.name === n), name);

/** A PNG of w x h made in `page` (a red left half, a blue right half), as base64. */
function makePng(page, w, h) {
  return page.evaluate(async ([width, height]) => {
    const canvas = new OffscreenCanvas(width, height);
    const g = canvas.getContext('2d');
    g.fillStyle = '#ff0000';
    g.fillRect(0, 0, width / 2, height);
    g.fillStyle = '#0000ff';
    g.fillRect(width / 2, 0, width / 2, height);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
  }, [w, h]);
}

/** Puts the PNG `base64` on `page`'s clipboard (as a person copying an image). */
function copyPng(page, base64) {
  return page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    await navigator.clipboard.write([new ClipboardItem({ 'image/png': new Blob([bytes], { type: 'image/png' }) })]);
  }, base64);
}

/** Decodes the PNG `base64` in `page`: {width, height, left: [r,g,b,a], right: [r,g,b,a]}. */
function decodePng(page, base64) {
  return page.evaluate(async (b64) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const bitmap = await createImageBitmap(new Blob([bytes], { type: 'image/png' }));
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const g = canvas.getContext('2d');
    g.drawImage(bitmap, 0, 0);
    const px = (x) => Array.from(g.getImageData(x, bitmap.height >> 1, 1, 1).data);
    return { width: bitmap.width, height: bitmap.height, left: px(2), right: px(bitmap.width - 3) };
  }, base64);
}

/** The image on `page`'s clipboard, as base64 ('' when there is none). */
function clipboardPng(page) {
  return page.evaluate(async () => {
    for (const item of await navigator.clipboard.read()) {
      if (!item.types.includes('image/png')) continue;
      const bytes = new Uint8Array(await (await item.getType('image/png')).arrayBuffer());
      return btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));
    }
    return '';
  });
}

/** Ctrl+V in `page` with `selector` focused (a heading: the page itself), `text` on the clipboard first. */
async function paste(page, selector, text) {
  if (text !== undefined) await page.evaluate((t) => navigator.clipboard.writeText(t), text);
  await page.click(selector);
  await page.keyboard.press('Control+V');
}

const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

test('clipboard: the browser host page and its viewers, both ways, granted per viewer', async () => {
  const hostPage = await openPage(hostBrowser, `${server.url}/host.html`);
  assert.equal(await hostPage.isChecked('#new-clipboard'), false, 'view only by default');
  await hostPage.check('#new-clipboard');
  await hostPage.click('#start-sharing');
  const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN');
  assert.equal(await hostPage.isDisabled('#clipboard-send'), true, 'nobody to send to yet');
  assert.match(await hostPage.textContent('#clipboard-hint'), /No viewer may use the clipboard yet/);

  const alice = await join(hostPage, pin, 'Alice', { clipboard: true, ticked: true });
  const bob = await join(hostPage, pin, 'Bob', { clipboard: false, ticked: true });
  assert.deepEqual(await viewerCaps(alice), ['view', 'clipboard']);
  assert.deepEqual(await viewerCaps(bob), ['view']);
  assert.equal(await hostPage.isEnabled('#clipboard-send'), true);
  assert.equal(await hostPage.isHidden('#clipboard-hint'), true);
  await alice.bringToFront();
  assert.equal(await alice.isVisible('#clipboard-send'), true);
  assert.equal(await bob.isHidden('#clipboard-send'), true, 'Bob has no Send clipboard button');

  // ---- the host page -> viewers: text ----
  await hostPage.evaluate(() => navigator.clipboard.writeText('from the host: grüße ✓'));
  await hostPage.click('#clipboard-send');
  await waitFor(async () => (await viewerClip(alice)).received === 1, 5000, 'the host\'s text at Alice');
  assert.equal((await viewerClip(alice)).last.text, 'from the host: grüße ✓');
  await waitFor(async () => (await alice.evaluate(() => navigator.clipboard.readText())) === 'from the host: grüße ✓',
    5000, 'the host\'s text on Alice\'s clipboard');
  assert.match(await hostPage.textContent('#clipboard-status'), /went to 1 viewer/);

  // ---- the host page -> viewers: a PNG ----
  const png = await makePng(hostPage, 64, 48);
  await copyPng(hostPage, png);
  await hostPage.click('#clipboard-send');
  await waitFor(async () => (await viewerClip(alice)).received === 2, 5000, 'the host\'s image at Alice');
  assert.equal((await viewerClip(alice)).last.mime, 'image/png');
  const sentPng = (await hostClip(hostPage)).lastSent;
  assert.equal(sentPng.mime, 'image/png');
  assert.equal(await alice.evaluate(() => window.ghostviewViewer.clipboardBase64), sentPng.base64,
    'Alice has the bytes the host page sent');
  const onAlice = await waitFor(() => clipboardPng(alice), 5000, 'the image on Alice\'s clipboard');
  assert.deepEqual(await decodePng(alice, onAlice),
    { width: 64, height: 48, left: [255, 0, 0, 255], right: [0, 0, 255, 255] }, 'the same picture');
  assert.equal((await viewerClip(bob)).received, 0, 'Bob got nothing');

  // ---- copy -> available, host page -> viewer page, 10 copies ----
  const times = [];
  for (let i = 0; i < 10; i++) {
    const text = `timed copy ${i} ${'·'.repeat(i * 50)}`;
    const copiedAt = await hostPage.evaluate(async (t) => {
      const at = performance.timeOrigin + performance.now();
      await navigator.clipboard.writeText(t);
      return at;
    }, text);
    await hostPage.click('#clipboard-send');
    const last = await waitFor(async () => {
      const c = await viewerClip(alice);
      return c.last && c.last.text === text && c.last;
    }, 5000, `timed copy ${i}`);
    times.push(last.at - copiedAt);
  }
  const sorted = [...times].sort((a, b) => a - b);
  log(`host page copy -> viewer page has it: p50 ${percentile(sorted, 50).toFixed(0)} ms, `
    + `p95 ${percentile(sorted, 95).toFixed(0)} ms (10 copies; the copy, the "Send clipboard" click, the channel)`);

  // ---- a viewer -> the host page's clipboard: text ----
  await hostPage.bringToFront();
  assert.ok(await alice.evaluate(() => window.ghostviewViewer.sendClipboardText('from Alice: ☃ and tabs\t')));
  await waitFor(async () => (await hostClip(hostPage)).received === 1, 5000, 'Alice\'s text at the host page');
  await waitFor(async () => (await hostClip(hostPage)).lastReceived.written, 5000, 'written to the clipboard');
  assert.equal(await hostPage.evaluate(() => navigator.clipboard.readText()), 'from Alice: ☃ and tabs\t');
  assert.match(await hostPage.textContent('#clipboard-status'), /Alice copied text, \d+ bytes: it is on your clipboard/);

  // ---- a viewer -> the host page's clipboard: a PNG, from "Send clipboard" on the viewer page ----
  const alicePng = await makePng(alice, 40, 30);
  await alice.bringToFront();
  await copyPng(alice, alicePng);
  await alice.click('#clipboard-send');
  await waitFor(async () => (await hostClip(hostPage)).received === 2, 5000, 'Alice\'s image at the host page');
  assert.equal((await hostClip(hostPage)).lastReceived.mime, 'image/png');
  await waitFor(async () => (await hostClip(hostPage)).lastReceived.written, 5000, 'the image written');
  const onHost = await clipboardPng(hostPage);
  assert.deepEqual(await decodePng(hostPage, onHost),
    { width: 40, height: 30, left: [255, 0, 0, 255], right: [0, 0, 255, 255] }, 'Alice\'s picture on the host');

  // ---- a viewer without `clipboard`: refused, told, counted; nothing reaches the host's clipboard ----
  const beforeRefusal = await hostClip(hostPage);
  assert.equal(await bob.evaluate(() => window.ghostviewViewer.sendClipboardText('from Bob', { evenIfNotAllowed: true })),
    true, 'a page that sends anyway');
  await waitFor(async () => (await viewerClip(bob)).refused === 1, 5000, 'the refusal at Bob');
  await bob.bringToFront();
  assert.equal(await bob.textContent('#toast'), REFUSAL);
  assert.equal(await bob.isVisible('#toast'), true, 'Bob sees the refusal');
  await waitFor(async () => (await hostViewer(hostPage, 'Bob')).clipboardRefused === 1, 5000, 'counted at the host');
  const bobRow = hostPage.locator('#viewers li', { hasText: 'Bob' });
  assert.match(await bobRow.textContent(), /1 clipboard copy refused/);
  const afterRefusal = await hostClip(hostPage);
  assert.equal(afterRefusal.received, beforeRefusal.received, 'nothing received from Bob');
  assert.equal(afterRefusal.refused, 1);
  assert.equal(await clipboardPng(hostPage), onHost, 'the host\'s clipboard is still Alice\'s image');
  await screenshot(hostPage, 'host-clipboard-refused');

  // ---- the row's toggle grants live: Bob gets the button and sends ----
  await bobRow.locator('.allow-clipboard').check();
  await waitFor(async () => (await viewerCaps(bob)).includes('clipboard'), 5000, 'clipboard granted to Bob');
  await bob.waitForSelector('#clipboard-send:not([hidden])', { timeout: 5000 });
  assert.ok(await bob.evaluate(() => window.ghostviewViewer.sendClipboardText('from Bob, allowed now')));
  await waitFor(async () => (await hostClip(hostPage)).lastReceived.text === 'from Bob, allowed now', 5000,
    'Bob\'s text at the host page');
  await waitFor(async () => (await hostPage.evaluate(() => navigator.clipboard.readText())) === 'from Bob, allowed now',
    5000, 'Bob\'s text on the host\'s clipboard');

  // ---- what a viewer just sent is not sent back ----
  const aliceBefore = (await viewerClip(alice)).received;
  const bobBefore = (await viewerClip(bob)).received;
  await paste(hostPage, '.people h2'); // the clipboard holds Bob's text
  await waitFor(async () => (await hostClip(hostPage)).suppressed === 1, 5000, 'the paste suppressed');
  assert.match(await hostPage.textContent('#clipboard-status'), /not sent back/);
  // "Send clipboard" is asked for: the other viewers get it, its sender does not.
  await hostPage.click('#clipboard-send');
  await waitFor(async () => (await viewerClip(alice)).received === aliceBefore + 1, 5000, 'Alice gets Bob\'s text');
  assert.equal((await viewerClip(alice)).last.text, 'from Bob, allowed now');
  // A paste into a text field is typing; a paste into the page shares it.
  await hostPage.click('#chat-button');
  await paste(hostPage, '#chat-input', 'typed into chat');
  await waitFor(async () => (await hostPage.inputValue('#chat-input')) === 'typed into chat', 5000, 'the paste typed');
  await paste(hostPage, '.people h2', 'pasted into the page');
  await waitFor(async () => (await viewerClip(bob)).received === bobBefore + 1, 5000, 'the paste at Bob');
  assert.equal((await viewerClip(bob)).last.text, 'pasted into the page', 'Bob never got his own text back');
  await waitFor(async () => (await viewerClip(alice)).last.text === 'pasted into the page', 5000, 'the paste at Alice');
  assert.equal((await hostClip(hostPage)).suppressed, 1);

  // ---- the toggle revokes live: Alice gets nothing more, and what she sends is refused ----
  const aliceRow = hostPage.locator('#viewers li', { hasText: 'Alice' });
  await aliceRow.locator('.allow-clipboard').uncheck();
  await waitFor(async () => !(await viewerCaps(alice)).includes('clipboard'), 5000, 'clipboard revoked for Alice');
  await alice.waitForSelector('#clipboard-send', { state: 'hidden', timeout: 5000 });
  const aliceReceived = (await viewerClip(alice)).received;
  await hostPage.evaluate(() => navigator.clipboard.writeText('only for Bob'));
  await hostPage.click('#clipboard-send');
  await waitFor(async () => (await viewerClip(bob)).last.text === 'only for Bob', 5000, 'Bob still gets it');
  assert.equal((await viewerClip(alice)).received, aliceReceived, 'Alice got nothing after the revoke');
  await alice.evaluate(() => window.ghostviewViewer.sendClipboardText('after the revoke', { evenIfNotAllowed: true }));
  await waitFor(async () => (await viewerClip(alice)).refused === 1, 5000, 'the refusal at Alice');
  assert.equal((await hostViewer(hostPage, 'Alice')).clipboardRefused, 1);
  assert.equal(await hostPage.evaluate(() => navigator.clipboard.readText()), 'only for Bob');

  // ---- over 10 MiB is not sent, and the page says so ----
  const sentBefore = (await hostClip(hostPage)).sent;
  await hostPage.evaluate(() => navigator.clipboard.writeText('x'.repeat(10 * 1024 * 1024 + 1)));
  await hostPage.click('#clipboard-send');
  await waitFor(async () => /more than 10 MiB/.test(await hostPage.textContent('#clipboard-status')), 5000,
    'the size refusal');
  assert.equal((await hostClip(hostPage)).sent, sentBefore);

  // ---- the host's tab may not write its clipboard: the button does it on its click ----
  // Another tab in front, and the host page's focus no longer faked (Playwright fakes
  // focus for every page): "Document is not focused", as a tab in the background.
  const other = await hostBrowser.context.newPage();
  await other.goto(`${server.url}/host.html`);
  await other.bringToFront();
  const cdp = await hostBrowser.context.newCDPSession(hostPage);
  await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: false });
  assert.equal(await hostPage.evaluate(() => document.hasFocus()), false);
  assert.ok(await bob.evaluate(() => window.ghostviewViewer.sendClipboardText('while the host looks elsewhere')));
  await waitFor(async () => (await hostClip(hostPage)).lastReceived.text === 'while the host looks elsewhere', 5000,
    'Bob\'s text at the host page in the background');
  await waitFor(async () => (await hostClip(hostPage)).pending, 5000, 'the content waits for the button');
  assert.equal((await hostClip(hostPage)).lastReceived.written, false);
  assert.match(await hostPage.textContent('#clipboard-status'), /Click "Copy viewer's clipboard"/);
  await other.close();
  await cdp.send('Emulation.setFocusEmulationEnabled', { enabled: true });
  await hostPage.bringToFront();
  assert.equal(await hostPage.isVisible('#clipboard-take'), true);
  await screenshot(hostPage, 'host-clipboard-take');
  await hostPage.click('#clipboard-take');
  await waitFor(async () => (await hostPage.evaluate(() => navigator.clipboard.readText())) === 'while the host looks elsewhere',
    5000, 'written on the click');
  assert.equal(await hostPage.isHidden('#clipboard-take'), true);
  assert.equal((await hostClip(hostPage)).lastReceived.written, true);

  assert.equal(await hostPage.evaluate(() => window.ghostviewHost.assistDropped), 0);

  // The next visit starts with the same choice for new viewers.
  const again = await openPage(hostBrowser, `${server.url}/host.html`);
  assert.equal(await again.isChecked('#new-clipboard'), true);
  assert.equal(await again.isChecked('#new-chat'), false);
  for (const page of [hostPage, alice, bob, again]) {
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(page.problems, []);
  }
});
