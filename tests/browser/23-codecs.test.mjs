// Browsers x host codecs: for each browser (Chromium through playwright-core,
// Firefox ESR through lib/firefox.mjs) and each codec of the native host
// (`ghostview host --source test --codec vp8|vp9|h264`, its pipeline run by
// gst-launch-1.0), a viewer joins by PIN and must see frames within 10 s,
// decoded in the configured codec or in the host's fallback (VP8: the host
// offers its codec and the fallback, the viewer's answer picks), go Live and
// keep receiving frames. One line per cell is printed (CODECS | browser |
// host codec | decoded codec | first frame ms after the host accepted |
// result) for the README's table; first frames are about 1 s on loopback,
// printed, not asserted tightly. Firefox cells are skipped (not failed) where
// Firefox cannot run (lib/firefox.mjs says why).
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, test } from 'node:test';
import { firefoxUnavailable, launchFirefox, openFirefoxPage } from './lib/firefox.mjs';
import { frameClock, inboundVideo, installFrameClock } from './lib/frames.mjs';
import {
  buildDir, gstEnv, launchBrowser, log, openPage, requireBrowser, requireGstElements, screenshot, skip,
  startNativeHost, startServer, tail, waitFor,
} from './lib/harness.mjs';

requireBrowser();
requireGstElements('gvwebrtcsink', 'gvinputinject', 'videotestsrc', 'vp8enc', 'vp9enc', 'x264enc');
const launcher = path.join(buildDir, 'tools', 'ghostview');
if (!existsSync(launcher)) skip(`the ghostview launcher is not built (${launcher})`);

const CODECS = [
  { name: 'vp8', mime: 'video/VP8' },
  { name: 'vp9', mime: 'video/VP9' },
  { name: 'h264', mime: 'video/H264' },
];
const FALLBACK = 'video/VP8';
const FRAMES_WITHIN_MS = 10000;

// One browser at a time (2 cores): each is opened for its cells and closed after them.
const BROWSERS = [
  {
    name: 'chromium',
    unavailable: () => '',
    async start() {
      const browser = await launchBrowser();
      const server = await startServer();
      return {
        server,
        hostArgs: 'ice-loopback=true',
        open: (url) => openPage(browser, url),
        async typePin(page, pin) {
          await page.fill('#pin', pin);
          await page.press('#pin', 'Enter');
        },
        async stop() {
          await browser.close();
          await server.stop();
        },
      };
    },
  },
  {
    name: 'firefox',
    unavailable: firefoxUnavailable,
    async start() {
      const ff = await launchFirefox();
      const server = await startServer([], { address: ff.serverAddress });
      return {
        server,
        hostArgs: '',
        open: (url) => openFirefoxPage(ff, url),
        async typePin(page, pin) {
          await page.type('#pin', pin);
          await page.keyboard.press('Enter');
        },
        async stop() {
          await ff.close();
          await server.stop();
        },
      };
    },
  },
];

/**
 * The host `ghostview host --source test --codec CODEC` runs (its
 * --print-pipeline: 1280x720 at 30 fps, three quality layers, 2 Mbit/s), run
 * here by gst-launch-1.0 so that the harness reads its PIN.
 */
function hostPipeline(ws, codec) {
  const r = spawnSync(launcher, ['host', '--source', 'test', '--codec', codec, '--server', ws, '--print-pipeline'],
    { env: gstEnv(), encoding: 'utf8', timeout: 20000 });
  if (r.status !== 0) throw new Error(`ghostview host --print-pipeline failed: ${r.stderr}`);
  return r.stdout.trim();
}

const table = [];
let running = null; // { name, session }

async function session(browser) {
  if (running?.name === browser.name) return running.session;
  if (running) await running.session.stop();
  running = { name: browser.name, session: await browser.start() };
  return running.session;
}

after(async () => {
  await running?.session.stop();
  process.stdout.write('\nCODECS | browser | host codec | decoded codec | first frame after accept | result\n');
  for (const row of table) {
    process.stdout.write(`CODECS | ${row.browser} | ${row.codec} | ${row.decoded ?? '-'} | ` +
      `${row.firstFrameMs ?? '-'} ms | ${row.result}\n`);
  }
});

for (const browser of BROWSERS) {
  const why = browser.unavailable();
  for (const codec of CODECS) {
    test(`${browser.name} viewer, host codec ${codec.name}: frames within 10 s`, { skip: why || false }, async () => {
      const row = { browser: browser.name, codec: codec.name, decoded: null, firstFrameMs: null, result: 'FAIL' };
      table.push(row);
      const s = await session(browser);
      const host = await startNativeHost(`${hostPipeline(s.server.ws, codec.name)} ${s.hostArgs}`);
      let page;
      try {
        page = await s.open(`${s.server.url}/`);
        await installFrameClock(page);
        await s.typePin(page, host.pin);
        try {
          await waitFor(async () => (await frameClock(page)).frames > 0 && (await inboundVideo(page)).framesDecoded > 0,
            FRAMES_WITHIN_MS, 'frames decoded and presented');
        } catch (e) {
          const state = await page.evaluate(() => `${window.ghostviewViewer.state}: ` +
            `"${document.getElementById('status').textContent}" / "${document.getElementById('stage-text')?.textContent ?? ''}"`);
          const video = await inboundVideo(page);
          row.decoded = video.codec;
          row.result = `no frames in 10 s (page ${state}; receiving ${video.codec ?? 'no codec'})`;
          await screenshot(page, `codecs-${browser.name}-${codec.name}-FAILED`);
          throw new Error(`${e.message}; page ${state}; inbound ${JSON.stringify(video)}\nhost output:\n${tail(host.output, 12)}`);
        }
        const clock = await frameClock(page);
        const video = await inboundVideo(page);
        row.decoded = video.codec;
        row.firstFrameMs = clock.acceptedToFirstFrameMs;
        log(`${browser.name} ${codec.name}: decoded ${video.codec}, first frame ${clock.acceptedToFirstFrameMs} ms ` +
          `after the host accepted (${clock.enterToFirstFrameMs} ms after Enter)`);
        assert.ok([codec.mime, FALLBACK].includes(video.codec),
          `decoded ${video.codec}: neither the configured ${codec.mime} nor the fallback ${FALLBACK}`);
        await waitFor(() => page.evaluate(() => window.ghostviewViewer.state === 'live'), 3000, 'the page says Live');
        // Frames keep coming (not one keyframe and silence).
        const v0 = await inboundVideo(page);
        await waitFor(async () => (await inboundVideo(page)).framesDecoded >= v0.framesDecoded + 10, 3000,
          '10 more frames').catch(async (e) => {
          row.result = 'frames stopped';
          throw new Error(`${e.message}: ${JSON.stringify(v0)} -> ${JSON.stringify(await inboundVideo(page))}\n` +
            `host output:\n${tail(host.output, 12)}`);
        });
        row.result = video.codec === codec.mime ? 'ok' : 'ok (fallback)';
      } finally {
        if (page) await page.close().catch(() => {});
        await host.stop();
      }
    });
  }
}
