// GhostView — the viewer's stats overlay: resolution, fps, bitrate and RTT
// (and the audio's codec and bitrate when there is audio) from
// RTCPeerConnection.getStats(), once a second; and the link as the host
// sees it (its estimate, the picture size it sends), from its link reports.
// SPDX-License-Identifier: LGPL-2.1-or-later

/** The figures the overlay shows, from one getStats() report (and the last). */
export function summarise(report, previous) {
  let inbound = null;
  let audio = null;
  let pair = null;
  let selectedPairId = '';
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') inbound = s;
    if (s.type === 'inbound-rtp' && s.kind === 'audio') audio = s;
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
    // null when the host sends no audio
    audio: audio ? {
      timestamp: audio.timestamp,
      bytesReceived: audio.bytesReceived || 0,
      packetsReceived: audio.packetsReceived || 0,
      codec: '',
      bitrateKbps: null,
    } : null,
  };
  const mime = (stat) => {
    const codec = stat && stat.codecId ? report.get(stat.codecId) : null;
    return codec && codec.mimeType ? codec.mimeType.replace(/^(video|audio)\//, '') : '';
  };
  out.codec = mime(inbound);
  if (out.audio) out.audio.codec = mime(audio);
  if (previous && now > previous.timestamp) {
    const seconds = (now - previous.timestamp) / 1000;
    out.bitrateKbps = ((out.bytesReceived - previous.bytesReceived) * 8) / 1000 / seconds;
    if (out.fps == null) out.fps = (out.framesDecoded - previous.framesDecoded) / seconds;
  }
  const a = out.audio;
  const pa = previous && previous.audio;
  if (a && pa && a.timestamp > pa.timestamp) {
    a.bitrateKbps = ((a.bytesReceived - pa.bytesReceived) * 8) / (a.timestamp - pa.timestamp);
  }
  return out;
}

// The host's video layers (protocol.js HostField.LAYER), for people.
const LAYER_WORDS = ['Full size', 'Half size', 'Quarter size'];

/** A link report (protocol.js parseHostMessage) as "1.4 Mbit/s · Full size". */
export function linkText(link) {
  const bps = link.estimate;
  const rate = bps >= 1e6 ? `${(bps / 1e6).toFixed(1)} Mbit/s` : `${Math.round(bps / 1e3)} kbit/s`;
  const layer = LAYER_WORDS[link.layer];
  return layer ? `${rate} · ${layer}` : rate;
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
    this.link = null; // the host's last link report; none before its first
    this.linkLine = null;
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

  /** The host's link report, shown at once (and kept for each refresh). */
  setLink(link) {
    this.link = link;
    this.linkLine ||= formatLine('Link', '');
    this.linkLine.lastChild.textContent = linkText(link);
    if (this.visible && !this.linkLine.isConnected) this.element.append(this.linkLine);
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
    const rate = (kbps) => (kbps == null ? '–'
      : kbps >= 1000 ? fmt(kbps / 1000, 2, 'Mbit/s') : fmt(kbps, 0, 'kbit/s'));
    const lines = [
      formatLine('Resolution', s.width ? `${s.width}×${s.height}` : '–'),
      formatLine('Frame rate', fmt(s.fps, 0, 'fps')),
      formatLine('Bitrate', rate(s.bitrateKbps)),
      formatLine('RTT', fmt(s.rttMs, 0, 'ms')),
      formatLine('Codec', s.codec || '–'),
      formatLine('Frames', String(s.framesDecoded)),
      formatLine('Lost', String(s.packetsLost)),
    ];
    if (s.audio) lines.push(formatLine('Audio', `${s.audio.codec || '–'} ${rate(s.audio.bitrateKbps)}`));
    if (this.linkLine) lines.push(this.linkLine);
    this.element.replaceChildren(...lines);
  }

  stop() {
    this.toggle(false);
    this.last = null;
    this.link = null;
    this.linkLine = null;
  }
}
