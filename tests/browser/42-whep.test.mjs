// Scenario 42: WHEP playback (POST /whep/{pin}, the server's WHEP endpoint;
// the host answers the viewer's offer). A native host (gvwebrtcsink,
// max-viewers 16) is played by
//   (a) web/whep.html, a standard WHEP player (@eyevinn/webrtc-player from
//       web/node_modules): frames decoded, "Playing", Stop ends the viewer at
//       the host; a wrong token shows the server's own message;
//   (b) a bare client in the page (fetch + RTCPeerConnection, no trickle):
//       201 + Location + an answer with the host's candidates that connects
//       (frames decoded and shown); PATCH trickle 204 (415 for another type); DELETE 200
//       (the host sees the viewer leave), again 404; the errors, each with a
//       JSON {code, message}: 401 (no Authorization, wrong PIN), 404 (a
//       well-formed PIN with no session), 409 (a one-viewer host, second
//       POST), 415 (text/plain), 400 (not an SDP), 429 (wrong PINs from one
//       address, 127.0.0.2: the guess limiter's default 10 per address; it
//       has no option to lower it) while 127.0.0.1 holding the PIN still gets
//       in; CORS preflights, and a player on another origin.
//   (c) the browser host page (fake screen) answers a player's offer: the
//       request says "a WHEP player: it can only watch" with nothing to
//       grant; accepted, 201 with the page's candidates, frames; DELETE.
// Prints, side by side, POST -> first frame (WHEP) and the viewer page's
// join (PIN sent) -> first frame, 3 rounds each, for the README's figure.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  cspViolations, launchBrowser, log, openPage, recordPageProblems, requireBrowser, requireGstElements, screenshot, skip,
  startNativeHost, startServer, tail, videoVariety, waitFor, webDir,
} from './lib/harness.mjs';
import { frameClock, installFrameClock } from './lib/frames.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'videotestsrc');
if (!existsSync(path.join(webDir, 'node_modules/@eyevinn/webrtc-player/dist/main.js'))) {
  skip('@eyevinn/webrtc-player is not installed: run `npm ci` in web/ (tools/dev.sh does)');
}

let server;
let host;
let browser;
let client; // a same-origin page (whep.html with no PIN) that runs the bare client

const HOST_ENV = { env: { GST_DEBUG: 'gvwebrtcsink:4' } }; // "viewer X left (...)" in host.output

before(async () => {
  server = await startServer();
  host = await startNativeHost(
    'videotestsrc is-live=true pattern=smpte ! video/x-raw,width=640,height=360,framerate=30/1 ! ' +
      `gvwebrtcsink signaller::server=${server.ws} signaller::max-viewers=16 ice-loopback=true`,
    HOST_ENV,
  );
  log('native host PIN', host.pin);
  browser = await launchBrowser();
  client = await openPage(browser, `${server.url}/whep.html`);
  await client.evaluate(installWhepClient);
});

after(async () => {
  await browser?.close();
  await host?.stop();
  await server?.stop();
});

/**
 * Runs in a page: window.whep, a bare WHEP client (fetch + RTCPeerConnection,
 * the whole offer at once, no trickle), and window.whepClients by id.
 */
function installWhepClient() {
  const clients = new Map();
  let nextId = 1;
  async function gatheredOffer(pc) {
    await pc.setLocalDescription(await pc.createOffer());
    if (pc.iceGatheringState !== 'complete') {
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 3000);
        pc.addEventListener('icegatheringstatechange', () => {
          if (pc.iceGatheringState === 'complete') { clearTimeout(timer); resolve(); }
        });
      });
    }
    return pc.localDescription.sdp;
  }
  function newPeer(audio) {
    const pc = new RTCPeerConnection({ iceServers: [] });
    pc.addTransceiver('video', { direction: 'recvonly' });
    if (audio) pc.addTransceiver('audio', { direction: 'recvonly' });
    return pc;
  }
  /** One request; {status, location, contentType, text, json, headers}. */
  async function request(url, { method = 'POST', token, contentType = 'application/sdp', body } = {}) {
    const headers = {};
    if (contentType) headers['Content-Type'] = contentType;
    if (token !== undefined) headers.Authorization = `Bearer ${token}`;
    const r = await fetch(url, { method, headers, body });
    const text = await r.text();
    let json = null;
    try { json = JSON.parse(text); } catch { json = null; }
    return {
      status: r.status, location: r.headers.get('Location'), contentType: r.headers.get('Content-Type'), text, json,
    };
  }
  window.whep = {
    request,
    /** A gathered offer from a peer connection closed at once. */
    async offer(audio = false) {
      const pc = newPeer(audio);
      const sdp = await gatheredOffer(pc);
      pc.close();
      return sdp;
    },
    /** Offer, POST, and on 201 the answer: resolves {id, status, ..., gatherMs}. */
    async play(url, token, { audio = false } = {}) {
      const started = performance.now();
      const pc = newPeer(audio);
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      // On screen: Chromium pauses a muted video that is out of sight, and shows it no frame.
      video.style.cssText = 'position: fixed; left: 0; top: 0; width: 320px; height: 180px; z-index: 10';
      document.body.append(video);
      const c = { pc, video, url, token, posted: 0, firstFrame: null, frames: 0, location: null };
      pc.ontrack = (e) => {
        if (!video.srcObject) video.srcObject = new MediaStream();
        video.srcObject.addTrack(e.track);
        video.play().catch(() => {});
      };
      const onFrame = () => {
        if (c.firstFrame === null) c.firstFrame = performance.now();
        c.frames++;
        video.requestVideoFrameCallback(onFrame);
      };
      video.requestVideoFrameCallback(onFrame);
      const sdp = await gatheredOffer(pc);
      c.posted = performance.now();
      const res = await request(url, { token, body: sdp });
      const id = nextId++;
      clients.set(id, c);
      if (res.status === 201) {
        c.location = new URL(res.location, url).href;
        await pc.setRemoteDescription({ type: 'answer', sdp: res.text });
      }
      return { id, gatherMs: Math.round(c.posted - started), ...res };
    },
    async state(id) {
      const c = clients.get(id);
      let framesDecoded = 0;
      (await c.pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded = s.framesDecoded || 0;
      });
      return {
        framesDecoded,
        framesShown: c.frames,
        postToFirstFrameMs: c.firstFrame === null ? null : Math.round(c.firstFrame - c.posted),
        connection: c.pc.connectionState,
        location: c.location,
      };
    },
    /** A trickle-ice-sdpfrag with this client's ufrag, pwd, first mid and one of its candidates. */
    sdpfrag(id) {
      const sdp = clients.get(id).pc.localDescription.sdp;
      const line = (re) => (sdp.match(re) || [])[0];
      return [line(/^a=ice-ufrag:.*$/m), line(/^a=ice-pwd:.*$/m), 'm=video 9 UDP/TLS/RTP/SAVPF 0',
        line(/^a=mid:.*$/m), line(/^a=candidate:.*$/m), 'a=end-of-candidates', ''].join('\r\n');
    },
    async remove(id) {
      const c = clients.get(id);
      const res = await request(c.location, { method: 'DELETE', token: c.token, contentType: null });
      c.pc.close();
      c.video.remove();
      return res;
    },
  };
}

const endpoint = (pin) => `${server.url}/whep/${pin}`;
const leftCount = (h) => (h.output.match(/viewer \S+ left/g) || []).length;

/** A 6-digit PIN that is none of `pins`. */
function otherPin(...pins) {
  for (let n = Number(pins[0]) + 1; ; n++) {
    const pin = String(n % 1000000).padStart(6, '0');
    if (!pins.includes(pin)) return pin;
  }
}

/** The error answer's JSON body: {code, message}, both non-empty strings. */
function assertJsonError(res, status, what) {
  log(`${what}: ${res.status} ${res.json && res.json.code}: ${res.json && res.json.message}`);
  assert.equal(res.status, status, `${what}: ${res.status} ${res.text}`);
  assert.match(String(res.contentType), /^application\/json/, `${what}: Content-Type ${res.contentType}`);
  assert.ok(res.json && typeof res.json.code === 'string' && res.json.code, `${what}: a JSON code (${res.text})`);
  assert.ok(typeof res.json.message === 'string' && res.json.message, `${what}: a JSON message (${res.text})`);
}

/** Frames decoded and shown: frames decoded for an SSRC the answer did not signal never reach the track. */
async function waitDecoding(page, id, what) {
  try {
    await waitFor(async () => {
      const s = await page.evaluate((i) => window.whep.state(i), id);
      return s.framesDecoded > 0 && s.framesShown > 0;
    }, 8000, what);
  } catch (e) {
    throw new Error(`${e.message} (${JSON.stringify(await page.evaluate((i) => window.whep.state(i), id))})\n` +
      `host output:\n${tail(host.output)}\nserver:\n${tail(server.stderr)}`);
  }
}

/** A request from node, from `localAddress` (127.0.0.2: the guess limiter counts per address). */
function nodeRequest(url, { method = 'POST', headers = {}, body, localAddress } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers, localAddress, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => { text += d; });
      res.on('end', () => {
        let json = null;
        try { json = JSON.parse(text); } catch { json = null; }
        resolve({ status: res.statusCode, headers: res.headers, contentType: res.headers['content-type'], text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

test('whep.html plays the session with @eyevinn/webrtc-player; Stop ends the viewer at the host', async () => {
  const page = await openPage(browser, `${server.url}/whep.html?pin=${host.pin}`);
  try {
    await waitFor(() => page.evaluate(() => window.ghostviewWhep.state !== 'connecting'), 10000, 'whep.html playing');
    assert.equal(await page.evaluate(() => window.ghostviewWhep.state), 'live');
  } catch (e) {
    await screenshot(page, 'whep-player-FAILED');
    const s = await page.evaluate(() => JSON.stringify({ ...window.ghostviewWhep, player: undefined }));
    throw new Error(`${e.message} (${s}) ${page.problems}\nhost output:\n${tail(host.output)}`);
  }
  const w = await page.evaluate(() => ({ ...window.ghostviewWhep, player: undefined }));
  log(`whep.html: POST -> first frame ${Math.round(w.firstFrameAt - w.postedAt)} ms; resource ${w.resource}`);
  assert.match(new URL(w.resource).pathname, new RegExp(`^/whep/${host.pin}/[^/]+$`));
  assert.equal(await page.textContent('#status'), 'Playing');
  const shown = () => page.evaluate(() => document.getElementById('video').getVideoPlaybackQuality().totalVideoFrames);
  const before1 = await shown();
  await page.waitForTimeout(1000);
  const after1 = await shown();
  log(`whep.html frames shown ${before1} -> ${after1} in 1 s`);
  assert.ok(after1 > before1 + 5, `frames keep coming (${before1} -> ${after1})`);
  const variety = await videoVariety(page);
  assert.ok(variety > 0.2, `the picture looks blank (variety ${variety})`);
  await screenshot(page, 'whep-player');
  assert.deepEqual(await cspViolations(page), []);
  assert.deepEqual(page.problems, []);

  const left = leftCount(host);
  await page.click('#stop');
  await waitFor(() => leftCount(host) > left, 5000, 'the host to see the WHEP viewer leave');
  assert.equal(await page.evaluate(() => window.ghostviewWhep.state), 'ended');
  await page.close();
});

test('whep.html shows the server\'s message when the token is wrong', async () => {
  const wrong = otherPin(host.pin);
  const page = await openPage(browser, `${server.url}/whep.html?pin=${host.pin}&token=${wrong}`);
  await waitFor(() => page.evaluate(() => window.ghostviewWhep.state === 'failed'), 10000, 'whep.html failed');
  const error = await page.evaluate(() => window.ghostviewWhep.error);
  log(`whep.html refused: ${JSON.stringify(error)}`);
  assert.equal(error.status, 401);
  assert.ok(error.code && error.message, JSON.stringify(error));
  assert.ok((await page.textContent('#problem-text')).includes(error.message));
  assert.ok(await page.locator('#problem').isVisible());
  await screenshot(page, 'whep-player-refused');
  assert.deepEqual(await cspViolations(page), []);
  await page.close();
});

test('bare client: 201, Location, an answer with candidates that connects; PATCH; DELETE 200 then 404', async () => {
  const res = await client.evaluate(([url, token]) => window.whep.play(url, token), [endpoint(host.pin), host.pin]);
  log(`POST ${res.status}, Location ${res.location}, offer gathered in ${res.gatherMs} ms`);
  assert.equal(res.status, 201, res.text);
  assert.match(String(res.contentType), /^application\/sdp/);
  assert.match(new URL(res.location, server.url).pathname, new RegExp(`^/whep/${host.pin}/[^/]+$`));
  assert.match(res.text, /^m=video /m, 'the answer has video');
  assert.match(res.text, /^a=candidate:/m, 'the answer carries the host\'s candidates (no trickle to the client)');
  await waitDecoding(client, res.id, 'the bare client decoding and showing frames');
  const s = await client.evaluate((id) => window.whep.state(id), res.id);
  log(`bare client: POST -> first frame ${s.postToFirstFrameMs} ms, connection ${s.connection}`);

  // Trickle: candidates in a sdpfrag are taken; another type is not.
  const frag = await client.evaluate((id) => window.whep.sdpfrag(id), res.id);
  const patch = (contentType) => client.evaluate(([url, token, type, body]) => window.whep.request(url,
    { method: 'PATCH', token, contentType: type, body }), [s.location, host.pin, contentType, frag]);
  assert.equal((await patch('application/trickle-ice-sdpfrag')).status, 204);
  assertJsonError(await patch('application/sdp'), 415, 'PATCH application/sdp');

  // CORS preflights, as a player on another origin sends them.
  const preflight = async (url, method) => {
    const r = await nodeRequest(url, {
      method: 'OPTIONS',
      headers: {
        Origin: 'http://player.invalid', 'Access-Control-Request-Method': method,
        'Access-Control-Request-Headers': 'authorization,content-type',
      },
    });
    log(`OPTIONS ${new URL(url).pathname}: ${r.status} ${JSON.stringify(Object.fromEntries(
      Object.entries(r.headers).filter(([k]) => k.startsWith('access-control-'))))}`);
    assert.equal(r.status, 204, `OPTIONS ${url}`);
    assert.match(String(r.headers['access-control-allow-methods']), new RegExp(method));
    assert.match(String(r.headers['access-control-allow-headers']), /authorization/i);
    assert.match(String(r.headers['access-control-allow-headers']), /content-type/i);
    assert.match(String(r.headers['access-control-expose-headers']), /location/i);
  };
  await preflight(endpoint(host.pin), 'POST');
  await preflight(s.location, 'DELETE');
  await preflight(s.location, 'PATCH');

  const left = leftCount(host);
  const del = await client.evaluate((id) => window.whep.remove(id), res.id);
  assert.equal(del.status, 200, del.text);
  await waitFor(() => leftCount(host) > left, 5000, 'the host to see the WHEP viewer leave');
  const again = await client.evaluate(([url, token]) => window.whep.request(url,
    { method: 'DELETE', token, contentType: null }), [s.location, host.pin]);
  assertJsonError(again, 404, 'DELETE again');
});

test('the browser host page answers a WHEP player: asked, accepted view only, frames, DELETE', async () => {
  const hostBrowser = await launchBrowser({ fakeMedia: true });
  try {
    const hostPage = await openPage(hostBrowser, `${server.url}/host.html`);
    await hostPage.click('#start-sharing');
    const pin = await waitFor(() => hostPage.evaluate(() => window.ghostviewHost.pin), 10000, 'a PIN');
    // Sound offered too: the page shares none, so that section is inactive.
    const posting = client.evaluate(([url, token]) => window.whep.play(url, token, { audio: true }), [endpoint(pin), pin]);
    const request = hostPage.locator('#requests li.request', { hasText: 'WHEP player' });
    await request.waitFor({ state: 'visible', timeout: 5000 });
    assert.match(await request.textContent(), /a WHEP player: it can only watch/);
    assert.equal(await request.locator('.allow-control').isVisible(), false, 'no control to grant a player');
    await request.locator('.accept').click();
    const res = await posting;
    assert.equal(res.status, 201, res.text);
    assert.match(res.text, /^a=candidate:/m, 'the page\'s candidates are in its answer');
    await waitDecoding(client, res.id, 'the bare client decoding the browser host page\'s screen');
    const viewers = await hostPage.evaluate(() => window.ghostviewHost.viewers);
    assert.deepEqual(viewers.map((v) => [v.name, v.capabilities]), [['WHEP player', ['view']]]);
    assert.equal((await client.evaluate((id) => window.whep.remove(id), res.id)).status, 200);
    await waitFor(async () => (await hostPage.evaluate(() => window.ghostviewHost.viewers)).length === 0, 5000,
      'the host page sees the player leave');
  } finally {
    await hostBrowser.close();
  }
});

test('errors: 401, 404, 409, 415, 400, each with a JSON {code, message}', async () => {
  const offer = await client.evaluate(() => window.whep.offer());
  const post = (url, opts) => client.evaluate(([u, o]) => window.whep.request(u, o), [url, opts]);
  assertJsonError(await post(endpoint(host.pin), { body: offer }), 401, 'no Authorization');
  assertJsonError(await post(endpoint(host.pin), { token: otherPin(host.pin), body: offer }), 401, 'wrong PIN');
  const nobody = otherPin(host.pin, otherPin(host.pin));
  assertJsonError(await post(endpoint(nobody), { token: nobody, body: offer }), 404, 'no such session');
  assertJsonError(await post(endpoint(host.pin), { token: host.pin, contentType: 'text/plain', body: offer }), 415,
    'text/plain');
  assertJsonError(await post(endpoint(host.pin), { token: host.pin, body: 'this is not an SDP offer\r\n' }), 400,
    'not an SDP');

  // A host that admits one viewer: the second POST finds the session full.
  const single = await startNativeHost(
    'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! ' +
      `gvwebrtcsink signaller::server=${server.ws} signaller::max-viewers=1 ice-loopback=true`,
    HOST_ENV,
  );
  try {
    const first = await client.evaluate(([u, t]) => window.whep.play(u, t), [endpoint(single.pin), single.pin]);
    assert.equal(first.status, 201, first.text);
    assertJsonError(await post(endpoint(single.pin), { token: single.pin, body: offer }), 409, 'session full');
    assert.equal((await client.evaluate((id) => window.whep.remove(id), first.id)).status, 200);
  } finally {
    await single.stop();
  }
});

test('a player on another origin (CORS): 201, Location readable, frames, DELETE', async () => {
  // A page of another origin: a blank page from a server of the test's own on
  // another port (also on 127.0.0.1: Chromium lets no page of another address
  // space reach a loopback address), so only CORS decides.
  const other = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!DOCTYPE html><title>another origin</title><body></body>');
  });
  await new Promise((resolve) => other.listen(0, '127.0.0.1', resolve));
  const page = await browser.context.newPage();
  recordPageProblems(page);
  try {
    await page.goto(`http://127.0.0.1:${other.address().port}/`);
    await page.evaluate(installWhepClient);
    const res = await page.evaluate(([url, token]) => window.whep.play(url, token), [endpoint(host.pin), host.pin])
      .catch((e) => assert.fail(`cross-origin POST failed: ${e.message}\n${page.problems.join('\n')}`));
    assert.equal(res.status, 201, res.text);
    assert.ok(res.location, 'Location is readable across origins (Access-Control-Expose-Headers)');
    await waitDecoding(page, res.id, 'the other origin\'s client decoding frames');
    assert.equal((await page.evaluate((id) => window.whep.remove(id), res.id)).status, 200);
  } finally {
    await page.close();
    other.close();
  }
});

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

test('benchmark: WHEP POST -> first frame vs the viewer page\'s join -> first frame', async () => {
  const whepMs = [];
  const gatherMs = [];
  const pageMs = [];
  for (let round = 0; round < 3; round++) {
    const res = await client.evaluate(([u, t]) => window.whep.play(u, t), [endpoint(host.pin), host.pin]);
    assert.equal(res.status, 201, res.text);
    await waitFor(async () => (await client.evaluate((id) => window.whep.state(id), res.id)).postToFirstFrameMs !== null,
      8000, 'a first WHEP frame');
    whepMs.push((await client.evaluate((id) => window.whep.state(id), res.id)).postToFirstFrameMs);
    gatherMs.push(res.gatherMs);
    assert.equal((await client.evaluate((id) => window.whep.remove(id), res.id)).status, 200);

    const page = await openPage(browser, `${server.url}/`);
    await installFrameClock(page);
    await page.fill('#pin', host.pin);
    await page.press('#pin', 'Enter');
    await waitFor(async () => (await frameClock(page)).frames > 0, 8000, 'a first frame on the viewer page');
    pageMs.push((await frameClock(page)).enterToFirstFrameMs);
    await page.click('#leave');
    await page.close();
  }
  log(`WHEP POST -> first frame: ${whepMs.join(', ')} ms (offer + gathering before the POST: ${gatherMs.join(', ')} ms)`);
  log(`viewer page join -> first frame: ${pageMs.join(', ')} ms`);
  process.stdout.write(`WHEP-BENCH | WHEP POST -> first frame median ${median(whepMs)} ms [${whepMs.join(', ')}] | ` +
    `viewer page join -> first frame median ${median(pageMs)} ms [${pageMs.join(', ')}] | ` +
    `640x360 VP8 videotestsrc, loopback, headless Chromium\n`);
});

test('429: wrong PINs from one address are limited; the right PIN from another address still gets in', async () => {
  const offer = await client.evaluate(() => window.whep.offer());
  const fromOther = (token) => nodeRequest(endpoint(host.pin), {
    localAddress: '127.0.0.2',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
    body: offer,
  });
  const wrong = otherPin(host.pin);
  let refused = null;
  let attempts = 0;
  while (attempts < 30) {
    attempts++;
    const r = await fromOther(wrong);
    if (r.status === 429) { refused = r; break; }
    assert.equal(r.status, 401, `wrong PIN ${attempts}: ${r.status} ${r.text}`);
  }
  assert.ok(refused, `no 429 after ${attempts} wrong PINs from 127.0.0.2`);
  log(`429 after ${attempts} requests (Retry-After: ${refused.headers['retry-after']})`);
  assertJsonError(refused, 429, 'too many wrong PINs');
  assert.ok(attempts <= 15, `the limiter allows 10 wrong PINs per address (refused at attempt ${attempts})`);
  // The limit is asked before the PIN is looked at: the right one is refused from there too.
  assertJsonError(await fromOther(host.pin), 429, 'the right PIN from the limited address');
  // A viewer holding the PIN on another address is not locked out.
  const res = await client.evaluate(([u, t]) => window.whep.play(u, t), [endpoint(host.pin), host.pin]);
  assert.equal(res.status, 201, `127.0.0.1 with the right PIN: ${res.status} ${res.text}`);
  await waitDecoding(client, res.id, 'frames for the viewer that holds the PIN');
  assert.equal((await client.evaluate((id) => window.whep.remove(id), res.id)).status, 200);
});
