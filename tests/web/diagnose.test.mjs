// web/js/diagnose.js without a browser (node's own test runner): which
// video codecs an offer and an answer carry, the stall watch's diagnosis
// from observations in simulated time, and the words for people.
//   node tests/web/diagnose.test.mjs
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';

const here = path.dirname(fileURLToPath(import.meta.url));
const webDir = process.env.GHOSTVIEW_WEB_DIR || path.resolve(here, '../../web');
const d = await import(pathToFileURL(path.join(webDir, 'js', 'diagnose.js')).href);
const { Problem } = await import(pathToFileURL(path.join(webDir, 'js', 'protocol.js')).href);

// What gvwebrtcsink offers with H.264 and its VP8 fallback (trimmed), and
// what Chromium answers when it takes VP8, and when it refuses every codec.
const OFFER = [
  'v=0', 'o=- 1 0 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE video0 application1',
  'm=video 46604 UDP/TLS/RTP/SAVPF 96 97 98', 'a=mid:video0', 'a=sendonly',
  'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:97 VP8/90000', 'a=rtpmap:98 rtx/90000', 'a=fmtp:98 apt=96',
  'm=application 0 UDP/DTLS/SCTP webrtc-datachannel', 'a=bundle-only', 'a=mid:application1', '',
].join('\r\n');
const ANSWER_VP8 = [
  'v=0', 'o=- 2 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE video0 application1',
  'm=video 9 UDP/TLS/RTP/SAVPF 97', 'a=mid:video0', 'a=recvonly', 'a=rtpmap:97 VP8/90000',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=mid:application1', '',
].join('\r\n');
const ANSWER_REJECTED = [
  'v=0', 'o=- 2 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE application1',
  'm=video 0 UDP/TLS/RTP/SAVPF 0', 'a=mid:video0', 'a=recvonly',
  'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'a=mid:application1', '',
].join('\r\n');

test('the stall time comes from ?stall=N, else 10 s', () => {
  assert.equal(d.stallSeconds(''), 10);
  assert.equal(d.stallSeconds('?stall=3'), 3);
  assert.equal(d.stallSeconds('?pin=123456&stall=2.5'), 2.5);
  for (const bad of ['?stall=', '?stall=0', '?stall=-4', '?stall=abc', '?stall=100000']) {
    assert.equal(d.stallSeconds(bad), d.DEFAULT_STALL_SECONDS, bad);
  }
});

test('video codecs of an offer and an answer', () => {
  assert.deepEqual(d.videoSections(OFFER), [{ mid: 'video0', rejected: false, codecs: ['H264', 'VP8'] }]);
  assert.deepEqual(d.offeredVideoCodecs(OFFER), ['H264', 'VP8'], 'rtx is not a picture codec');
  assert.equal(d.answerCodec(ANSWER_VP8), 'VP8');
  assert.deepEqual(d.videoSections(ANSWER_REJECTED), [{ mid: 'video0', rejected: true, codecs: [] }]);
  // A bundled section with port 0 (bundle-only) is not a rejected one.
  const bundleOnly = ANSWER_VP8.replace('m=video 9', 'm=video 0');
  assert.equal(d.videoSections(bundleOnly)[0].rejected, false);
  assert.deepEqual(d.videoSections('garbage\nm=audio 9 x 111\na=rtpmap:111 opus/48000'), []);
  assert.deepEqual(d.videoSections(undefined), []);
});

test('no common codec is found from the offer (the browser\'s decoders) and from the answer', () => {
  const chromium = { codecs: [{ mimeType: 'video/VP8' }, { mimeType: 'video/rtx' }, { mimeType: 'video/VP9' }, { mimeType: 'video/H264' }] };
  const noH264 = { codecs: [{ mimeType: 'video/VP8' }, { mimeType: 'video/VP9' }, { mimeType: 'video/ulpfec' }] };
  assert.deepEqual(d.capabilityCodecs(chromium), ['VP8', 'VP9', 'H264']);
  assert.equal(d.offerProblem(OFFER, d.capabilityCodecs(chromium)), null);
  assert.equal(d.offerProblem(OFFER, d.capabilityCodecs(noH264)), null, 'VP8, the fallback, plays');
  const h264Only = OFFER.replace(' 96 97 98', ' 96 98').replace('a=rtpmap:97 VP8/90000\r\n', '');
  assert.deepEqual(d.offerProblem(h264Only, d.capabilityCodecs(noH264)),
    { problem: Problem.NO_COMMON_CODEC, codecs: ['H264'] });
  assert.equal(d.offerProblem(h264Only, []), null, 'an unknown list says nothing');

  assert.equal(d.answerProblem(ANSWER_VP8, OFFER), null);
  assert.deepEqual(d.answerProblem(ANSWER_REJECTED, OFFER), { problem: Problem.NO_COMMON_CODEC, codecs: ['H264', 'VP8'] });
  const onlyRtx = ANSWER_VP8.replace('a=rtpmap:97 VP8/90000', 'a=rtpmap:97 rtx/90000');
  assert.equal(d.answerProblem(onlyRtx, OFFER).problem, Problem.NO_COMMON_CODEC);
  assert.equal(d.answerProblem('v=0\r\nm=application 9 x y\r\n', OFFER), null, 'no video: nothing to say');
});

// The watch, fed once a second in simulated time.
function run(stallMs, steps) {
  const w = new d.StallWatch(stallMs, 0);
  const out = [];
  for (const [t, o] of steps) {
    const r = w.observe({ now: t, ...o });
    if (r) out.push([t, r.problem, r]);
  }
  return out;
}
const connected = { connectionState: 'connected', haveOffer: true };

test('the host stops sending after playing: media-stopped after the stall time, resolved when it resumes', () => {
  const steps = [];
  for (let t = 1000; t <= 4000; t += 1000) steps.push([t, { ...connected, bytesReceived: t / 10, framesDecoded: t / 100 }]);
  for (let t = 5000; t <= 9000; t += 1000) steps.push([t, { ...connected, bytesReceived: 400, framesDecoded: 40 }]);
  steps.push([10000, { ...connected, bytesReceived: 500, framesDecoded: 50 }]);
  const out = run(3000, steps);
  assert.deepEqual(out.map(([t, p]) => [t, p]), [[7000, Problem.MEDIA_STOPPED], [10000, Problem.RESOLVED]]);
  const diag = out[0][2];
  assert.equal(diag.afterPlaying, true);
  assert.equal(diag.seconds, 3);
  assert.equal(diag.bytes, 0);
  assert.match(d.describe(diag).text, /host stopped sending video: nothing has arrived for 3 seconds/);
  assert.match(d.reportDetail(diag), /^no new frame for 3 s; connection connected; 0 bytes of video/);
});

test('videoReceived reads new video payload, frames and codec from a getStats report', () => {
  const report = new Map([
    ['T1', { type: 'transport' }],
    ['A', { type: 'inbound-rtp', kind: 'audio', bytesReceived: 999 }],
    ['V', { type: 'inbound-rtp', kind: 'video', bytesReceived: 167023, retransmittedBytesReceived: 29218, framesDecoded: 46, codecId: 'C' }],
    ['C', { type: 'codec', mimeType: 'video/VP8' }],
  ]);
  assert.deepEqual(d.videoReceived(report), { bytesReceived: 137805, framesDecoded: 46, codec: 'VP8' });
  assert.deepEqual(d.videoReceived(new Map()), { bytesReceived: 0, framesDecoded: 0, codec: '' });
});

test('padding is not video: a sender with no track sends packets without payload, which is media-stopped', () => {
  // Chromium keeps sending padding on the video stream after replaceTrack(null):
  // packetsReceived grows, bytesReceived (payload only) does not.
  const steps = [[1000, { ...connected, bytesReceived: 5000, framesDecoded: 10 }]];
  for (let t = 2000; t <= 5000; t += 1000) steps.push([t, { ...connected, bytesReceived: 5000, framesDecoded: 10, packetsReceived: t }]);
  assert.deepEqual(run(3000, steps).map(([t, p]) => [t, p]), [[4000, Problem.MEDIA_STOPPED]]);
});

test('never a frame: no offer, no connection, no packets, or packets that never decode', () => {
  const at = (o) => run(3000, [[1000, o], [2000, o], [3000, o], [4000, o]]);
  assert.deepEqual(at({ connectionState: 'new', haveOffer: false }).map(([t, p]) => [t, p]), [[3000, Problem.NO_MEDIA]]);
  assert.deepEqual(at({ connectionState: 'connecting', haveOffer: true }).map(([, p]) => p), [Problem.CONNECTION_BLOCKED]);
  assert.deepEqual(at({ ...connected }).map(([, p]) => p), [Problem.NO_MEDIA]);
  const undecodable = run(3000, [1000, 2000, 3000].map((t) => [t, { ...connected, bytesReceived: t / 10, framesDecoded: 0 }]));
  assert.deepEqual(undecodable.map(([, p]) => p), [Problem.CANNOT_DECODE]);
  const words = d.describe({ ...undecodable[0][2], codec: 'VP9' });
  assert.match(words.text, /cannot decode it \(VP9\)/);
});

test('a failed connection is said at once; once connected, it is a lost one', () => {
  assert.deepEqual(run(10000, [[500, { connectionState: 'failed', haveOffer: true }]]).map(([t, p]) => [t, p]),
    [[500, Problem.CONNECTION_BLOCKED]]);
  const lost = run(10000, [[500, { ...connected, bytesReceived: 5, framesDecoded: 1 }],
    [1500, { connectionState: 'failed', haveOffer: true, bytesReceived: 5, framesDecoded: 1 }]]);
  assert.deepEqual(lost.map(([, p]) => p), [Problem.CONNECTION_LOST]);
  assert.match(d.describe({ problem: Problem.CONNECTION_BLOCKED }).text, /blocks the connection.*TURN server/);
});

test('a held diagnosis (no common codec) is not resolved nor repeated by the watch', () => {
  const w = new d.StallWatch(3000, 0);
  w.hold({ problem: Problem.NO_COMMON_CODEC, codecs: ['H264'] });
  assert.equal(w.observe({ now: 5000, ...connected, framesDecoded: 0 }), null);
  assert.equal(w.observe({ now: 6000, ...connected, framesDecoded: 3 }), null);
  const words = d.describe({ problem: Problem.NO_COMMON_CODEC, codecs: ['H264', 'VP8'] });
  assert.match(words.text, /sends H264 or VP8 video, which this browser cannot decode/);
  assert.equal(d.reportDetail({ problem: Problem.NO_COMMON_CODEC, codecs: ['H264'] }),
    'offered: H264');
});

test('every problem has words for the viewer and for the host', () => {
  for (const problem of Object.values(Problem)) {
    if (problem === Problem.RESOLVED) {
      assert.equal(d.hostText(problem), '');
      continue;
    }
    const words = d.describe({ problem, seconds: 10, codecs: ['H264'], codec: 'VP9', connectionState: 'connected' });
    assert.ok(words.title && words.text.length > 40 && words.title !== 'No picture', problem);
    assert.ok(d.hostText(problem, 'VP9').length > 20, problem);
    assert.ok(!/[\r\n]/.test(d.reportDetail({ problem, seconds: 10, bytes: 0, connectionState: 'connected' })));
  }
});

test('the network cut: media-stopped first, the connection lost once the browser sees it drop, resolved after', () => {
  const steps = [[1000, { ...connected, bytesReceived: 100, framesDecoded: 10 }]];
  for (let t = 2000; t <= 5000; t += 1000) steps.push([t, { ...connected, bytesReceived: 100, framesDecoded: 10 }]);
  steps.push([6000, { connectionState: 'disconnected', haveOffer: true, bytesReceived: 100, framesDecoded: 10 }]);
  steps.push([7000, { connectionState: 'disconnected', haveOffer: true, bytesReceived: 100, framesDecoded: 10 }]);
  steps.push([8000, { ...connected, bytesReceived: 200, framesDecoded: 20 }]);
  const out = run(3000, steps);
  assert.deepEqual(out.map(([t, p]) => [t, p]),
    [[4000, Problem.MEDIA_STOPPED], [6000, Problem.CONNECTION_LOST], [8000, Problem.RESOLVED]]);
  assert.equal(out[1][2].connectionState, 'disconnected');
  assert.match(d.describe(out[1][2]).text, /network between you and the host stopped carrying the video/);
});
