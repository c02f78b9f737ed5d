// GhostView browser tests: what the viewer page shows, measured inside the
// page, the same way in Chromium (playwright-core) and Firefox
// (puppeteer-core): both give a `page.evaluate`.
// SPDX-License-Identifier: LGPL-2.1-or-later

/**
 * Starts a clock in a loaded viewer page (before the PIN is sent): the time
 * of each state change of the page (document.body's data-state: connecting,
 * waiting, joining = the host accepted, live) and of every video frame
 * presented (requestVideoFrameCallback on #video), all in the page's
 * performance.now() milliseconds.
 */
export function installFrameClock(page) {
  return page.evaluate(() => {
    const clock = { states: {}, firstFrame: null, frames: 0, lastMediaTime: 0 };
    window.__gvClock = clock;
    const note = () => {
      const s = document.body.dataset.state;
      if (s && !(s in clock.states)) clock.states[s] = performance.now();
    };
    new MutationObserver(note).observe(document.body, { attributes: true, attributeFilter: ['data-state'] });
    const video = document.getElementById('video');
    const onFrame = (now, meta) => {
      if (clock.firstFrame === null) clock.firstFrame = performance.now();
      clock.frames++;
      clock.lastMediaTime = meta.mediaTime;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
  });
}

/**
 * The clock's readings: `acceptedToFirstFrameMs` (the host's accept seen by
 * the page -> the first frame presented), `enterToFirstFrameMs` (the PIN
 * sent -> the first frame), `frames` presented, and the states seen.
 */
export function frameClock(page) {
  return page.evaluate(() => {
    const c = window.__gvClock;
    const accepted = c.states.joining ?? c.states.live;
    const entered = c.states.connecting;
    const since = (t) => (c.firstFrame !== null && t !== undefined ? Math.round(c.firstFrame - t) : null);
    return {
      states: Object.keys(c.states),
      frames: c.frames,
      mediaTime: c.lastMediaTime,
      acceptedToFirstFrameMs: since(accepted),
      enterToFirstFrameMs: since(entered),
    };
  });
}

/**
 * The video receiver's getStats: framesDecoded, the decoded codec's
 * mimeType (inbound-rtp -> codec), frame size, and for diagnostics frames
 * received, keyframes decoded, PLIs and NACKs sent; zeros and nulls before
 * a connection.
 */
export function inboundVideo(page) {
  return page.evaluate(async () => {
    const pc = window.ghostviewViewer && window.ghostviewViewer.pc;
    const out = {
      framesDecoded: 0, codec: null, width: null, height: null, framesReceived: 0, keyFrames: 0, plis: 0, nacks: 0,
    };
    if (!pc) return out;
    const report = await pc.getStats();
    report.forEach((s) => {
      if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
      out.framesDecoded = s.framesDecoded || 0;
      out.framesReceived = s.framesReceived || 0;
      out.keyFrames = s.keyFramesDecoded || 0;
      out.plis = s.pliCount || 0;
      out.nacks = s.nackCount || 0;
      out.width = s.frameWidth ?? null;
      out.height = s.frameHeight ?? null;
      const codec = s.codecId && report.get(s.codecId);
      if (codec) out.codec = codec.mimeType;
    });
    return out;
  });
}

/** The selected ICE pair as the page sees it: local/remote candidate types and addresses. */
export function selectedPair(page) {
  return page.evaluate(async () => {
    const pc = window.ghostviewViewer && window.ghostviewViewer.pc;
    if (!pc) return null;
    const report = await pc.getStats();
    let pair = null;
    report.forEach((s) => {
      if (s.type === 'candidate-pair' && (s.selected || s.nominated) && s.state === 'succeeded') pair = s;
    });
    if (!pair) return null;
    const side = (id) => {
      const c = report.get(id) || {};
      return `${c.candidateType} ${c.address ?? c.ip}:${c.port}`;
    };
    return { local: side(pair.localCandidateId), remote: side(pair.remoteCandidateId) };
  });
}
