// File transfer while the picture plays (issue 13's benchmark): a native
// host (720p30, a scrolling test picture, VP8 at 2 Mbit/s) on this
// machine's loopback, with each of its two kinds of viewer in turn: the
// viewer page in Chromium, and a native viewer (gvwebrtcsrc, as `ghostview
// view` runs it, its picture timed by a synchronised sink). Per run and
// viewer: the frames/s the viewer shows with no transfer, then while it
// sends SIZE MiB to the host, then while the host sends SIZE MiB to it;
// each transfer's rate from the click (the page), the send-file action (the
// native viewer) or the host's send-file to the receiver's "done" (the
// sender reads the file's SHA-256 first; the receiver checks it at the end).
//   node tests/bench/files/run-file-bench.mjs [--size MIB] [--reps N] [--viewer page|native|both]
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
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SIZE_MIB = Number(arg('--size', 100));
const REPS = Number(arg('--reps', 3));
const VIEWERS = { page: ['page'], native: ['native'], both: ['page', 'native'] }[arg('--viewer', 'both')];
if (!VIEWERS) throw new Error('--viewer: page, native or both');
const MIB = 1024 * 1024;

const work = mkdtempSync(path.join(tmpdir(), 'gv-file-bench-'));
const file = path.join(work, 'payload.bin');
{
  const parts = [];
  for (let left = SIZE_MIB * MIB; left > 0; left -= MIB) parts.push(randomBytes(Math.min(MIB, left)));
  writeFileSync(file, Buffer.concat(parts));
}
const sha = createHash('sha256').update(readFileSync(file)).digest('hex');
const shaOf = (saved) => (saved ? createHash('sha256').update(readFileSync(saved)).digest('hex') : '');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const startHost = (server, downloads) => startPausableHost(
  'videotestsrc is-live=true pattern=smpte horizontal-speed=8 ! ' +
    'video/x-raw,width=1280,height=720,framerate=30/1 ! ' +
    `gvwebrtcsink name=webrtc signaller::server=${server.ws} ice-loopback=true ` +
    `signaller::max-viewers=4 allow=view+file download-dir=${downloads}`,
);

// How many of a pipeline's element messages named `kind` say a file went
// `direction` and is done, and the file the last one names.
const filesDone = (proc, kind, direction) => {
  const lines = proc.output.split('\n').filter((l) => l.includes(`${kind},`)
    && l.includes(`direction=(string)${direction}`) && l.includes('state=(string)done'));
  const saved = lines.at(-1)?.match(/file=\(string\)"?([^",;]+)/)?.[1];
  return { count: lines.length, saved };
};

// How often the host's file pace (plugins/webrtc/gvfilepace.h) halved the
// file for the video's sake, and the pace it ended at.
async function hostPace(host) {
  await host.command('get webrtc stats');
  // Nested structures come out escaped (file-pace\=\(guint64\)N); unescape.
  const stats = host.output.slice(host.output.lastIndexOf('value: webrtc.stats')).replace(/\\/g, '');
  return {
    down_pace_cuts: Number(stats.match(/file-pace-cuts=\(guint64\)(\d+)/)?.[1] ?? NaN),
    down_pace_end_mbit_s: Number(stats.match(/file-pace=\(guint64\)(\d+)/)?.[1] ?? NaN) / 1e6,
  };
}

async function timed(frames, start, done) {
  const f0 = await frames();
  const t0 = Date.now();
  await start();
  await done();
  const s = (Date.now() - t0) / 1000;
  return { s, fps: ((await frames()) - f0) / s };
}

async function fpsOf(frames, ms) {
  const f0 = await frames();
  const t0 = Date.now();
  await sleep(ms);
  return ((await frames()) - f0) / ((Date.now() - t0) / 1000);
}

// One run with a viewer that shows `frames ()`: its frames/s alone, while
// `upload ()` sends the file to the host, and while the host sends it back
// until `downloaded ()`; `downloadedSha ()` is the SHA-256 of the viewer's copy.
async function measure(rep, viewer, host, frames, { upload, downloaded, downloadedSha }) {
  await waitFor(async () => (await frames()) > 0, 15000, 'frames');
  await sleep(2000); // settle
  const idleFps = await fpsOf(frames, 5000);
  const up = await timed(frames, upload,
    () => waitFor(() => filesDone(host, 'gvwebrtcsink-file', 'incoming').count === 1, 300000, 'upload done'));
  const peer = host.output.match(/gvwebrtcsink-file[^\n]*peer-id=\(string\)"?(\w+)/)[1];
  const down = await timed(frames, () => host.command(`emit webrtc send-file ${peer} ${file}`), downloaded);
  return {
    rep, viewer, size_mib: SIZE_MIB, idle_fps: idleFps,
    up_s: up.s, up_mib_s: SIZE_MIB / up.s, up_fps: up.fps,
    up_intact: shaOf(filesDone(host, 'gvwebrtcsink-file', 'incoming').saved) === sha,
    down_s: down.s, down_mib_s: SIZE_MIB / down.s, down_fps: down.fps,
    down_intact: (await downloadedSha()) === sha,
    ...(await hostPace(host)),
  };
}

async function pageRun(rep, server, browser) {
  const downloads = mkdtempSync(path.join(work, 'host-'));
  const host = await startHost(server, downloads);
  const page = await openPage(browser, `${server.url}/?pin=${host.pin}`);
  try {
    await page.click('#connect');
    return await measure(rep, 'page', host, () => framesDecoded(page), {
      upload: () => page.setInputFiles('#file-input', file),
      downloaded: () => page.waitForSelector('.file-row[data-direction="incoming"][data-state="done"]',
        { timeout: 300000 }),
      downloadedSha: () => page.evaluate(() => window.ghostviewViewer.receivedSha256('payload.bin')),
    });
  } finally {
    await page.close();
    await host.stop();
  }
}

// The native viewer: gvwebrtcsrc with a download folder, its picture into
// a sink that keeps time (sync=true) and counts what it showed.
async function nativeRun(rep, server) {
  const downloads = mkdtempSync(path.join(work, 'host-'));
  const received = mkdtempSync(path.join(work, 'viewer-'));
  const host = await startHost(server, downloads);
  let viewer = null;
  try {
    viewer = await startPausableHost(
      `gvwebrtcsrc name=src signaller::server=${server.ws} pin=${host.pin} ice-loopback=true ` +
        `download-dir=${received} src.video_0 ! queue ! videoconvert ! ` +
        'fpsdisplaysink name=fps video-sink=fakesink text-overlay=false sync=true',
      { ready: /Got message #1 / },
    );
    const frames = async () => {
      await viewer.command('get fps frames-rendered');
      return Number([...viewer.output.matchAll(/value: fps\.frames-rendered = (\d+)/g)].at(-1)[1]);
    };
    return await measure(rep, 'native', host, frames, {
      upload: () => viewer.command(`emit src send-file ${file}`),
      downloaded: () => waitFor(() => filesDone(viewer, 'gvwebrtcsrc-file', 'incoming').count === 1,
        300000, 'download done'),
      downloadedSha: async () => shaOf(filesDone(viewer, 'gvwebrtcsrc-file', 'incoming').saved),
    });
  } finally {
    if (viewer) await viewer.stop();
    await host.stop();
  }
}

const server = await startServer();
const browser = VIEWERS.includes('page') ? await launchBrowser() : null;
const runs = [];
try {
  for (let rep = 1; rep <= REPS; rep++) {
    for (const viewer of VIEWERS) {
      const run = viewer === 'page' ? await pageRun(rep, server, browser) : await nativeRun(rep, server);
      runs.push(run);
      process.stdout.write(`${JSON.stringify(run)}\n`);
    }
  }
} finally {
  if (browser) await browser.close();
  await server.stop();
  rmSync(work, { recursive: true, force: true });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Median (range) of `key` over `rs`, times `scale`.
const cell = (rs, key, scale = 1, digits = 1) => {
  const xs = rs.map((r) => r[key] * scale);
  return `**${median(xs).toFixed(digits)}** (${Math.min(...xs).toFixed(digits)} – ${Math.max(...xs).toFixed(digits)})`;
};
const intact = (rs, key) => (rs.every((r) => r[key]) ? 'all' : 'NOT ALL');
process.stdout.write(`
| ${SIZE_MIB} MiB, median of ${REPS} (range) | transfer rate | frames/s at the viewer meanwhile | intact |
|---|---|---|---|
`);
for (const viewer of VIEWERS) {
  const rs = runs.filter((r) => r.viewer === viewer);
  const who = viewer === 'page' ? 'page' : 'native viewer';
  process.stdout.write(`| ${who}: no transfer | — | ${cell(rs, 'idle_fps')} | — |
| ${who} → host | ${cell(rs, 'up_mib_s')} MiB/s = ${cell(rs, 'up_mib_s', MIB / 1e6)} MB/s | ${cell(rs, 'up_fps')} | ${intact(rs, 'up_intact')} |
| host → ${who} | ${cell(rs, 'down_mib_s')} MiB/s = ${cell(rs, 'down_mib_s', MIB / 1e6)} MB/s | ${cell(rs, 'down_fps')} | ${intact(rs, 'down_intact')} |
`);
}
