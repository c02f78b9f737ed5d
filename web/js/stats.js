// GhostView — the viewer's stats overlay: resolution, fps, bitrate and RTT
// from RTCPeerConnection.getStats(), once a second.
// SPDX-License-Identifier: LGPL-2.1-or-later

/** The figures the overlay shows, from one getStats() report (and the last). */
export function summarise(report, previous) {
  let inbound = null;
  let pair = null;
  let selectedPairId = '';
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') inbound = s;
    if (s.type === 'transport' && s.selectedCandidatePairId) selectedPairId = s.selectedCandidatePairId;
  });
  if (selectedPairId) pair = report.get(selectedPairId) || null;
  if (!pair) {
    report.forEach((s) => {
      if (s.type === 'candidate-pair' && s.state === 'succeeded' && (s.nominated || !pair)) pair = s;
    });
  }
  const now = inbound ? inbound.timestamp : performance.now();
  const out = {
    timestamp: now,
    bytesReceived: inbound ? inbound.bytesReceived || 0 : 0,
    framesDecoded: inbound ? inbound.framesDecoded || 0 : 0,
    width: inbound ? inbound.frameWidth || 0 : 0,
    height: inbound ? inbound.frameHeight || 0 : 0,
    fps: inbound && inbound.framesPerSecond != null ? inbound.framesPerSecond : null,
    bitrateKbps: null,
    rttMs: pair && pair.currentRoundTripTime != null ? pair.currentRoundTripTime * 1000 : null,
    packetsLost: inbound ? inbound.packetsLost || 0 : 0,
    codec: '',
  };
  if (inbound && inbound.codecId) {
    const codec = report.get(inbound.codecId);
    if (codec && codec.mimeType) out.codec = codec.mimeType.replace(/^video\//, '');
  }
  if (previous && now > previous.timestamp) {
    const seconds = (now - previous.timestamp) / 1000;
    out.bitrateKbps = ((out.bytesReceived - previous.bytesReceived) * 8) / 1000 / seconds;
    if (out.fps == null) out.fps = (out.framesDecoded - previous.framesDecoded) / seconds;
  }
  return out;
}

function formatLine(label, value) {
  const row = document.createElement('div');
  const k = document.createElement('span');
  k.className = 'k';
  k.textContent = label;
  const v = document.createElement('span');
  v.className = 'v';
  v.textContent = value;
  row.append(k, v);
  return row;
}

/** Polls `getPc()` once a second while shown, and writes into `element`. */
export class StatsOverlay {
  constructor(element, getPc) {
    this.element = element;
    this.getPc = getPc;
    this.timer = 0;
    this.last = null;
    this.latest = null;
  }

  get visible() {
    return !this.element.hidden;
  }

  toggle(force) {
    const show = force === undefined ? this.element.hidden : force;
    this.element.hidden = !show;
    clearInterval(this.timer);
    this.timer = 0;
    if (show) {
      this.timer = setInterval(() => this.refresh(), 1000);
      this.refresh();
    }
    return show;
  }

  async refresh() {
    const pc = this.getPc();
    if (!pc) return;
    let report;
    try {
      report = await pc.getStats();
    } catch {
      return;
    }
    const s = summarise(report, this.last);
    this.last = s;
    this.latest = s;
    const fmt = (v, digits, unit) => (v == null || !Number.isFinite(v) ? '–' : `${v.toFixed(digits)} ${unit}`);
    this.element.replaceChildren(
      formatLine('Resolution', s.width ? `${s.width}×${s.height}` : '–'),
      formatLine('Frame rate', fmt(s.fps, 0, 'fps')),
      formatLine('Bitrate', s.bitrateKbps == null ? '–'
        : s.bitrateKbps >= 1000 ? fmt(s.bitrateKbps / 1000, 2, 'Mbit/s') : fmt(s.bitrateKbps, 0, 'kbit/s')),
      formatLine('RTT', fmt(s.rttMs, 0, 'ms')),
      formatLine('Codec', s.codec || '–'),
      formatLine('Frames', String(s.framesDecoded)),
      formatLine('Lost', String(s.packetsLost)),
    );
  }

  stop() {
    this.toggle(false);
    this.last = null;
  }
}
