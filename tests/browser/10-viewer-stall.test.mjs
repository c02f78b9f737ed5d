// Scenario 10: no silent stalls. The viewer page (with ?stall=3: the bounded
// time is 3 s instead of 10) says why it shows no picture, offers a Retry
// that really retries, and tells the host, whose output shows the report.
// (a) `ghostview host --codec h264` and a page that refuses the codecs it
//     offers (through RTCRtpTransceiver.setCodecPreferences, as a browser
//     without those decoders): "cannot play" at once, from the answer,
//     without waiting; the answer is not sent; the launcher prints the
//     report. (c) The cause goes away (the page decodes them again): Retry
//     asks the host for a fresh offer on the same admitted session (the PIN
//     is single-use: a new join would get PIN_USED) and frames decode.
// (b) A host paused after the video played: "the host stopped sending"
//     within the bounded time, a gvwebrtcsink-viewer-report on its bus; the
//     host resumes and the picture comes back by itself ("resolved").
// No network path (the test withholds every ICE candidate): "the network
// blocks the connection; ask for a TURN server", on the host's bus too.
// The connection fails for real (ICE checks time out): the host keeps the
// viewer admitted and says so, and the page's Retry reconnects it.
// The browser host (host.html): a viewer's report shows in its list (its
// sender stopped: replaceTrack(null)), and the viewer's Retry gets a fresh
// peer connection from the page, and the picture.
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import {
  buildDir, framesDecoded, gstEnv, launchBrowser, log, openPage, requireBrowser, requireGstElements,
  screenshot, skip, startServer, stopProcess, tail, waitFor, waitForPin,
} from './lib/harness.mjs';
import { requirePythonGst, startPausableHost } from './lib/pausable-host.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'videotestsrc', 'x264enc');
requirePythonGst();
const launcher = path.join(buildDir, 'tools', 'ghostview');
if (!existsSync(launcher)) skip(`the ghostview launcher is not built (${launcher})`);

const STALL = 3; // seconds, the page's ?stall=

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser({ fakeMedia: true }); // a screen for the browser host
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** `ghostview host` against our server; resolves {pin, output, stop()} once it prints its PIN. */
function startLauncherHost(args) {
  const child = spawn(launcher, ['host', '--server', server.ws, '--source', 'test', ...args], {
    env: gstEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const host = { child, pin: '', output: '', stop: () => stopProcess(child, 'SIGINT', 8000) };
  child.stdout.on('data', (d) => { host.output += d; });
  child.stderr.on('data', (d) => { host.output += d; });
  return waitForPin(child, host, /PIN: (\d{6,9})/, 20000, 'ghostview host');
}

const problemOf = (page) => page.evaluate(() => document.getElementById('problem').dataset.problem || '');

async function join(page, pin) {
  await page.fill('#pin', pin);
  await page.press('#pin', 'Enter');
  await waitFor(() => page.evaluate(() => ['joining', 'live'].includes(window.ghostviewViewer.state)), 10000, 'accepted');
  return Date.now();
}

test('no common codec: said at once with a Retry, reported to the launcher; Retry brings frames once the cause is gone', async () => {
  const host = await startLauncherHost(['--codec', 'h264', '--fps', '15', '--bitrate', '600']);
  log('ghostview host PIN', host.pin);
  const page = await openPage(browser, `${server.url}/?stall=${STALL}`);
  try {
    assert.equal(await page.evaluate(() => window.ghostviewViewer.stallSeconds), STALL);
    // A browser without the decoders of what this host sends (H.264, and
    // the VP8 fallback gvwebrtcsink may offer beside it).
    await page.evaluate(() => window.ghostviewViewer.refuseCodecs(['H264', 'VP8']));
    const accepted = await join(page, host.pin);
    await page.waitForSelector('#problem:not([hidden])', { timeout: STALL * 1000 });
    const elapsed = Date.now() - accepted;
    log(`no-common-codec shown ${elapsed} ms after the host accepted`);
    assert.ok(elapsed < STALL * 1000, `found from the answer, not after the stall time (${elapsed} ms)`);
    assert.equal(await problemOf(page), 'no-common-codec');
    assert.equal(await page.getAttribute('#problem', 'role'), 'alert');
    assert.equal(await page.textContent('#problem-title'), 'Your browser cannot play this video');
    assert.match(await page.textContent('#problem-text'), /sends H264( or VP8)? video, which this browser cannot decode/);
    assert.equal(await page.textContent('#status'), 'No picture');
    assert.ok(await page.locator('#stage-message').isHidden(), 'no spinner under the message');
    assert.ok(await page.locator('#retry').isVisible());
    // No answer went out: the host was not made to apply one that rejects the video.
    assert.equal(await page.evaluate(() => window.ghostviewViewer.pc.localDescription), null);
    await screenshot(page, 'viewer-no-common-codec');

    // The host's side: the launcher prints the viewer's report.
    await waitFor(() => /cannot play the video: their browser decodes none of the codecs offered[^\n]*\[no-common-codec\]/.test(host.output),
      5000, 'the report in the launcher\'s output');
    log('launcher:', host.output.match(/[^\n]*\[no-common-codec\][^\n]*/)[0]);

    // (c) The cause goes away; Retry (by keyboard) gets a fresh offer on the
    // same session and the picture.
    await page.evaluate(() => window.ghostviewViewer.refuseCodecs([]));
    await page.focus('#retry');
    await page.keyboard.press('Enter');
    await waitFor(async () => (await framesDecoded(page)) > 0, 10000, 'frames after Retry');
    await waitFor(() => page.evaluate(() => window.ghostviewViewer.state === 'live'), 5000, 'live');
    assert.ok(await page.locator('#problem').isHidden(), 'the message is gone');
    assert.equal(await page.textContent('#status'), 'Live');
    await waitFor(() => /asked for the video again \(Retry\)/.test(host.output), 5000, 'the Retry in the launcher\'s output');
    assert.equal((host.output.match(/viewer joined/g) || []).length, 1, 'one admission: a Retry is not a new join');
    assert.doesNotMatch(host.output, /viewer left/);
    // The host hears that the picture is back.
    await waitFor(() => /sees the picture again \[resolved\]/.test(host.output), 5000, 'resolved in the launcher\'s output');
    assert.deepEqual(await page.evaluate(() => window.ghostviewViewer.reports), ['no-common-codec', 'resolved']);
    await screenshot(page, 'viewer-after-retry');
    assert.deepEqual(page.problems, []);
  } catch (e) {
    await screenshot(page, 'viewer-no-common-codec-FAILED').catch(() => {});
    throw new Error(`${e.message}\nghostview host output:\n${tail(host.output, 40)}`);
  } finally {
    await page.close();
    await host.stop();
  }
});

test('the host stops sending: said within the bounded time and reported on the host\'s bus; the picture comes back by itself', async () => {
  const host = await startPausableHost(
    'videotestsrc is-live=true pattern=smpte ! video/x-raw,width=320,height=240,framerate=15/1 ! '
      + `gvwebrtcsink signaller::server=${server.ws} ice-loopback=true`,
  );
  const page = await openPage(browser, `${server.url}/?stall=${STALL}`);
  try {
    await join(page, host.pin);
    await waitFor(async () => (await framesDecoded(page)) > 0, 10000, 'frames');
    await waitFor(() => page.evaluate(() => window.ghostviewViewer.state === 'live'), 5000, 'live');
    assert.ok(await page.locator('#problem').isHidden());

    await host.command('pause');
    // Frames in flight still arrive for a moment: time the message from the
    // last frame the page decoded (sampled every 100 ms).
    let frames = await framesDecoded(page);
    let lastFrameAt = Date.now();
    const deadline = Date.now() + (STALL + 6) * 1000;
    while (await page.locator('#problem').isHidden()) {
      assert.ok(Date.now() < deadline, 'no message within the stall time');
      const now = await framesDecoded(page);
      if (now > frames) {
        frames = now;
        lastFrameAt = Date.now();
      }
      await page.waitForTimeout(100);
    }
    const elapsed = Date.now() - lastFrameAt;
    log(`"stopped" shown ${elapsed} ms after the last frame`);
    // The stall time, and at most two of the page's polls (500 ms) later.
    assert.ok(elapsed >= (STALL - 0.3) * 1000 && elapsed <= (STALL + 1.5) * 1000, `${elapsed} ms after the last frame`);
    assert.equal(await problemOf(page), 'media-stopped');
    assert.equal(await page.textContent('#problem-title'), 'The video stopped');
    assert.match(await page.textContent('#problem-text'), /The host stopped sending video: nothing has arrived for \d seconds/);
    assert.equal(await page.evaluate(() => window.ghostviewViewer.state), 'live', 'still in the session');
    await screenshot(page, 'viewer-host-stopped');
    await waitFor(() => /gvwebrtcsink-viewer-report[^\n]*problem=\(string\)media-stopped[^\n]*observed-by=\(string\)viewer/.test(host.output),
      5000, 'a gvwebrtcsink-viewer-report on the host\'s bus');
    log('host bus:', host.output.match(/gvwebrtcsink-viewer-report[^\n]*/)[0]);

    await host.command('play');
    await page.waitForSelector('#problem', { state: 'hidden', timeout: 8000 });
    const before = await framesDecoded(page);
    await waitFor(async () => (await framesDecoded(page)) > before + 5, 5000, 'frames again');
    await waitFor(() => /gvwebrtcsink-viewer-report[^\n]*problem=\(string\)resolved/.test(host.output), 5000, 'resolved on the bus');
    assert.equal(await page.textContent('#status'), 'Live');
    assert.deepEqual(await page.evaluate(() => window.ghostviewViewer.reports), ['media-stopped', 'resolved']);
    assert.deepEqual(page.problems, []);
  } catch (e) {
    await screenshot(page, 'viewer-host-stopped-FAILED').catch(() => {});
    throw new Error(`${e.message}\nhost output:\n${tail(host.output.split('\n').filter((l) => !/state-changed|stream-status/.test(l)).join('\n'), 30)}`);
  } finally {
    await page.close();
    await host.stop();
  }
});

test('no network path: "the network blocks the connection; ask for a TURN server", reported to the host', async () => {
  // No packet gets between the page and the host, as on a network that
  // drops UDP: the page's peer connection never learns a candidate of the
  // host's (none in the offer, none added) and never hands out its own.
  // Done in the test's own wrapper of RTCPeerConnection, not in the page.
  const page = await browser.context.newPage();
  page.problems = [];
  page.on('console', (msg) => { if (msg.type() === 'error') page.problems.push(msg.text()); });
  await page.addInitScript(() => {
    const Original = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Original {
      setRemoteDescription(desc) {
        const sdp = desc.sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:')).join('\r\n');
        return super.setRemoteDescription({ type: desc.type, sdp });
      }
      addIceCandidate() { return Promise.resolve(); }
      addEventListener(type, listener, options) {
        if (type !== 'icecandidate') super.addEventListener(type, listener, options);
      }
    };
  });
  await page.goto(`${server.url}/?stall=${STALL}`);
  const host = await startPausableHost(
    'videotestsrc is-live=true ! video/x-raw,width=320,height=240,framerate=15/1 ! '
      + `gvwebrtcsink signaller::server=${server.ws} ice-loopback=true`,
  );
  try {
    const accepted = await join(page, host.pin);
    await page.waitForSelector('#problem:not([hidden])', { timeout: (STALL + 4) * 1000 });
    const elapsed = Date.now() - accepted;
    log(`connection-blocked shown ${elapsed} ms after the host accepted`);
    assert.ok(elapsed >= (STALL - 0.3) * 1000, `${elapsed} ms`);
    assert.equal(await problemOf(page), 'connection-blocked');
    assert.equal(await page.textContent('#problem-title'), 'The video cannot get through');
    assert.match(await page.textContent('#problem-text'), /network between you and the host blocks the connection\. Ask .* for a TURN server/);
    assert.notEqual(await page.evaluate(() => window.ghostviewViewer.pc.connectionState), 'connected');
    await waitFor(() => /gvwebrtcsink-viewer-report[^\n]*problem=\(string\)connection-blocked/.test(host.output), 5000,
      'connection-blocked on the host\'s bus');
    await screenshot(page, 'viewer-connection-blocked');
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
    await host.stop();
  }
});

test('browser host: a viewer\'s report shows in its list, and its Retry gets a fresh peer connection', async () => {
  // The host page's peer connections, for the test to stop its sender.
  const hostPage = await browser.context.newPage();
  hostPage.problems = [];
  hostPage.on('console', (msg) => { if (msg.type() === 'error') hostPage.problems.push(msg.text()); });
  await hostPage.addInitScript(() => {
    window.__pcs = [];
    const Original = window.RTCPeerConnection;
    window.RTCPeerConnection = class extends Original {
      constructor(...args) {
        super(...args);
        window.__pcs.push(this);
      }
    };
  });
  await hostPage.goto(`${server.url}/host.html`);
  const page = await openPage(browser, `${server.url}/?stall=${STALL}`);
  try {
    await hostPage.click('#start-sharing');
    await hostPage.waitForSelector('#sharing:not([hidden])', { timeout: 10000 });
    const pin = await hostPage.evaluate(() => window.ghostviewHost.pin);
    await page.fill('#pin', pin);
    await page.press('#pin', 'Enter');
    await hostPage.locator('#requests li.request .accept').first().click({ timeout: 10000 });
    await waitFor(async () => (await framesDecoded(page)) > 0, 10000, 'frames from the browser host');

    // The host's sender stops: the viewer says so, and the host page shows it.
    await hostPage.evaluate(() => Promise.all(window.__pcs.flatMap((pc) => pc.getSenders())
      .filter((s) => s.track && s.track.kind === 'video').map((s) => s.replaceTrack(null))));
    await page.waitForSelector('#problem:not([hidden])', { timeout: (STALL + 4) * 1000 });
    assert.equal(await problemOf(page), 'media-stopped');
    const note = hostPage.locator('#viewers li.viewer .problem');
    await note.waitFor({ state: 'visible', timeout: 5000 });
    assert.equal(await note.textContent(), 'Your video stopped reaching them.');
    assert.equal(await note.getAttribute('role'), 'status');
    await screenshot(hostPage, 'host-viewer-report');

    // Retry: the host page makes a new peer connection (its sender is live) and offers.
    await page.click('#retry');
    await waitFor(async () => (await framesDecoded(page)) > 0, 10000, 'frames after Retry');
    await page.waitForSelector('#problem', { state: 'hidden', timeout: 5000 });
    const viewers = await hostPage.evaluate(() => window.ghostviewHost.viewers);
    assert.equal(viewers.length, 1);
    assert.equal(viewers[0].restarts, 1);
    assert.equal(viewers[0].problem, '');
    assert.ok(await note.isHidden());
    assert.equal(await hostPage.evaluate(() => window.__pcs.length), 2, 'a fresh peer connection');
    assert.deepEqual(page.problems, []);
    assert.deepEqual(hostPage.problems, []);
  } finally {
    await page.close();
    await hostPage.close();
  }
});

test('the connection fails: the host keeps the viewer admitted, and Retry brings the picture', async () => {
  // ICE fails for real: the page hands the host only candidates at an
  // unreachable address (TEST-NET-1) and takes none of the host's, so the
  // host's connectivity checks time out and its webrtcbin goes to FAILED.
  // The host keeps the viewer admitted for a while (the PIN, single-use,
  // is spent): the page's Retry, once the network is back, gets a fresh
  // connection on the same session.
  const page = await openPage(browser, `${server.url}/?stall=${STALL}`);
  await page.evaluate(() => {
    window.__iceBlocked = true;
    const Original = window.RTCPeerConnection;
    const unreachable = (c) => c.replace(/^(candidate:\S+ \d+ \S+ \d+ )\S+/, '$1192.0.2.1');
    window.RTCPeerConnection = class extends Original {
      setRemoteDescription(desc) {
        if (!window.__iceBlocked || !desc.sdp) return super.setRemoteDescription(desc);
        const sdp = desc.sdp.split('\r\n').filter((l) => !l.startsWith('a=candidate:')).join('\r\n');
        return super.setRemoteDescription({ type: desc.type, sdp });
      }
      addIceCandidate(c) { return window.__iceBlocked ? Promise.resolve() : super.addIceCandidate(c); }
      addEventListener(type, listener, options) {
        if (type !== 'icecandidate') return super.addEventListener(type, listener, options);
        return super.addEventListener(type, (e) => {
          if (!window.__iceBlocked || !e.candidate || !e.candidate.candidate) return listener(e);
          const c = e.candidate.toJSON();
          return listener({ candidate: new RTCIceCandidate({ ...c, candidate: unreachable(c.candidate) }) });
        }, options);
      }
    };
  });
  const host = await startLauncherHost(['--fps', '15', '--bitrate', '600']);
  try {
    await join(page, host.pin);
    await waitFor(() => /viewer joined/.test(host.output), 5000, 'the host admits the viewer');
    await page.waitForSelector('#problem:not([hidden])', { timeout: (STALL + 4) * 1000 });
    // The host's checks time out (libnice: some seconds); it says so and
    // keeps the viewer: no "viewer left".
    await waitFor(() => /connection to viewer .* failed/.test(host.output), 40000, 'the host sees the connection fail');
    log('host:', tail(host.output, 4));
    assert.doesNotMatch(host.output, /viewer left/);
    await page.evaluate(() => { window.__iceBlocked = false; });
    const before = await framesDecoded(page);
    await page.click('#retry');
    await waitFor(async () => (await framesDecoded(page)) > before + 10, 15000, 'frames after Retry');
    assert.match(host.output, /asked for the video again \(Retry\)/);
    assert.doesNotMatch(host.output, /viewer left/);
    assert.deepEqual(page.problems, []);
  } finally {
    await page.close();
    await host.stop();
  }
});
