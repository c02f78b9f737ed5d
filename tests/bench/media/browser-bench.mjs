// GhostView media benchmarks — the browser viewer's side (issue 7, items 2
// and 6): headless Chromium opens the viewer page, types the PIN of a
// running host (stamped by gvclockstamp), presses Enter, and measures
//   - time to first frame: Enter keydown -> first requestVideoFrameCallback
//     on #video, and to the first frame at most 100 ms old;
//   - latency: the page's own LatencyReader (web/js/latency-reader.js, the
//     module the server serves at /js/latency-reader.js) on #video, after a
//     warm-up, for a fixed window.
// The page is not changed: the module is loaded with a dynamic import() from
// the page's own origin (allowed by its CSP, script-src 'self'); no inline
// script is added. Prints one JSON line per run: {"event":"rep", ...}.
// Run by run-media-bench.py; by hand:
//   node tests/bench/media/browser-bench.mjs --url http://127.0.0.1:PORT --pin 123456
// SPDX-License-Identifier: LGPL-2.1-or-later
import { parseArgs } from 'node:util';
import { launchBrowser, openPage, requireBrowser, waitFor } from '../../browser/lib/harness.mjs';

const FRESH_MS = 100;
const { values: opt } = parseArgs({
  options: {
    url: { type: 'string' },
    pin: { type: 'string' },
    reps: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '1.5' },
    seconds: { type: 'string', default: '4' },
  },
});
const emit = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

requireBrowser();
const browser = await launchBrowser();
try {
  for (let rep = 0; rep < Number(opt.reps); rep++) {
    const page = await openPage(browser, `${opt.url}/`);
    await page.evaluate(async (freshMs) => {
      const { LatencyReader } = await import('/js/latency-reader.js');
      const video = document.getElementById('video');
      const reader = new LatencyReader(video, { interval: 0 });
      const bench = { reader, enterAt: null, firstAt: null, firstAge: null, freshAt: null };
      window.__bench = bench;
      const readFrame = reader.readFrame.bind(reader);
      reader.readFrame = (shownAt, w, h) => {
        const n = reader.latenciesMs.length;
        if (bench.firstAt === null) bench.firstAt = performance.now();
        readFrame(shownAt, w, h);
        if (reader.latenciesMs.length > n) {
          const age = reader.latenciesMs[n];
          if (bench.firstAge === null) bench.firstAge = age;
          if (bench.freshAt === null && age <= freshMs) bench.freshAt = performance.now();
        }
      };
      document.getElementById('pin').addEventListener('keydown', (e) => {
        if (e.key === 'Enter' && bench.enterAt === null) bench.enterAt = performance.now();
      }, true);
      reader.start();
    }, FRESH_MS);
    await page.fill('#pin', opt.pin);
    await page.press('#pin', 'Enter');
    await waitFor(() => page.evaluate(() => window.__bench.firstAt !== null), 20000, 'first frame')
      .catch(async (e) => {
        const why = await page.evaluate(() => [window.ghostviewViewer.state,
          document.getElementById('join-error').textContent, document.getElementById('ended-text').textContent,
          document.getElementById('stage-text').textContent].join(' | '));
        throw new Error(`${e.message} (rep ${rep + 1}; page: ${why})`);
      });
    await waitFor(() => page.evaluate(() => window.__bench.freshAt !== null), 10000, 'a fresh frame')
      .catch(() => {});
    await sleep(Number(opt.warmup) * 1000);
    const t0 = await page.evaluate(() => {
      window.__bench.reader.reset();
      return Date.now();
    });
    await sleep(Number(opt.seconds) * 1000);
    const result = await page.evaluate(async () => {
      const b = window.__bench;
      const stats = b.reader.stats();
      const t1 = Date.now();
      let inbound = {};
      (await window.ghostviewViewer.pc.getStats()).forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') inbound = s;
      });
      return {
        stats, t1,
        ttff: b.firstAt - b.enterAt,
        fresh: b.freshAt === null ? null : b.freshAt - b.enterAt,
        firstAge: b.firstAge,
        framesDecoded: inbound.framesDecoded, framesDropped: inbound.framesDropped,
        jitterBufferDelayMs: inbound.jitterBufferEmittedCount
          ? (1000 * inbound.jitterBufferDelay) / inbound.jitterBufferEmittedCount : null,
        decoder: inbound.decoderImplementation,
        size: `${inbound.frameWidth}x${inbound.frameHeight}`,
      };
    });
    emit({
      event: 'rep', rep: rep + 1,
      ttff_ms: result.ttff, fresh_ms: result.fresh, first_age_ms: result.firstAge,
      count: result.stats.count, unreadable: result.stats.unreadable,
      p50: result.stats.p50, p95: result.stats.p95, max: result.stats.max,
      t0_ns: t0 * 1e6, t1_ns: result.t1 * 1e6,
      frames_decoded: result.framesDecoded, frames_dropped: result.framesDropped,
      jitter_buffer_delay_ms: result.jitterBufferDelayMs, decoder: result.decoder, size: result.size,
      problems: page.problems,
    });
    await page.click('#leave').catch(() => {});
    await page.close();
  }
} catch (e) {
  emit({ event: 'error', message: String(e && e.message ? e.message : e) });
  process.exitCode = 1;
} finally {
  await browser.close();
}
