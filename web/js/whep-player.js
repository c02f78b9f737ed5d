// GhostView — play a session with a standard WHEP player (whep.html):
// @eyevinn/webrtc-player (web/node_modules, `npm ci` in web/) POSTs its offer
// to /whep/PIN with "Authorization: Bearer TOKEN" and plays the answer.
// whep.html?pin=PIN&token=TOKEN; the token is the PIN itself unless given
// (an invite link's `invite=` value). View only; no data channel.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { loadCommonJS } from './commonjs.js';
import { isValidPin, normalisePin } from './protocol.js';

const PLAYER = 'node_modules/@eyevinn/webrtc-player/dist/main.js';
const EVENTS = 'node_modules/events/events.js';

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), actions: $('actions'), unmute: $('unmute'), stop: $('stop'),
  form: $('whep-form-card'), pin: $('pin'), stage: $('stage'), video: $('video'),
  message: $('stage-message'), messageText: $('stage-text'),
  problem: $('problem'), problemTitle: $('problem-title'), problemText: $('problem-text'),
};

const STATUS_TEXT = { idle: 'Not connected', connecting: 'Connecting…', live: 'Playing', failed: 'Not playing', ended: 'Stopped' };

/** What the page is doing, for people and for tests (tests/browser/42-whep). */
const whep = {
  state: 'idle',
  player: null,
  resource: null, // the viewer's WHEP resource (the Location of the 201)
  error: null, // {status, code, message}: why the server refused the offer
  postedAt: null, // performance.now() of the POST
  firstFrameAt: null, // and of the first frame shown
};
window.ghostviewWhep = whep;

function setState(state, text = STATUS_TEXT[state]) {
  whep.state = state;
  document.body.dataset.state = state;
  ui.status.textContent = text;
}

function fail(title, text) {
  setState('failed');
  ui.message.hidden = true;
  ui.problemTitle.textContent = title;
  ui.problemText.textContent = text;
  ui.problem.hidden = false;
  ui.stop.hidden = true;
}

/** The server's JSON error ({code, message}), or the status line. */
async function readError(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  const message = body && typeof body.message === 'string' && body.message
    ? body.message : `The server answered ${response.status} ${response.statusText}.`;
  return { status: response.status, code: body && typeof body.code === 'string' ? body.code : '', message };
}

/**
 * The player reports a refused offer only as an event (the status code goes
 * to the console): this page's own fetch reads the server's answer to each
 * WHEP request on the way, for the POST's time, its Location and its error.
 */
function watchWhepRequests(endpoint) {
  const pageFetch = window.fetch.bind(window);
  window.fetch = async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input), location.href).href;
    const post = url === endpoint && String(init.method || 'GET').toUpperCase() === 'POST';
    if (post && whep.postedAt === null) whep.postedAt = performance.now();
    const response = await pageFetch(input, init);
    if (post && response.ok) whep.resource = new URL(response.headers.get('Location') || '', endpoint).href;
    else if (post && !whep.error) whep.error = await readError(response.clone());
    return response;
  };
  return pageFetch;
}

function refusedText() {
  const e = whep.error;
  if (!e) return 'The WHEP request failed; the server could not be reached.';
  return e.code ? `${e.message} (${e.status} ${e.code})` : e.message;
}

function watchFrames() {
  const onFrame = () => {
    if (whep.firstFrameAt === null) whep.firstFrameAt = performance.now();
    if (whep.state === 'connecting') {
      setState('live');
      ui.message.hidden = true;
    }
    ui.unmute.hidden = !ui.video.muted || !(ui.video.srcObject && ui.video.srcObject.getAudioTracks().length);
    if (whep.state !== 'ended') ui.video.requestVideoFrameCallback(onFrame);
  };
  ui.video.requestVideoFrameCallback(onFrame);
}

async function loadPlayer() {
  const events = await loadCommonJS(EVENTS);
  // Parts of the package this page never uses (ad insertion with a VMAP URL,
  // Eyevinn's own WHPP protocol): not loaded.
  class NotLoaded {
    constructor() { throw new Error('not loaded on this page'); }
  }
  const { WebRTCPlayer } = await loadCommonJS(PLAYER, {
    events,
    '@eyevinn/csai-manager': { CSAIManager: NotLoaded },
    '@eyevinn/whpp-client': { WHPPClient: NotLoaded },
  });
  return WebRTCPlayer;
}

async function play(pin, token) {
  ui.form.hidden = true;
  ui.stage.hidden = false;
  ui.actions.hidden = false;
  setState('connecting');
  const endpoint = new URL(`/whep/${pin}`, location.href).href;
  const pageFetch = watchWhepRequests(endpoint);
  const authorization = `Bearer ${token}`;

  let WebRTCPlayer;
  try {
    WebRTCPlayer = await loadPlayer();
  } catch (e) {
    fail('The player could not be loaded', `${e.message}. Run npm ci in web/ on the server.`);
    return;
  }
  // No STUN server (the player's default is a public one): the host's
  // answer carries its candidates, and loopback or LAN hosts need none.
  const player = new WebRTCPlayer({
    video: ui.video, type: 'whep', iceServers: [], statsTypeFilter: '^inbound-rtp$', timeoutThreshold: 10000,
  });
  whep.player = player;
  const refused = () => { if (whep.state !== 'ended') fail('The server refused to play this session', refusedText()); };
  player.on('initial-connection-failed', refused);
  player.on('connect-error', refused);
  player.on('peer-connection-failed', () => {
    if (whep.state === 'live') setState('connecting', 'The connection failed; trying again…');
  });
  player.on('no-media', () => { if (whep.state === 'live') ui.status.textContent = 'No video is arriving'; });
  player.on('media-recovered', () => { if (whep.state === 'live') setState('live'); });
  watchFrames();

  ui.stop.addEventListener('click', async () => {
    setState('ended');
    ui.stop.hidden = true;
    ui.unmute.hidden = true;
    await player.unload(); // DELETE of the resource
    ui.messageText.textContent = 'You stopped watching.';
    ui.message.hidden = false;
  });
  // Leaving the page ends the viewer at once (the player's own DELETE would
  // not outlive the page).
  window.addEventListener('pagehide', () => {
    if (whep.resource && whep.state !== 'ended') {
      pageFetch(whep.resource, { method: 'DELETE', headers: { Authorization: authorization }, keepalive: true })
        .catch(() => {});
    }
  });
  player.load(new URL(endpoint), authorization);
}

ui.unmute.addEventListener('click', () => {
  ui.video.muted = false;
  ui.unmute.hidden = true;
});

const params = new URLSearchParams(location.search);
const pin = normalisePin(params.get('pin'));
const token = params.get('token') || pin;
if (isValidPin(pin) && /^[\x21-\x7e]+$/.test(token)) {
  play(pin, token);
} else {
  setState('idle');
  if (params.has('pin')) ui.pin.setAttribute('aria-invalid', 'true');
  ui.pin.value = pin;
}
