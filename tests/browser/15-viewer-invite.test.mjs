// Scenario 15: invite links (issue 13). A native host (and the browser host
// page) asks for a link
// (gvpinsignaller's `invite`); a person opens it in Chromium, sees no PIN
// field, presses Connect and watches — with control when the link stands
// for it, view only when it does not (even on a host whose PIN viewers get
// control). The same single-use link opened again, a link with one
// character changed, and a link cut short each show their own message.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  framesDecoded, launchBrowser, log, openPage, requireBrowser, requireGstElements, screenshot,
  startNativeHost, startServer, tail, waitFor,
} from './lib/harness.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'videotestsrc');

let server;
let browser;
const hosts = [];

before(async () => {
  server = await startServer();
  browser = await launchBrowser({ fakeMedia: true });
});

after(async () => {
  await browser?.close();
  for (const h of hosts) await h.stop();
  await server?.stop();
});

/** A native host that asks for an invite link; resolves {host, url}. */
async function hostWithInvite(invite, extra = '') {
  const host = await startNativeHost(
    'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! ' +
      `gvwebrtcsink signaller::server=${server.ws} ice-loopback=true ` +
      `signaller::invite=${invite} signaller::invite-uses=1 ${extra}`,
  );
  hosts.push(host);
  let url = '';
  await waitFor(() => {
    const m = host.output.match(/gvwebrtcsink-invite[^\n]*?invite-url=\(string\)"?([^",\s]+)/);
    url = m ? m[1].replace(/\\/g, '') : '';
    return url !== '';
  }, 5000, `the invite link (host output:\n${tail(host.output)})`);
  log(`${invite} link: ${url.slice(0, 60)}…`);
  return { host, url };
}

async function connect(page) {
  await page.click('#connect');
}

async function joinError(page) {
  await page.waitForSelector('#join-error:not([hidden])', { timeout: 5000 });
  return { code: await page.getAttribute('#join', 'data-error'), text: await page.textContent('#join-error') };
}

test('a view-and-control link lets a person in without a PIN, with control; once', async () => {
  const { host, url } = await hostWithInvite('view+control');
  assert.ok(url.startsWith(`${server.url}/?invite=`), url);

  const page = await openPage(browser, url);
  assert.ok(await page.locator('#pin').isHidden(), 'no PIN field on an invite link');
  assert.ok(await page.locator('#invite-note').isVisible());
  await connect(page);
  try {
    await waitFor(async () => (await framesDecoded(page)) > 0, 8000, 'framesDecoded > 0');
  } catch (e) {
    await screenshot(page, 'viewer-invite-FAILED');
    throw new Error(`${e.message}\nhost output:\n${tail(host.output)}`);
  }
  const caps = await page.evaluate(() => window.ghostviewViewer.capabilities);
  assert.deepEqual(caps.sort(), ['control', 'view'], 'the link stands for view and control');
  await screenshot(page, 'viewer-invite-control');

  // The link admits one viewer: a second person gets told it is used.
  const late = await openPage(browser, url);
  await connect(late);
  const err = await joinError(late);
  assert.equal(err.code, 'INVITE_USED');
  assert.match(err.text, /already been used/);
  await screenshot(late, 'viewer-invite-used');
  await late.close();
  await page.close();
});

test('a view-only link gives view only, even where PIN viewers get control', async () => {
  const { url } = await hostWithInvite('view', 'allow-control=true');
  const page = await openPage(browser, url);
  await connect(page);
  await waitFor(async () => (await framesDecoded(page)) > 0, 8000, 'framesDecoded > 0');
  assert.deepEqual(await page.evaluate(() => window.ghostviewViewer.capabilities), ['view']);
  await page.close();
});

test('a changed or cut-short link says it is not valid', async () => {
  const { url } = await hostWithInvite('view');
  const token = new URL(url).searchParams.get('invite');
  // One character of the signature changed: a forgery.
  const last = token.at(-1) === '0' ? '1' : '0';
  const forged = `${server.url}/?invite=${token.slice(0, -1)}${last}`;
  let page = await openPage(browser, forged);
  await connect(page);
  let err = await joinError(page);
  assert.equal(err.code, 'INVITE_INVALID');
  assert.match(err.text, /not valid/);
  await screenshot(page, 'viewer-invite-invalid');
  await page.close();
  // Cut short, as a chat program might wrap it.
  page = await openPage(browser, `${server.url}/?invite=${token.slice(0, 50)}`);
  await connect(page);
  err = await joinError(page);
  assert.equal(err.code, 'INVITE_INVALID');
  await page.close();
  // The untouched link still works after those attempts.
  page = await openPage(browser, url);
  await connect(page);
  await waitFor(async () => (await framesDecoded(page)) > 0, 8000, 'framesDecoded > 0');
  await page.close();
});

test('the browser host page makes a link; its viewer is asked for with what it stands for', async () => {
  const hostPage = await openPage(browser, `${server.url}/host.html`);
  await hostPage.click('#start-sharing');
  await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN on the host page');
  await hostPage.selectOption('#invite-caps', 'view,control');
  await hostPage.click('#make-invite');
  await hostPage.waitForSelector('#invite-row:not([hidden])', { timeout: 5000 });
  const url = await hostPage.inputValue('#invite-url');
  assert.ok(url.startsWith(`${server.url}/?invite=i1.`), url);

  const viewer = await openPage(browser, url);
  await viewer.fill('#name', 'Invited');
  await connect(viewer);
  const request = hostPage.locator('#requests li.request').first();
  await request.waitFor({ state: 'visible', timeout: 10000 });
  assert.match(await request.locator('.invited').textContent(), /invite link/);
  assert.ok(await request.locator('.allow-control').isChecked(), 'control ticked: the link stands for it');
  await screenshot(hostPage, 'host-invite-request');
  await request.locator('.accept').click();
  await waitFor(async () => (await framesDecoded(viewer)) > 0, 10000, 'the invited viewer decodes');
  assert.deepEqual((await viewer.evaluate(() => window.ghostviewViewer.capabilities)).sort(), ['control', 'view']);
  await viewer.close();
  await hostPage.close();
});
