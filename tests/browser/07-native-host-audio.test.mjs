// Scenario 7: a native host with audio (gvwebrtcsink audio_%u: raw audio
// encoded to Opus, on an audio m-line beside the video) -> the browser viewer.
// The received stream has an audio track and Opus packets arrive (getStats
// inbound-rtp kind=audio); the page starts muted and shows an "Unmute audio"
// button, which unmutes from the keyboard and the mouse without stopping the
// video, and mutes again. (Scenario 1 checks that a host without audio gets
// no such button.)
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, before, test } from 'node:test';
import {
  framesDecoded, gstEnv, launchBrowser, log, openPage, requireBrowser, requireGstElements, screenshot, skip,
  startNativeHost, startServer, tail, waitFor,
} from './lib/harness.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'videotestsrc', 'audiotestsrc', 'opusenc');
const inspect = spawnSync('gst-inspect-1.0', ['gvwebrtcsink'], { env: gstEnv(), encoding: 'utf8' });
if (!/audio_%u/.test(inspect.stdout)) skip('gvwebrtcsink has no audio_%u pad template in this build');

let server;
let host;
let browser;

before(async () => {
  server = await startServer();
  host = await startNativeHost(
    'videotestsrc is-live=true pattern=ball ! video/x-raw,width=640,height=360,framerate=30/1 ! ' +
      `gvwebrtcsink name=s signaller::server=${server.ws} ice-loopback=true ` +
      'audiotestsrc is-live=true wave=sine freq=440 volume=0.5 ! s.audio_0',
  );
  log('native host (video + audio) PIN', host.pin);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await host?.stop();
  await server?.stop();
});

/** The viewer's inbound audio, from getStats (null before there is any). */
function inboundAudio(page) {
  return page.evaluate(async () => {
    const pc = window.ghostviewViewer && window.ghostviewViewer.pc;
    if (!pc) return null;
    let audio = null;
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'audio') {
        const codec = s.codecId ? report.get(s.codecId) : null;
        audio = {
          packetsReceived: s.packetsReceived || 0,
          bytesReceived: s.bytesReceived || 0,
          totalSamplesReceived: s.totalSamplesReceived || 0,
          totalAudioEnergy: s.totalAudioEnergy || 0,
          mimeType: codec ? codec.mimeType : '',
        };
      }
    });
    return audio;
  });
}

const mediaState = (page) => page.evaluate(() => {
  const v = document.getElementById('video');
  const b = document.getElementById('mute');
  return {
    muted: v.muted, paused: v.paused,
    audioTracks: v.srcObject ? v.srcObject.getAudioTracks().map((t) => t.readyState) : [],
    videoTracks: v.srcObject ? v.srcObject.getVideoTracks().length : 0,
    button: { hidden: b.hidden, text: b.textContent, label: b.getAttribute('aria-label') },
  };
});

test('native host with audio -> viewer: audio arrives, starts muted, the unmute button works', async () => {
  const page = await openPage(browser, `${server.url}/`);
  await page.fill('#pin', host.pin);
  await page.press('#pin', 'Enter');
  try {
    await waitFor(async () => (await framesDecoded(page)) > 0, 8000, 'framesDecoded > 0');
  } catch (e) {
    await screenshot(page, 'viewer-audio-FAILED');
    throw new Error(`${e.message}\nhost output:\n${tail(host.output)}`);
  }
  await waitFor(() => page.evaluate(() => window.ghostviewViewer.state === 'live'), 3000, 'state live');

  // The stream has both tracks, and Opus packets arrive.
  const audio = await waitFor(async () => {
    const a = await inboundAudio(page);
    return a && a.packetsReceived > 0 ? a : null;
  }, 5000, 'inbound-rtp audio packetsReceived > 0');
  log('inbound audio', JSON.stringify(audio));
  assert.match(audio.mimeType, /^audio\/opus$/i);
  let state = await mediaState(page);
  assert.deepEqual(state.audioTracks, ['live']);
  assert.equal(state.videoTracks, 1);

  // Muted at first (autoplay rules), with a labelled button to unmute.
  assert.equal(state.muted, true);
  assert.equal(state.paused, false);
  const unmute = page.getByRole('button', { name: 'Unmute audio' });
  assert.ok(await unmute.isVisible(), 'an "Unmute audio" button');
  assert.equal(await unmute.textContent(), 'Unmute');
  assert.match(await page.textContent('#toast'), /This share has sound/);
  await screenshot(page, 'viewer-audio-muted');

  // Keyboard: Tab reaches it, Enter unmutes; the video keeps playing.
  await page.focus('#request-control');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'mute', 'Tab from "Request control" reaches it');
  const muted = await inboundAudio(page);
  await page.keyboard.press('Enter');
  await waitFor(async () => !(await mediaState(page)).muted, 2000, 'unmuted');
  state = await mediaState(page);
  assert.equal(state.paused, false, 'unmuting does not stop the video');
  assert.deepEqual(state.button, { hidden: false, text: 'Mute', label: 'Mute audio' });
  assert.equal(await page.evaluate(() => document.activeElement.id), 'mute', 'focus stays on the button');

  // Audio keeps arriving and is decoded while unmuted.
  await waitFor(async () => {
    const a = await inboundAudio(page);
    return a.packetsReceived > muted.packetsReceived + 20 && a.totalSamplesReceived > muted.totalSamplesReceived;
  }, 3000, 'more audio packets and samples');
  // Played out, and not silence: the energy of what the page plays grows
  // (Chromium measures it after the element's volume: it stays 0 while muted).
  const energy = await waitFor(async () => {
    const a = await inboundAudio(page);
    return a.totalAudioEnergy > muted.totalAudioEnergy ? a.totalAudioEnergy : 0;
  }, 3000, 'audio energy to grow once unmuted');
  log(`audio energy ${muted.totalAudioEnergy.toFixed(4)} while muted, ${energy.toFixed(4)} once unmuted`);
  const frames = await framesDecoded(page);
  await waitFor(async () => (await framesDecoded(page)) > frames + 5, 3000, 'video frames after unmuting');
  await screenshot(page, 'viewer-audio-unmuted');

  // The mouse mutes again.
  await page.getByRole('button', { name: 'Mute audio' }).click();
  state = await mediaState(page);
  assert.equal(state.muted, true);
  assert.deepEqual(state.button, { hidden: false, text: 'Unmute', label: 'Unmute audio' });

  // The stats overlay lists the audio.
  await page.click('#toggle-stats');
  await page.waitForTimeout(1200);
  assert.match(await page.textContent('#stats'), /Audio\s*opus \d+ kbit\/s/i);

  // On a phone the extra button still fits: nothing wider than the screen.
  await page.setViewportSize({ width: 360, height: 740 });
  await page.waitForTimeout(200);
  const overflow = await page.evaluate(() => Math.max(...[...document.querySelectorAll('#session-actions .btn')]
    .filter((b) => !b.hidden).map((b) => b.getBoundingClientRect().right)) - window.innerWidth);
  assert.ok(overflow <= 0, `the buttons overflow a phone by ${overflow} px`);
  await screenshot(page, 'viewer-audio-phone');

  assert.deepEqual(page.problems, []);
  await page.click('#leave');
  assert.ok(await page.locator('#mute').isHidden(), 'no audio button after leaving');
  assert.equal(await page.evaluate(() => document.getElementById('video').muted), true);
});
