// GhostView — why the viewer sees no picture, from what the page can observe:
// the host's offer and our answer (which video codecs), the peer
// connection's state, and getStats (video payload received, frames decoded).
// No silent stalls: when no frame has decoded a bounded time after the host
// accepted (or frames stop for that long after playing), the page says why
// in words a viewer understands, and reports it to the host.
// Pure: no DOM, no timers, time passed in; tests/web/diagnose.test.mjs.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { Problem } from './protocol.js';

export const DEFAULT_STALL_SECONDS = 10;
export const MAX_STALL_SECONDS = 300;

/** The stall time, seconds: `?stall=N` in the page's query (tests), else 10. */
export function stallSeconds(search = '') {
  const text = new URLSearchParams(search).get('stall');
  const v = Number(text);
  return text && Number.isFinite(v) && v >= 1 && v <= MAX_STALL_SECONDS ? v : DEFAULT_STALL_SECONDS;
}

// Payload formats that carry no picture of their own.
const HELPER_CODECS = new Set(['RTX', 'RED', 'ULPFEC', 'FLEXFEC-03', 'CN', 'TELEPHONE-EVENT']);
const isPicture = (name) => !!name && !HELPER_CODECS.has(name);
const unique = (list) => [...new Set(list)];

/**
 * The video sections of an SDP text: [{mid, rejected, codecs}], `codecs`
 * the picture codecs' RTP names (upper case, "H264", "VP8"...) in the
 * section's order. A section is rejected when its port is 0 and it is not
 * in a BUNDLE group (a bundled section may carry port 0).
 */
export function videoSections(sdp) {
  const sections = [];
  const bundled = new Set();
  let current = null;
  for (const line of String(sdp || '').split(/\r?\n/)) {
    if (line.startsWith('a=group:BUNDLE ')) {
      for (const mid of line.slice(15).trim().split(/\s+/)) bundled.add(mid);
    } else if (line.startsWith('m=')) {
      const [media, port] = line.slice(2).split(' ');
      current = media === 'video' ? { mid: '', port: Number(port), codecs: [] } : null;
      if (current) sections.push(current);
    } else if (current && line.startsWith('a=mid:')) {
      current.mid = line.slice(6).trim();
    } else if (current && line.startsWith('a=rtpmap:')) {
      const m = /^a=rtpmap:\d+ ([^/\s]+)/.exec(line);
      if (m) current.codecs.push(m[1].toUpperCase());
    }
  }
  return sections.map(({ mid, port, codecs }) => ({
    mid,
    rejected: port === 0 && !bundled.has(mid),
    codecs: unique(codecs.filter(isPicture)),
  }));
}

/** The video codecs of an SDP's sections that are not rejected. */
export function offeredVideoCodecs(sdp) {
  return unique(videoSections(sdp).filter((s) => !s.rejected).flatMap((s) => s.codecs));
}

/** The picture codecs of RTCRtpReceiver.getCapabilities('video'), by RTP name. */
export function capabilityCodecs(capabilities) {
  const codecs = capabilities && Array.isArray(capabilities.codecs) ? capabilities.codecs : [];
  return unique(codecs.map((c) => String(c.mimeType || '').replace(/^video\//i, '').toUpperCase()).filter(isPicture));
}

/**
 * Right after setRemoteDescription(offer): when this browser decodes none
 * of the offered video codecs (`decodable`: capabilityCodecs()),
 * {problem: NO_COMMON_CODEC, codecs: offered}; else null. Says nothing when
 * the browser's list is unknown (empty).
 */
export function offerProblem(offerSdp, decodable) {
  const offered = offeredVideoCodecs(offerSdp);
  if (!offered.length || !decodable || !decodable.length) return null;
  if (offered.some((c) => decodable.includes(c))) return null;
  return { problem: Problem.NO_COMMON_CODEC, codecs: offered };
}

/**
 * After createAnswer(): when the answer takes no video codec (its video
 * sections rejected or empty: what a browser does when it decodes none of
 * the offered ones, or its codec preferences refuse them all),
 * {problem: NO_COMMON_CODEC, codecs: the offer's}; else null.
 */
export function answerProblem(answerSdp, offerSdp) {
  const sections = videoSections(answerSdp);
  if (!sections.length) return null; // no video offered at all
  if (sections.some((s) => !s.rejected && s.codecs.length)) return null;
  return { problem: Problem.NO_COMMON_CODEC, codecs: offeredVideoCodecs(offerSdp) };
}

/** The video codec an answer takes (its first), or ''. */
export function answerCodec(answerSdp) {
  return offeredVideoCodecs(answerSdp)[0] || '';
}

/**
 * From one getStats() report (a Map of stats): the video inbound-rtp's new
 * payload bytes (bytesReceived less retransmitted bytes: a sender probes
 * its link by resending old packets, even with nothing new to send),
 * framesDecoded, and the codec's RTP name ("VP8"); zeros without one.
 */
export function videoReceived(report) {
  let inbound = null;
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') inbound = s;
  });
  if (!inbound) return { bytesReceived: 0, framesDecoded: 0, codec: '' };
  const codec = inbound.codecId && report.get(inbound.codecId);
  return {
    bytesReceived: Math.max(0, (inbound.bytesReceived || 0) - (inbound.retransmittedBytesReceived || 0)),
    framesDecoded: inbound.framesDecoded || 0,
    codec: codec && codec.mimeType ? String(codec.mimeType).replace(/^video\//i, '').toUpperCase() : '',
  };
}

/**
 * Watches one peer connection for a stall. Feed it an observation about
 * twice a second (and at once on a connection state change):
 *   {now (ms), connectionState, haveOffer, bytesReceived, framesDecoded}
 * (videoReceived(): new video payload and frames, 0 without a stream; not
 * packets: a sender with nothing to send still sends padding, and resends
 * old packets to probe its link). observe() returns a diagnosis when one
 * starts — {problem, afterPlaying, seconds, bytes, connectionState} — or
 * {problem: RESOLVED} when frames decode again after one; else null. One
 * diagnosis at a time: it is not repeated, except that "the host stopped
 * sending" becomes "the connection was lost" when the connection then
 * drops: with the network cut, video stops before the browser's ICE
 * notices (Chromium: about 5 s), and the host is not to blame.
 */
export class StallWatch {
  constructor(stallMs, now) {
    this.stallMs = stallMs;
    this.since = now; // the host accepted, or the last Retry
    this.lastFrameAt = null;
    this.lastBytesAt = null;
    this.frames = 0;
    this.bytes = 0;
    this.bytesAtFrame = 0;
    this.everConnected = false;
    this.played = false;
    this.current = null; // the diagnosis shown
  }

  /** A diagnosis found without waiting (no common codec): held until a Retry. */
  hold(diagnosis) {
    this.current = { ...diagnosis, held: true };
    return this.current;
  }

  observe({ now, connectionState = 'new', haveOffer = false, bytesReceived = 0, framesDecoded = 0 }) {
    if (connectionState === 'connected') this.everConnected = true;
    if (bytesReceived > this.bytes) this.lastBytesAt = now;
    this.bytes = Math.max(this.bytes, bytesReceived);
    if (framesDecoded > this.frames) {
      this.frames = framesDecoded;
      this.lastFrameAt = now;
      this.bytesAtFrame = this.bytes;
      this.played = true;
      if (this.current && !this.current.held) {
        this.current = null;
        return { problem: Problem.RESOLVED };
      }
      return null;
    }
    if (this.current) return this.lostAfterAll(connectionState);
    const from = this.lastFrameAt ?? this.since;
    const failed = connectionState === 'failed';
    if (!failed && now - from < this.stallMs) return null;
    const base = {
      afterPlaying: this.played,
      seconds: Math.round((now - from) / 1000),
      connectionState,
      bytes: this.bytes - this.bytesAtFrame, // video payload since the last frame (or ever)
    };
    let problem;
    if (failed || (haveOffer && connectionState !== 'connected')) {
      problem = this.everConnected || this.played ? Problem.CONNECTION_LOST : Problem.CONNECTION_BLOCKED;
    } else if (!haveOffer) {
      problem = Problem.NO_MEDIA; // the host has not offered the video yet
    } else if (this.lastBytesAt !== null && now - this.lastBytesAt < this.stallMs && base.bytes > 0) {
      problem = Problem.CANNOT_DECODE; // video arrives, frames do not decode
    } else {
      problem = this.played ? Problem.MEDIA_STOPPED : Problem.NO_MEDIA;
    }
    this.current = { problem, ...base };
    return this.current;
  }

  /** The shown "media stopped" diagnosis, now a lost connection; or null. */
  lostAfterAll(connectionState) {
    const c = this.current;
    if (c.held || c.problem !== Problem.MEDIA_STOPPED || !['disconnected', 'failed'].includes(connectionState)) return null;
    this.current = { ...c, problem: Problem.CONNECTION_LOST, connectionState };
    return this.current;
  }
}

const codecList = (codecs) => (codecs && codecs.length ? codecs.join(' or ') : '');

/**
 * What the page shows for a diagnosis: {title, text} for people. `codec`:
 * the codec in use (CANNOT_DECODE); `codecs`: those offered (NO_COMMON_CODEC).
 */
export function describe(d) {
  const s = d.seconds || 0;
  switch (d.problem) {
    case Problem.NO_COMMON_CODEC: {
      const offered = codecList(d.codecs);
      return {
        title: 'Your browser cannot play this video',
        text: `${offered ? `The host sends ${offered} video, which` : 'The host sends video in a format that'} this browser cannot decode. `
          + 'Ask the host to share in VP8 (every browser plays it), or open this page in another browser.',
      };
    }
    case Problem.CONNECTION_BLOCKED:
      return {
        title: 'The video cannot get through',
        text: 'The network between you and the host blocks the connection. Ask the host (or whoever runs '
          + 'the GhostView server) for a TURN server, or try another network.',
      };
    case Problem.CONNECTION_LOST:
      return {
        title: 'The connection to the host was lost',
        text: 'The network between you and the host stopped carrying the video. Check your connection, then retry.',
      };
    case Problem.NO_MEDIA:
      return {
        title: 'No video from the host',
        text: d.connectionState === 'connected'
          ? `You are connected, but the host has not sent any video in ${s} seconds: the host is not sending (its sharing may be paused or stopped).`
          : `The host has not started the video for you in ${s} seconds: the host is not sending (its sharing may be paused or stopped).`,
      };
    case Problem.MEDIA_STOPPED:
      return {
        title: 'The video stopped',
        text: `The host stopped sending video: nothing has arrived for ${s} seconds. Its sharing may be paused or stopped; the picture comes back by itself when it resumes.`,
      };
    case Problem.CANNOT_DECODE:
      return {
        title: 'Your browser cannot decode the video',
        text: `Video arrives from the host, but this browser cannot decode it${d.codec ? ` (${d.codec})` : ''}. `
          + 'Ask the host to share in VP8, or open this page in another browser.',
      };
    default:
      return { title: 'No picture', text: 'The video is not playing.' };
  }
}

/** The one line of facts the host is told with a diagnosis (its `detail`). */
export function reportDetail(d) {
  switch (d.problem) {
    case Problem.NO_COMMON_CODEC:
      return d.codecs && d.codecs.length ? `offered: ${d.codecs.join(', ')}` : 'no video codec offered';
    case Problem.RESOLVED:
      return '';
    default: {
      const what = d.afterPlaying ? 'no new frame' : 'no frame decoded';
      const offer = d.problem === Problem.NO_MEDIA && d.connectionState !== 'connected' ? '; no offer or no connection yet' : '';
      return `${what} for ${d.seconds} s; connection ${d.connectionState}; ${d.bytes} bytes of video since the last frame${offer}`;
    }
  }
}

/** What the host page says of a viewer's report (problem, codec); '' for none. */
export function hostText(problem, codec = '') {
  const named = codec ? ` (${codec})` : '';
  switch (problem) {
    case Problem.NO_COMMON_CODEC:
      return `Cannot play your video: their browser decodes none of the codecs offered${named}.`;
    case Problem.CONNECTION_BLOCKED:
      return 'Cannot connect: the network between you blocks the connection (a TURN server would help).';
    case Problem.CONNECTION_LOST:
      return 'Lost the connection: the network between you stopped carrying the video.';
    case Problem.NO_MEDIA:
      return 'Connected, but no video reaches them.';
    case Problem.MEDIA_STOPPED:
      return 'Your video stopped reaching them.';
    case Problem.CANNOT_DECODE:
      return `Receives your video but cannot decode it${named}.`;
    default:
      return '';
  }
}
