// GhostView — the browser reader decodes what gvclockstamp writes.
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Usage: node reader-parity.mjs <web/js/latency-reader.js> <gst-launch-1.0>
// Runs gvclockstamp -> vp8enc -> vp8dec -> RGBA (as a browser would paint it)
// and decodes the frames with latency-reader.js's own functions, so the two
// sides of the code layout cannot drift apart. No browser needed.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const [readerPath, gstLaunch] = process.argv.slice(2);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gv-reader-parity-'));
// The reader is a browser ES module in a .js file; give node an .mjs copy.
fs.copyFileSync(readerPath, path.join(dir, 'latency-reader.mjs'));
const reader = await import(pathToFileURL(path.join(dir, 'latency-reader.mjs')).href);
const { decodeMeans, cellMeans, placeCode, encodeBits, crc16 } = reader;

let failures = 0;
function expect(ok, what) {
  console.log(`${ok ? 'ok' : 'FAIL'} - ${what}`);
  if (!ok) failures++;
}

expect(crc16(new TextEncoder().encode('123456789')) === 0x29b1, 'CRC-16/CCITT-FALSE check value');
const stamp = 1700000000123456789n;
const clean = Array.from(encodeBits(stamp), (b) => (b ? 235 : 16));
expect(decodeMeans(clean).stampNs === stamp, 'encodeBits/decodeMeans round trip');
const flipped = clean.slice();
flipped[50] = flipped[50] > 128 ? 16 : 235;
expect(decodeMeans(flipped).result === 'bad-checksum', 'a flipped stamp cell is a bad checksum');
expect(decodeMeans(new Array(96).fill(128)).result === 'no-code', 'a flat area is no code');

const W = 320;
const H = 240;
const FRAMES = 10;
const cases = [
  { corner: 'top-left', cellSize: 16 },
  { corner: 'bottom-right', cellSize: 12 },
];
for (const { corner, cellSize } of cases) {
  const out = path.join(dir, `${corner}.rgba`);
  const before = BigInt(Date.now() - 1) * 1000000n;
  execFileSync(gstLaunch, [
    '-q', 'videotestsrc', `num-buffers=${FRAMES}`, 'pattern=ball', '!',
    `video/x-raw,format=I420,width=${W},height=${H},framerate=30/1`, '!',
    'gvclockstamp', `corner=${corner}`, `cell-size=${cellSize}`, '!',
    'vp8enc', 'deadline=1', 'target-bitrate=250000', '!', 'vp8dec', '!',
    'videoconvert', '!', 'video/x-raw,format=RGBA', '!', 'filesink', `location=${out}`,
  ], { stdio: ['ignore', 'inherit', 'inherit'] });
  const after = BigInt(Date.now() + 1) * 1000000n;

  const raw = fs.readFileSync(out);
  const place = placeCode(W, H, corner, cellSize);
  let read = 0;
  let last = 0n;
  for (let f = 0; f < FRAMES; f++) {
    // Cut the grid out of the frame, as drawImage(video, x, y, w, h, ...) does.
    const grid = new Uint8ClampedArray(place.width * place.height * 4);
    for (let y = 0; y < place.height; y++) {
      const start = f * W * H * 4 + ((place.y + y) * W + place.x) * 4;
      grid.set(raw.subarray(start, start + place.width * 4), y * place.width * 4);
    }
    const decoded = decodeMeans(cellMeans({ data: grid, width: place.width }, cellSize));
    if (decoded.result === 'ok' && decoded.stampNs >= before && decoded.stampNs <= after &&
        decoded.stampNs >= last) {
      read++;
      last = decoded.stampNs;
    }
  }
  expect(read === FRAMES, `${corner} cell ${cellSize}: ${read}/${FRAMES} frames read in order`);
}

fs.rmSync(dir, { recursive: true, force: true });
process.exit(failures ? 1 : 0);
