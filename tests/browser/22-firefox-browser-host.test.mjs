// Firefox 3: the browser host page (web/host.html) in Firefox ESR
// (lib/firefox.mjs) shares a screen into a native receiver (gvwebrtcsrc,
// decoding): the person starts sharing, accepts the receiver, the receiver
// decodes frames of that screen, a change on the screen reaches the
// receiver's frames, and Stop sharing ends its session.
//
// The screen: Firefox fakes cameras and microphones only
// (media.navigator.streams.fake does nothing for getDisplayMedia), and
// headless Firefox has no screen to share. So Firefox runs full-screen on
// Xvfb and getDisplayMedia captures that X screen for real (Firefox's X11
// capture); `media.navigator.permission.disabled` stands in for the person
// choosing it in Firefox's picker (acceptable in automation only).
// getDisplayMedia needs a secure context, so the server serves https/wss
// with a test certificate for its veth address (Firefox: acceptInsecureCerts;
// the receiver: signaller::ca-file).
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { launchFirefox, openFirefoxPage, requireFirefox, startXvfb, testCertificate } from './lib/firefox.mjs';
import {
  log, outDir, requireGstElements, screenshot, startPipeline, startServer, tail, waitFor,
} from './lib/harness.mjs';

requireFirefox();
requireGstElements('gvwebrtcsrc', 'videoconvert', 'videoscale');

// The receiver writes every decoded frame, scaled to 64x36 RGB, to a file.
const FW = 64;
const FH = 36;
const FRAME_BYTES = FW * FH * 3;
const frameFile = path.join(outDir, 'firefox-browser-host-frames.rgb');
let xvfb;
let ff;
let tls;
let server;
let receiver;

before(async () => {
  mkdirSync(outDir, { recursive: true });
  rmSync(frameFile, { force: true });
  xvfb = await startXvfb({ width: 1280, height: 720 });
  ff = await launchFirefox({
    display: xvfb.display,
    acceptInsecureCerts: true,
    prefs: { 'media.navigator.permission.disabled': true }, // no picker: the whole screen
  });
  tls = testCertificate(ff.serverAddress);
  server = await startServer(['--tls-cert', tls.cert, '--tls-key', tls.key], { address: ff.serverAddress });
});

after(async () => {
  await ff?.close();
  await xvfb?.stop();
  await receiver?.stop();
  await server?.stop();
  tls?.remove();
});

const framesWritten = () => (existsSync(frameFile) ? Math.floor(statSync(frameFile).size / FRAME_BYTES) : 0);

/** Frame `i` of the receiver's file: fractions of its pixels that are saturated red, and that differ from pixel 0. */
function frameLook(i) {
  const data = readFileSync(frameFile);
  let red = 0;
  let differ = 0;
  const o = i * FRAME_BYTES;
  for (let p = 0; p < FW * FH; p++) {
    const [r, g, b] = [data[o + p * 3], data[o + p * 3 + 1], data[o + p * 3 + 2]];
    if (r > 170 && g < 90 && b < 90) red++;
    if (Math.abs(r - data[o]) + Math.abs(g - data[o + 1]) + Math.abs(b - data[o + 2]) > 30) differ++;
  }
  return { red: red / (FW * FH), variety: differ / (FW * FH) };
}

test('Firefox browser host -> native receiver decodes frames', async () => {
  assert.match(server.url, /^https:/);
  const hostPage = await openFirefoxPage(ff, `${server.url}/host.html`);
  assert.equal(await hostPage.evaluate(() => window.isSecureContext), true, 'the host page is a secure context');
  await hostPage.click('#start-sharing');
  const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN on the host page')
    .catch(async (e) => {
      await screenshot(hostPage, 'firefox-host-FAILED');
      const text = await hostPage.evaluate(() => document.body.innerText);
      throw new Error(`${e.message}; the page says: ${text.replace(/\s+/g, ' ').slice(0, 400)}`);
    });
  log('Firefox browser host PIN', pin);
  assert.match(pin, /^\d{6}$/);
  const track = await hostPage.evaluate(() => {
    const v = document.querySelector('video');
    const t = v && v.srcObject && v.srcObject.getVideoTracks()[0];
    return t ? { label: t.label, ...t.getSettings() } : null;
  });
  log('the shared track:', JSON.stringify(track));

  receiver = startPipeline(
    `gvwebrtcsrc signaller::server=${server.ws} signaller::ca-file=${tls.cert} pin=${pin} display-name=Receiver ! ` +
      `videoconvert ! videoscale ! video/x-raw,format=RGB,width=${FW},height=${FH} ! filesink location=${frameFile}`,
  );
  const request = await hostPage.waitForSelector('#requests li.request', { visible: true, timeout: 10000 });
  await screenshot(hostPage, 'firefox-host-join-request');
  await (await request.$('.accept')).click();
  const accepted = Date.now();
  await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.viewers.some((v) => v.state === 'watching')),
    10000, 'the receiver connected').catch((e) => {
    throw new Error(`${e.message}\nreceiver output:\n${tail(receiver.output)}`);
  });
  await waitFor(() => framesWritten() > 0, 10000, 'a decoded frame at the receiver').catch((e) => {
    throw new Error(`${e.message}\nreceiver output:\n${tail(receiver.output)}`);
  });
  log(`first frame decoded by the receiver ${Date.now() - accepted} ms after Accept`);
  await waitFor(() => framesWritten() >= 30, 10000, '30 decoded frames');
  const before = frameLook(framesWritten() - 1);
  log(`the receiver sees the host page: variety ${before.variety.toFixed(2)}, red ${before.red.toFixed(2)}`);
  assert.ok(before.variety > 0.05, 'the shared screen is not blank');
  assert.ok(before.red < 0.1);
  await screenshot(hostPage, 'firefox-host-sharing');

  // Something on the screen changes (a red sheet over the page): the receiver's frames follow.
  const n0 = framesWritten();
  const changed = Date.now();
  await hostPage.evaluate(() => {
    const sheet = document.createElement('div');
    Object.assign(sheet.style, { position: 'fixed', inset: '0', zIndex: '1000', backgroundColor: 'rgb(220, 20, 20)' });
    sheet.id = 'test-red-sheet';
    document.body.append(sheet);
  });
  await waitFor(() => framesWritten() > n0 && frameLook(framesWritten() - 1).red > 0.3, 5000,
    'the red screen in the receiver\'s frames');
  log(`the change on the screen reached the receiver's decoded frames in ${Date.now() - changed} ms`);

  await hostPage.evaluate(() => document.getElementById('test-red-sheet').remove());
  await hostPage.click('#stop');
  assert.equal(await hostPage.evaluate(() => window.ghostviewHost.state), 'stopped');
  // The receiver's session ends with the sharing, in EOS (a recording is
  // finalised). The page closes its peer connections right after sending
  // "end" to the server, so the SCTP association's end reaches gvwebrtcsrc
  // first: that costs the data channel (a warning), not the session.
  const code = await Promise.race([receiver.done, new Promise((r) => setTimeout(() => r('timeout'), 8000))]);
  log('receiver exit', code, code === 0 ? '(EOS)' : tail(receiver.output, 6));
  assert.equal(code, 0, 'the receiver ends in EOS when the host stops sharing');
  log(`receiver: ${framesWritten()} frames decoded`);
  assert.ok(framesWritten() >= 30);
  assert.deepEqual(hostPage.problems, []);
});
