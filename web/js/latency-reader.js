// GhostView — glass-to-glass latency reader for the browser viewer.
// SPDX-License-Identifier: LGPL-2.1-or-later
//
// Reads the clock code that the `gvclockstamp` element writes into every
// frame and reports the same figures as `gvclockcheck`: count, p50, p95,
// max (milliseconds) and the number of frames whose code did not read.
//
// Plain ES module, no dependencies. Usage:
//
//   import { LatencyReader } from './latency-reader.js';
//   const reader = new LatencyReader(videoElement, {
//     corner: 'top-left', cellSize: 16,          // as set on gvclockstamp
//     interval: 1000, onStats: (s) => console.log(s),
//   });
//   reader.start();
//   ... reader.stats() -> { count, unreadable, noCode, badChecksum,
//                           p50, p95, max, min, mean }
//   reader.stop();
//
// Same machine only: the stamp is the sender's CLOCK_REALTIME, so the page
// must run on the machine that stamps (both readings from one clock).
//
// How the code is read, per frame (requestVideoFrameCallback):
// - the grid (LAYOUT.columns x LAYOUT.rows cells of `cellSize` px) is copied
//   from the video's own pixels (videoWidth x videoHeight, not the size it is
//   shown at) with drawImage + getImageData; the code does not survive
//   scaling, so the stream must arrive at the size it was stamped;
// - each cell's brightness is the mean BT.601 luma of its middle half;
// - the threshold is half-way between the white and black sync cells' means,
//   which must differ by at least LAYOUT.minContrast, and every sync cell
//   must read right ("no code" otherwise); then the CRC must match ("bad
//   checksum" otherwise). Unreadable frames are counted, never guessed.
//
// Time: the stamp is nanoseconds since the Unix epoch. It is compared with
// performance.timeOrigin + metadata.expectedDisplayTime (when the frame is
// expected on screen; sub-millisecond), not Date.now() (whole milliseconds).
// That monotonic clock can drift from the wall clock in a long-lived page;
// start() and every interval compare it with Date.now() and correct for a
// drift of more than 2 ms, so figures stay within about 1 ms of the wall
// clock in the worst case.
//
// Percentiles use the nearest-rank method, as gvclockcheck does: the p-th
// percentile of n sorted samples is sample ceil(p/100 * n).

/**
 * The code layout: the one place on the browser side. It mirrors
 * plugins/latency/clockcode.h (documented in gvclockstamp's SECTION doc):
 * cell k (0..95) at column k % 12, row k / 12 from the grid's top-left
 * corner, white = 1; cells 0..15 the sync word (MSB first), 16..79 the stamp
 * (u64 ns since the Unix epoch, MSB first), 80..95 CRC-16/CCITT-FALSE of the
 * 8 stamp bytes, big-endian (MSB first).
 */
export const LAYOUT = Object.freeze({
  columns: 12,
  rows: 8,
  syncBits: 16,
  stampBits: 64,
  crcBits: 16,
  syncWord: 0xc5a3,
  minContrast: 64,
  defaultCellSize: 16,
  defaultCorner: 'top-left',
});

const CELLS = LAYOUT.columns * LAYOUT.rows;
const CORNERS = ['top-left', 'top-right', 'bottom-left', 'bottom-right'];

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of a byte array. */
export function crc16(bytes) {
  let crc = 0xffff;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let b = 0; b < 8; b++) {
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    }
  }
  return crc;
}

function stampBytes(stampNs) {
  const bytes = new Uint8Array(8);
  for (let i = 0; i < 8; i++) {
    bytes[i] = Number((stampNs >> BigInt(56 - 8 * i)) & 0xffn);
  }
  return bytes;
}

function syncBit(i) {
  return (LAYOUT.syncWord >> (LAYOUT.syncBits - 1 - i)) & 1;
}

/** The 96 cell bits (0/1) for a stamp (BigInt ns); for tests and tools. */
export function encodeBits(stampNs) {
  const bits = new Uint8Array(CELLS);
  const crc = crc16(stampBytes(stampNs));
  for (let i = 0; i < LAYOUT.syncBits; i++) bits[i] = syncBit(i);
  for (let i = 0; i < LAYOUT.stampBits; i++) {
    bits[LAYOUT.syncBits + i] = Number((stampNs >> BigInt(LAYOUT.stampBits - 1 - i)) & 1n);
  }
  for (let i = 0; i < LAYOUT.crcBits; i++) {
    bits[LAYOUT.syncBits + LAYOUT.stampBits + i] = (crc >> (LAYOUT.crcBits - 1 - i)) & 1;
  }
  return bits;
}

/**
 * Decodes per-cell brightness means (0..255, 96 of them).
 * @returns {{result: 'ok', stampNs: bigint} | {result: 'no-code'} | {result: 'bad-checksum'}}
 */
export function decodeMeans(means) {
  let white = 0;
  let black = 0;
  let nWhite = 0;
  let nBlack = 0;
  for (let i = 0; i < LAYOUT.syncBits; i++) {
    if (syncBit(i)) {
      white += means[i];
      nWhite++;
    } else {
      black += means[i];
      nBlack++;
    }
  }
  white /= nWhite;
  black /= nBlack;
  if (!(white - black >= LAYOUT.minContrast)) return { result: 'no-code' };

  const threshold = (white + black) / 2;
  for (let i = 0; i < LAYOUT.syncBits; i++) {
    if ((means[i] > threshold ? 1 : 0) !== syncBit(i)) return { result: 'no-code' };
  }
  let stampNs = 0n;
  for (let i = 0; i < LAYOUT.stampBits; i++) {
    stampNs = (stampNs << 1n) | (means[LAYOUT.syncBits + i] > threshold ? 1n : 0n);
  }
  let crc = 0;
  for (let i = 0; i < LAYOUT.crcBits; i++) {
    crc = (crc << 1) | (means[LAYOUT.syncBits + LAYOUT.stampBits + i] > threshold ? 1 : 0);
  }
  if (crc !== crc16(stampBytes(stampNs))) return { result: 'bad-checksum' };
  return { result: 'ok', stampNs };
}

/**
 * Cell means from RGBA pixels of the code grid alone (an ImageData or
 * {data, width}), its top-left at (0, 0).
 */
export function cellMeans(image, cellSize) {
  const { data, width } = image;
  const margin = Math.floor(cellSize / 4);
  const inner = cellSize - 2 * margin;
  const means = new Float64Array(CELLS);
  for (let k = 0; k < CELLS; k++) {
    const x0 = (k % LAYOUT.columns) * cellSize + margin;
    const y0 = Math.floor(k / LAYOUT.columns) * cellSize + margin;
    let sum = 0;
    for (let y = y0; y < y0 + inner; y++) {
      let p = (y * width + x0) * 4;
      for (let x = 0; x < inner; x++, p += 4) {
        sum += 0.299 * data[p] + 0.587 * data[p + 1] + 0.114 * data[p + 2];
      }
    }
    means[k] = sum / (inner * inner);
  }
  return means;
}

/** Where the grid sits in a frame; null when it does not fit. */
export function placeCode(frameWidth, frameHeight, corner, cellSize) {
  const w = LAYOUT.columns * cellSize;
  const h = LAYOUT.rows * cellSize;
  if (w > frameWidth || h > frameHeight) return null;
  return {
    x: corner.endsWith('right') ? frameWidth - w : 0,
    y: corner.startsWith('bottom') ? frameHeight - h : 0,
    width: w,
    height: h,
  };
}

function nearestRank(sorted, percent) {
  const rank = Math.min(Math.max(Math.ceil((percent / 100) * sorted.length), 1), sorted.length);
  return sorted[rank - 1];
}

/** Reads the clock code from a <video> element's frames. */
export class LatencyReader {
  /**
   * @param {HTMLVideoElement} video
   * @param {{corner?: string, cellSize?: number, interval?: number,
   *          onStats?: (stats: object) => void}} [options]
   *   corner and cellSize as set on gvclockstamp; onStats is called every
   *   `interval` ms (default 1000; 0 = never) while frames arrive, and once
   *   from stop().
   */
  constructor(video, options = {}) {
    const {
      corner = LAYOUT.defaultCorner,
      cellSize = LAYOUT.defaultCellSize,
      interval = 1000,
      onStats = null,
    } = options;
    if (!CORNERS.includes(corner)) throw new RangeError(`corner must be one of ${CORNERS}`);
    if (!Number.isInteger(cellSize) || cellSize < 4 || cellSize > 256) {
      throw new RangeError('cellSize must be an integer from 4 to 256');
    }
    this.video = video;
    this.corner = corner;
    this.cellSize = cellSize;
    this.interval = interval;
    this.onStats = onStats;
    this.canvas = null;
    this.context = null;
    this.callbackId = null;
    this.lastReport = 0;
    this.clockOffsetMs = 0;
    this.reset();
  }

  /** Forgets all samples and counts. */
  reset() {
    this.latenciesMs = [];
    this.noCode = 0;
    this.badChecksum = 0;
  }

  start() {
    if (this.callbackId !== null) return;
    if (typeof this.video.requestVideoFrameCallback !== 'function') {
      throw new Error('requestVideoFrameCallback is not supported by this browser');
    }
    const width = LAYOUT.columns * this.cellSize;
    const height = LAYOUT.rows * this.cellSize;
    this.canvas =
      typeof OffscreenCanvas === 'function'
        ? new OffscreenCanvas(width, height)
        : Object.assign(document.createElement('canvas'), { width, height });
    this.context = this.canvas.getContext('2d', { willReadFrequently: true, alpha: false });
    this.calibrateClock();
    this.lastReport = performance.now();
    this.callbackId = this.video.requestVideoFrameCallback((now, metadata) =>
      this.onFrame(now, metadata),
    );
  }

  stop() {
    if (this.callbackId === null) return;
    this.video.cancelVideoFrameCallback(this.callbackId);
    this.callbackId = null;
    if (this.onStats) this.onStats(this.stats());
  }

  /** Figures since start (or reset); latencies in ms, 0 when count is 0. */
  stats() {
    const sorted = Float64Array.from(this.latenciesMs).sort();
    const count = sorted.length;
    const sum = sorted.reduce((a, b) => a + b, 0);
    return {
      count,
      unreadable: this.noCode + this.badChecksum,
      noCode: this.noCode,
      badChecksum: this.badChecksum,
      p50: count ? nearestRank(sorted, 50) : 0,
      p95: count ? nearestRank(sorted, 95) : 0,
      max: count ? sorted[count - 1] : 0,
      min: count ? sorted[0] : 0,
      mean: count ? sum / count : 0,
    };
  }

  // Wall-clock "now" in ms with sub-ms resolution for a DOMHighResTimeStamp.
  wallClockMs(highRes) {
    return performance.timeOrigin + highRes + this.clockOffsetMs;
  }

  calibrateClock() {
    // Date.now() truncates to whole ms: its true value lies in [d, d + 1).
    const drift = Date.now() - (performance.timeOrigin + performance.now());
    this.clockOffsetMs = Math.abs(drift) > 2 ? drift + 0.5 : 0;
  }

  onFrame(now, metadata) {
    this.callbackId = this.video.requestVideoFrameCallback((n, m) => this.onFrame(n, m));
    const shownAt = this.wallClockMs(metadata.expectedDisplayTime ?? now);
    this.readFrame(shownAt, metadata.width ?? this.video.videoWidth,
      metadata.height ?? this.video.videoHeight);

    if (this.interval > 0 && now - this.lastReport >= this.interval) {
      this.lastReport = now;
      this.calibrateClock();
      if (this.onStats) this.onStats(this.stats());
    }
  }

  readFrame(shownAtMs, frameWidth, frameHeight) {
    const place = placeCode(frameWidth, frameHeight, this.corner, this.cellSize);
    if (!place) {
      this.noCode++;
      return;
    }
    this.context.drawImage(this.video, place.x, place.y, place.width, place.height, 0, 0,
      place.width, place.height);
    const image = this.context.getImageData(0, 0, place.width, place.height);
    const decoded = decodeMeans(cellMeans(image, this.cellSize));
    if (decoded.result === 'no-code') {
      this.noCode++;
    } else if (decoded.result === 'bad-checksum') {
      this.badChecksum++;
    } else {
      // ns -> whole µs as a BigInt first: ns since 1970 exceed 2^53.
      const stampMs = Number(decoded.stampNs / 1000n) / 1000;
      this.latenciesMs.push(shownAtMs - stampMs);
    }
  }
}
