// GhostView — the viewer page's watch over the picture: twice a second it
// reads the peer connection's stats, asks diagnose.js why no frame decodes
// (or why frames stopped), shows the reason with a Retry button, and tells
// the host (a `report`). Codec problems are caught at once, from the offer
// and the answer, without waiting.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { makeReport, Problem } from './protocol.js';
import {
  answerCodec, answerProblem, capabilityCodecs, describe, offerProblem, reportDetail, StallWatch,
  videoReceived,
} from './diagnose.js';

const POLL_MS = 500; // the message comes at most this late after the stall time

export class PictureWatch {
  /**
   * `ui`: {panel, title, text} of the message; `getPc()`: the current peer
   * connection; `send(msg)`: to the server; `onChange(diagnosis|null)`:
   * shown or gone.
   */
  constructor({ ui, stallMs, getPc, send, onChange }) {
    this.ui = ui;
    this.stallMs = stallMs;
    this.getPc = getPc;
    this.send = send;
    this.onChange = onChange || (() => {});
    this.watch = null;
    this.timer = 0;
    this.haveOffer = false;
    this.offerSdp = '';
    this.codec = '';
    this.problem = null; // the diagnosis shown
    this.owed = false; // the host was told of a problem, and not yet that it is resolved
    this.reports = []; // problems reported to the host, for tests
  }

  /** Watches from now (the host accepted, or a Retry: what the host was told stays owed). */
  start() {
    const owed = this.owed;
    this.stop();
    this.owed = owed;
    this.watch = new StallWatch(this.stallMs, performance.now());
    this.timer = setInterval(() => this.check(), POLL_MS);
  }

  /**
   * Stops watching, and shows nothing, but keeps what the host was told
   * (the fallback's pictures show instead, viewer-fallback.js): nothing is
   * reported meanwhile, and once start() again finds frames, `resolved`.
   */
  pause() {
    const owed = this.owed;
    this.stop();
    this.owed = owed;
  }

  stop() {
    clearInterval(this.timer);
    this.timer = 0;
    this.watch = null;
    this.haveOffer = false;
    this.offerSdp = '';
    this.codec = '';
    this.owed = false;
    this.show(null);
  }

  /**
   * After setRemoteDescription(offer). True when this browser decodes none
   * of the offered video codecs: the problem is shown, and there is no
   * point in answering.
   */
  offered(offerSdp) {
    this.haveOffer = true;
    this.offerSdp = offerSdp;
    const caps = window.RTCRtpReceiver && RTCRtpReceiver.getCapabilities
      ? RTCRtpReceiver.getCapabilities('video') : null;
    return this.hold(offerProblem(offerSdp, capabilityCodecs(caps)));
  }

  /**
   * After createAnswer(). True when the answer takes no video codec (the
   * browser, or its codec preferences, refuse every one offered): shown,
   * and the answer is not sent (it would only reject the video).
   */
  answered(answerSdp) {
    if (this.hold(answerProblem(answerSdp, this.offerSdp))) return true;
    this.codec = answerCodec(answerSdp);
    return false;
  }

  hold(diagnosis) {
    if (!diagnosis || !this.watch) return false;
    this.found(this.watch.hold(diagnosis));
    return true;
  }

  /** Looks now (also called on a connection state change). */
  async check() {
    const watch = this.watch;
    const pc = this.getPc();
    if (!watch || !pc) return;
    let s = { bytesReceived: 0, framesDecoded: 0, codec: '' };
    try {
      s = videoReceived(await pc.getStats());
    } catch { /* closed meanwhile */ }
    if (watch !== this.watch) return; // stopped or restarted meanwhile
    const d = watch.observe({
      now: performance.now(),
      connectionState: pc.connectionState,
      haveOffer: this.haveOffer,
      bytesReceived: s.bytesReceived,
      framesDecoded: s.framesDecoded,
    });
    if (!d && this.owed && !this.problem && watch.played) {
      this.report({ problem: Problem.RESOLVED }); // frames after a Retry
      return;
    }
    if (!d) return;
    if (d.problem === Problem.RESOLVED) {
      this.show(null);
      this.report(d);
      return;
    }
    this.found({ ...d, codec: s.codec || this.codec });
  }

  found(d) {
    this.show(d);
    this.report(d);
  }

  report(d) {
    const codec = d.codec || (d.codecs && d.codecs[0]) || '';
    this.reports.push(d.problem);
    this.owed = d.problem !== Problem.RESOLVED;
    this.send(makeReport(d.problem, reportDetail(d), codec));
  }

  show(d) {
    const had = this.problem;
    this.problem = d;
    const { panel, title, text } = this.ui;
    if (d) {
      const words = describe(d);
      title.textContent = words.title;
      text.textContent = words.text;
      panel.dataset.problem = d.problem;
    } else {
      delete panel.dataset.problem;
    }
    panel.hidden = !d;
    if (d || had) this.onChange(d);
  }
}

/**
 * For tests: makes `pc` refuse the named video codecs (RTP names, "H264")
 * as a browser without their decoders would, through the transceivers'
 * codec preferences, before createAnswer().
 */
export function refuseCodecs(pc, names) {
  if (!names.length || !window.RTCRtpReceiver || !RTCRtpReceiver.getCapabilities) return;
  const refused = new Set(names.map((n) => String(n).toUpperCase()));
  const codecs = RTCRtpReceiver.getCapabilities('video').codecs
    .filter((c) => !refused.has(String(c.mimeType).replace(/^video\//i, '').toUpperCase()));
  for (const t of pc.getTransceivers()) {
    if (t.receiver.track.kind !== 'video' || !t.setCodecPreferences) continue;
    try {
      t.setCodecPreferences(codecs);
    } catch (e) {
      console.warn('GhostView: codec preferences refused', e.message);
    }
  }
}
