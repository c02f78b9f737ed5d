// File transfer while the picture plays (issue 13's benchmark): a native
// host (720p30, a scrolling test picture, VP8 at 2 Mbit/s) and the viewer
// page in Chromium on this machine's loopback. Per run: the frames/s the
// page decodes with no transfer, then while it sends SIZE MiB to the host,
// then while the host sends SIZE MiB to it; each transfer's rate from the
// click (or the host's send-file) to the receiver's "done" (the sender
// reads the file's SHA-256 first; the receiver checks it at the end).
//   node tests/bench/files/run-file-bench.mjs [--size MIB] [--reps N]
// Prints a Markdown table (medians, ranges) and one JSON line per run.
// Needs what tests/browser needs (npm ci there, Debian's chromium, python3-gi).
// SPDX-License-Identifier: LGPL-2.1-or-later
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  framesDecoded, launchBrowser, openPage, startServer, waitFor,
} from '../../browser/lib/harness.mjs';
import { startPausableHost } from '../../browser/lib/pausable-host.mjs';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SIZE_MIB = arg('--size', 100);
const REPS = arg('--reps', 3);
const MIB = 1024 * 1024;

const work = mkdtempSync(path.join(tmpdir(), 'gv-file-bench-'));
const file = path.join(work, 'payload.bin');
{
  const parts = [];
  for (let left = SIZE_MIB * MIB; left > 0; left -= MIB) parts.push(randomBytes(Math.min(MIB, left)));
  writeFileSync(file, Buffer.concat(parts));
}
const sha = createHash('sha256').update(readFileSync(file)).digest('hex');

async function fpsOver(page, ms) {
  const f0 = await framesDecoded(page);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, ms));
  return ((await framesDecoded(page)) - f0) / ((Date.now() - t0) / 1000);
}

const server = await startServer();
const browser = await launchBrowser();
const runs = [];
try {
  for (let rep = 1; rep <= REPS; rep++) {
    const downloads = mkdtempSync(path.join(work, 'host-'));
    const host = await startPausableHost(
      'videotestsrc is-live=true pattern=smpte horizontal-speed=8 ! ' +
        'video/x-raw,width=1280,height=720,framerate=30/1 ! ' +
        `gvwebrtcsink name=webrtc signaller::server=${server.ws} ice-loopback=true ` +
        `signaller::max-viewers=4 allow=view+file download-dir=${downloads}`,
    );
    const page = await openPage(browser, `${server.url}/?pin=${host.pin}`);
    await page.click('#connect');
    await waitFor(async () => (await framesDecoded(page)) > 0, 15000, 'frames');
    await new Promise((r) => setTimeout(r, 2000)); // settle
    const idleFps = await fpsOver(page, 5000);

    const doneCount = () => (host.output.match(/gvwebrtcsink-file[^\n]*direction=\(string\)incoming[^\n]*state=\(string\)done/g) || []).length;
    let f0 = await framesDecoded(page);
    let t0 = Date.now();
    await page.setInputFiles('#file-input', file);
    await waitFor(() => doneCount() === 1, 300000, 'upload done');
    const upS = (Date.now() - t0) / 1000;
    const upFps = ((await framesDecoded(page)) - f0) / upS;
    const saved = host.output.match(/state=\(string\)done[^\n]*file=\(string\)"?([^",;]+)/)?.[1]
      || host.output.match(/file=\(string\)"?([^",;]+)[^\n]*state=\(string\)done/)?.[1];

    const peer = host.output.match(/gvwebrtcsink-file[^\n]*peer-id=\(string\)"?(\w+)/)[1];
    f0 = await framesDecoded(page);
    t0 = Date.now();
    await host.command(`emit webrtc send-file ${peer} ${file}`);
    await page.waitForSelector('.file-row[data-direction="incoming"][data-state="done"]', { timeout: 300000 });
    const downS = (Date.now() - t0) / 1000;
    const downFps = ((await framesDecoded(page)) - f0) / downS;
    // How often the host's file pace (plugins/webrtc/gvfilepace.h) halved
    // the file for the video's sake, and the pace it ended at.
    await host.command('get webrtc stats');
    // Nested structures come out escaped (file-pace\=\(guint64\)N); unescape.
    const stats = host.output.slice(host.output.lastIndexOf('value: webrtc.stats')).replace(/\\/g, '');
    const paceCuts = Number(stats.match(/file-pace-cuts=\(guint64\)(\d+)/)?.[1] ?? NaN);
    const paceMbps = Number(stats.match(/file-pace=\(guint64\)(\d+)/)?.[1] ?? NaN) / 1e6;
    const pageSha = await page.evaluate(() => window.ghostviewViewer.receivedSha256('payload.bin'));
    const hostSha = saved ? createHash('sha256').update(readFileSync(saved)).digest('hex') : '';

    const run = {
      rep, size_mib: SIZE_MIB, idle_fps: idleFps,
      up_s: upS, up_mib_s: SIZE_MIB / upS, up_fps: upFps, up_intact: hostSha === sha,
      down_s: downS, down_mib_s: SIZE_MIB / downS, down_fps: downFps, down_intact: pageSha === sha,
      down_pace_cuts: paceCuts, down_pace_end_mbit_s: paceMbps,
    };
    runs.push(run);
    process.stdout.write(`${JSON.stringify(run)}\n`);
    await page.close();
    await host.stop();
  }
} finally {
  await browser.close();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cell = (key, digits = 1) => {
  const xs = runs.map((r) => r[key]);
  return `**${median(xs).toFixed(digits)}** (${Math.min(...xs).toFixed(digits)} – ${Math.max(...xs).toFixed(digits)})`;
};
process.stdout.write(`
| ${SIZE_MIB} MiB, median of ${runs.length} | transfer rate | frames/s at the page meanwhile | intact |
|---|---|---|---|
| no transfer | — | ${cell('idle_fps')} | — |
| page → host | ${cell('up_mib_s')} MiB/s | ${cell('up_fps')} | ${runs.every((r) => r.up_intact) ? 'all' : 'NOT ALL'} |
| host → page | ${cell('down_mib_s')} MiB/s | ${cell('down_fps')} | ${runs.every((r) => r.down_intact) ? 'all' : 'NOT ALL'} |
`);
