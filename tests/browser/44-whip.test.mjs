// Scenario 44: WHIP ingest (POST /whip/{pin}; the server starts `ghostview
// whip-relay` for the publisher). An integrator reserves a session through
// the session API; real Chromium publishes a canvas (magenta, a green box
// moving across it) with a bare WHIP client (fetch + RTCPeerConnection,
// every candidate in the offer) and the reservation token;
//   (a) 201, application/sdp, a Location under /whip/{pin}/, the peer
//       connection connects;
//   (b) a native receiver (gvwebrtcsrc by PIN) decodes the canvas: frames,
//       mostly magenta;
//   (c) the GhostView viewer page, by PIN, plays it (frames decoded, a
//       picture with variety, no CSP violation);
//   (d) a second POST with the token: 409; DELETE on the Location: 200, the
//       viewer page says the publisher stopped; DELETE again: 404.
// Prints POST -> 201 (the relay started and answered) for the closing note.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  buildDir, cspViolations, framesDecoded, launchBrowser, log, openPage, recordPageProblems, requireBrowser,
  requireGstElements, screenshot, skip, startPipeline, startServer, tail, videoVariety, waitFor,
} from './lib/harness.mjs';

requireBrowser();
requireGstElements('gvwebrtcsrc', 'gvwebrtcsink', 'vp8dec', 'vp8enc', 'multifilesink');
const ghostview = process.env.GHOSTVIEW || path.join(buildDir, 'tools', 'ghostview');
if (!existsSync(ghostview)) skip(`${ghostview} is not built: the WHIP relay needs it`);

const KEY = 'gv-whip-browser-key';
const scratch = mkdtempSync(path.join(tmpdir(), 'gv-whip-browser-'));
let server;
let browser;
let publisherPage;
let pin;
let token;
let location;
let receiver;

before(async () => {
  const keys = path.join(scratch, 'api-keys');
  writeFileSync(keys, `integrator write,read ${createHash('sha256').update(KEY).digest('hex')}\n`);
  server = await startServer(['--api-keys', keys, '--whip-relay', ghostview]);
  const r = await fetch(`${server.url}/api/v1/sessions`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${KEY}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ max_viewers: 3 }),
  });
  assert.equal(r.status, 201, 'the reservation is made');
  const made = await r.json();
  pin = made.session.pin;
  token = made.reservation_token;
  log('reserved PIN', pin);
  browser = await launchBrowser();
  publisherPage = await openPage(browser, `${server.url}/whep.html`);
});

after(async () => {
  await receiver?.stop();
  await browser?.close();
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** Runs in the page: publishes a moving canvas to `url` (WHIP, no trickle). */
async function publishCanvas({ url, bearer }) {
  const canvas = document.createElement('canvas');
  canvas.width = 640;
  canvas.height = 360;
  canvas.style.cssText = 'position: fixed; left: 0; top: 0; width: 320px; height: 180px';
  document.body.append(canvas);
  const g = canvas.getContext('2d');
  let x = 0;
  const draw = () => {
    g.fillStyle = '#ff00ff';
    g.fillRect(0, 0, 640, 360);
    g.fillStyle = '#00ff00';
    g.fillRect(x, 140, 80, 80);
    x = (x + 8) % 560;
  };
  draw();
  window.whipDraw = setInterval(draw, 33);
  const stream = canvas.captureStream(30);
  const pc = new RTCPeerConnection({ iceServers: [] });
  pc.addTransceiver(stream.getVideoTracks()[0], { direction: 'sendonly', streams: [stream] });
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise((resolve) => {
      const timer = setTimeout(resolve, 3000);
      pc.addEventListener('icegatheringstatechange', () => {
        if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); }
      });
    });
  }
  const started = performance.now();
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${bearer}` },
    body: pc.localDescription.sdp,
  });
  const text = await r.text();
  const answeredMs = performance.now() - started;
  if (r.status === 201) await pc.setRemoteDescription({ type: 'answer', sdp: text });
  window.whipPc = pc;
  return {
    status: r.status,
    location: r.headers.get('Location'),
    contentType: r.headers.get('Content-Type'),
    candidates: (text.match(/^a=candidate:/gm) || []).length,
    answeredMs,
    text: r.status === 201 ? '' : text,
  };
}

/** Runs in the page: one request; {status, json}. */
async function whipRequest({ url, method, bearer, body }) {
  const r = await fetch(url, {
    method,
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${bearer}` },
    body,
  });
  const text = await r.text();
  let json = null;
  try { json = JSON.parse(text); } catch { json = null; }
  return { status: r.status, json };
}

/** The share of magenta pixels in a raw RGB frame. */
function magentaShare(rgb) {
  let magenta = 0;
  for (let i = 0; i + 2 < rgb.length; i += 3) {
    if (rgb[i] > 180 && rgb[i + 1] < 90 && rgb[i + 2] > 180) magenta++;
  }
  return magenta / (rgb.length / 3);
}

test('Chromium publishes a canvas through WHIP: 201, an answer with candidates, connected', async () => {
  const res = await publisherPage.evaluate(publishCanvas, { url: `${server.url}/whip/${pin}`, bearer: token });
  assert.equal(res.status, 201, `POST /whip/${pin}: ${res.status} ${res.text}`);
  assert.match(res.contentType || '', /^application\/sdp/);
  assert.ok(res.location && res.location.startsWith(`/whip/${pin}/`), `Location ${res.location}`);
  assert.ok(res.candidates > 0, 'the answer carries the relay\'s candidates');
  location = `${server.url}${res.location}`;
  log(`WHIP-BENCH POST -> 201 ${res.answeredMs.toFixed(0)} ms (relay started, joined, gathered, answered)`);
  await waitFor(() => publisherPage.evaluate(() => window.whipPc.connectionState === 'connected'), 15000,
    'the publisher connected');
});

test('a native receiver decodes the published canvas', async () => {
  const frames = path.join(scratch, 'frames');
  rmSync(frames, { recursive: true, force: true });
  mkdirSync(frames);
  receiver = startPipeline(
    `gvwebrtcsrc signaller::server=${server.ws} pin=${pin} ! videoconvert ! videoscale ` +
      `! video/x-raw,format=RGB,width=64,height=36 ! multifilesink location=${frames}/f-%05d.rgb max-files=5`,
    { eos: false },
  );
  const written = () => readdirSync(frames).filter((f) => f.endsWith('.rgb')).sort();
  const index = (f) => Number(f.slice(2, 7));
  await waitFor(() => written().length && index(written().at(-1)) >= 30, 30000,
    `30 frames at the native receiver:\n${tail(receiver.output)}`);
  const files = written();
  const share = magentaShare(readFileSync(path.join(frames, files[files.length - 2])));
  log(`native receiver: ${index(files.at(-1)) + 1} frames, ${(share * 100).toFixed(0)} % magenta`);
  assert.ok(share > 0.6, `the receiver shows the canvas (magenta ${(share * 100).toFixed(0)} %)`);
});

test('the GhostView viewer page plays the WHIP-published session', async () => {
  const page = await openPage(browser, `${server.url}/`);
  recordPageProblems(page);
  await page.fill('#pin', pin);
  await page.press('#pin', 'Enter');
  await waitFor(async () => (await framesDecoded(page)) > 10, 20000, 'frames decoded on the viewer page');
  await waitFor(async () => (await videoVariety(page)) > 0.01, 5000, 'a picture, not a blank');
  await screenshot(page, '44-whip-viewer');
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(page.problems.filter((p) => !p.includes('favicon')), []);

  const second = await publisherPage.evaluate(whipRequest, {
    url: `${server.url}/whip/${pin}`, method: 'POST', bearer: token, body: 'v=0\r\nm=video 9 UDP 96\r\n',
  });
  assert.equal(second.status, 409);
  assert.equal(second.json?.code, 'ALREADY_PUBLISHING');

  const removed = await publisherPage.evaluate(whipRequest, { url: location, method: 'DELETE', bearer: token });
  assert.equal(removed.status, 200, 'DELETE ends the publish');
  await waitFor(() => page.evaluate(() => window.ghostviewViewer.state === 'ended'), 10000, 'the viewer page ends');
  const said = await page.locator('#ended-text').textContent();
  assert.match(said, /The publisher stopped/, 'the viewer page says why');
  const again = await publisherPage.evaluate(whipRequest, { url: location, method: 'DELETE', bearer: token });
  assert.equal(again.status, 404);
  assert.equal(again.json?.code, 'NOT_FOUND');
});
