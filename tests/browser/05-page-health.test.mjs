// Scenario 5: the pages (viewer, host, whep.html's form) load with no
// Content-Security-Policy violation, no console error and no failed
// request, under the server's strict CSP (also
// over plain http from a name that is not localhost); the
// sources have no inline script or style; protocol.js is in step with
// signaling/PROTOCOL.md (and with the C++ definitions: tests/protocol/); and
// the pages fit a phone.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, test } from 'node:test';
import {
  cspViolations, launchBrowser, openPage, requireBrowser, screenshot, sourceDir, startServer, webDir,
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

function webFiles(dir = webDir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? webFiles(p) : [p];
  });
}

test('the HTML has no inline script, inline style or event-handler attribute', () => {
  // Our pages; an npm package's own demo page (web/node_modules/@eyevinn/webrtc-player/demo/) is none of them.
  const inNodeModules = (f) => path.relative(webDir, f).split(path.sep).includes('node_modules');
  for (const file of webFiles().filter((f) => f.endsWith('.html') && !inNodeModules(f))) {
    const html = readFileSync(file, 'utf8');
    const name = path.relative(webDir, file);
    for (const m of html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
      assert.match(m[1], /\bsrc=/, `${name}: inline <script>`);
      assert.equal(m[2].trim(), '', `${name}: script with a body`);
    }
    assert.doesNotMatch(html, /<style\b/i, `${name}: <style> element`);
    assert.doesNotMatch(html, /\sstyle\s*=/i, `${name}: style attribute`);
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, `${name}: event-handler attribute`);
    assert.doesNotMatch(html, /(src|href)\s*=\s*"(https?:)?\/\//i, `${name}: loads from another host`);
  }
  for (const file of webFiles().filter((f) => /\.m?js$/.test(f))) {
    const js = readFileSync(file, 'utf8');
    const name = path.relative(webDir, file);
    assert.doesNotMatch(js, /\beval\s*\(|new Function\s*\(/, `${name}: eval`);
    // Third-party code the pages load (web/node_modules: xterm.js, pinned by
    // web/package-lock.json) sets styles through the CSSOM, which the CSP
    // allows; the rules below are for our own code.
    if (name.split(path.sep).includes('node_modules')) continue;
    assert.doesNotMatch(js, /\.innerHTML\s*=|insertAdjacentHTML/, `${name}: HTML built from strings`);
    assert.doesNotMatch(js, /\.style\.[a-zA-Z]+\s*=|setAttribute\(\s*['"]style/, `${name}: inline style from script`);
  }
});

test('protocol.js is in step with signaling/PROTOCOL.md', async () => {
  const proto = await import(pathToFileURL(path.join(webDir, 'js', 'protocol.js')).href);
  const md = readFileSync(path.join(sourceDir, 'signaling', 'PROTOCOL.md'), 'utf8');
  const section = (title) => md.split(/^## /m).find((s) => s.startsWith(title)) || '';

  // "| `sdp`, `ice` | both | ..." -> sdp, ice
  const firstCellNames = (text) => [...text.matchAll(/^\| (`[^|]+)\|/gm)]
    .flatMap((m) => [...m[1].matchAll(/`([^`]+)`/g)].map((n) => n[1]));
  const codes = firstCellNames(section('Error codes'));
  assert.ok(codes.length >= 13, 'error codes parsed from PROTOCOL.md');
  assert.deepEqual(Object.values(proto.ErrorCode).sort(), codes.slice().sort());
  for (const code of codes) {
    const text = proto.errorMessage(code);
    assert.ok(text && !text.startsWith('Unexpected'), `a message for ${code}`);
  }

  const types = new Set([...firstCellNames(section('Messages: client')), ...firstCellNames(section('Messages: server'))]);
  assert.ok(types.size >= 20, 'message types parsed from PROTOCOL.md');
  const ours = new Set(Object.values(proto.Type));
  for (const t of types) assert.ok(ours.has(t), `protocol.js lacks type "${t}"`);
  for (const t of ours) assert.ok(types.has(t), `protocol.js has type "${t}" that PROTOCOL.md does not`);
  assert.match(md, new RegExp(`version ${proto.VERSION}`));
  for (const cap of Object.values(proto.Capability)) assert.match(md, new RegExp(`\`${cap}\``));
  for (const reason of Object.values(proto.Reason)) assert.match(md, new RegExp(`\`${reason}\``), `reason ${reason}`);

  // Builders produce what the tables list.
  assert.deepEqual(proto.makeJoin('123456', 'Al'), { type: 'join', version: 1, pin: '123456', name: 'Al' });
  assert.deepEqual(proto.makeAccept('p1', ['view', 'control']), { type: 'accept', peer: 'p1', capabilities: ['view', 'control'] });
  assert.deepEqual(proto.makeIce('p1', { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMLineIndex: 0, sdpMid: '0' }),
    { type: 'ice', peer: 'p1', candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdp_mline_index: 0, sdp_mid: '0' });
  assert.equal(proto.normalisePin(' 123-456 7'), '1234567'); // PINs have 6 to 9 digits
  assert.equal(proto.normalisePin(' 123 456 789 0'), '123456789');
  assert.ok(proto.isValidPin('123456') && proto.isValidPin('123456789'));
  assert.ok(!proto.isValidPin('12345') && !proto.isValidPin('1234567890'));
  assert.equal(proto.truncateUtf8('é'.repeat(40), 64), 'é'.repeat(32));
});

for (const [name, url] of [['viewer', '/'], ['viewer-prefilled', '/?pin=123456'], ['host', '/host.html'],
  ['whep', '/whep.html']]) {
  test(`${name} page: no CSP violation, no console error`, async () => {
    const page = await openPage(browser, `${server.url}${url}`);
    const response = await page.request.get(`${server.url}${url}`);
    assert.match(response.headers()['content-security-policy'] || '', /script-src 'self'/);
    await page.waitForTimeout(300);
    if (name === 'host') {
      // Sharing starts and stops cleanly too.
      await page.click('#start-sharing');
      await page.waitForSelector('#sharing:not([hidden])', { timeout: 10000 });
      await page.click('#stop');
      await page.waitForSelector('#stopped:not([hidden])');
    }
    if (name === 'viewer-prefilled') assert.equal(await page.inputValue('#pin'), '123456');
    assert.deepEqual(await cspViolations(page), []);
    assert.deepEqual(page.problems, []);
    await page.close();
  });
}

// Reached by a name, not localhost, plain http is an untrustworthy origin:
// Chromium then logs an error for any Cross-Origin-Opener-Policy header
// ("ignored, because the URL's origin was untrustworthy"), and the server
// must not send one (nor HSTS) on http. The name maps to 127.0.0.1 inside
// Chromium only.
test('viewer page over plain http from a LAN name: no header error', async () => {
  const lan = await launchBrowser({ extraArgs: ['--host-resolver-rules=MAP ghostview.test 127.0.0.1'] });
  try {
    const url = server.url.replace('127.0.0.1', 'ghostview.test');
    for (const path of ['/', '/?pin=123456']) {
      const page = await openPage(lan, `${url}${path}`);
      assert.equal(await page.evaluate(() => window.isSecureContext), false, 'not a secure context');
      await page.waitForTimeout(300);
      assert.deepEqual(await cspViolations(page), []);
      assert.deepEqual(page.problems, []);
      const headers = await page.evaluate(async () => {
        const r = await fetch(window.location.href);
        return ['cross-origin-opener-policy', 'strict-transport-security'].map((h) => r.headers.get(h));
      });
      assert.deepEqual(headers, [null, null]);
      await page.close();
    }
  } finally {
    await lan.close();
  }
});

test('the pages fit a phone', async () => {
  for (const [name, url] of [['viewer', '/'], ['host', '/host.html'], ['whep', '/whep.html']]) {
    const page = await openPage(browser, `${server.url}${url}`);
    await page.setViewportSize({ width: 390, height: 844 });
    if (name === 'host') {
      await page.click('#start-sharing');
      await page.waitForSelector('#sharing:not([hidden])', { timeout: 10000 });
    }
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${name}: ${overflow} px wider than the phone`);
    await screenshot(page, `${name}-phone`);
    await page.emulateMedia({ colorScheme: 'dark' });
    await screenshot(page, `${name}-phone-dark`);
    assert.deepEqual(page.problems, []);
    await page.close();
  }
});
