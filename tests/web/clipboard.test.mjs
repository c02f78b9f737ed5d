// The clipboard's page logic without a browser (web/js/clipboard.js,
// host-clipboard.js): what content is refused and why, the browser host
// page's refusal of a viewer without `clipboard` (once per content, in the
// native host's words), the button when the browser will not write, no
// echo of what a viewer just sent, and pieces paced on a channel's buffer.
//   meson test -C build web-clipboard
// SPDX-License-Identifier: LGPL-2.1-or-later
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  CLIPBOARD_CHUNK_BYTES, CLIPBOARD_REFUSED_MESSAGE, ClipboardAssembler, ClipboardMime, makeClipboard, MAX_CLIPBOARD_BYTES,
  parseAssist,
} from '../../web/js/assist.js';
import {
  ClipboardInbox, contentProblem, sameContent, sendPieces, textContent,
} from '../../web/js/clipboard.js';
import { describeContent, HostClipboard } from '../../web/js/host-clipboard.js';

const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

/** Enough of an element for the classes: hidden, disabled, text, click. */
function element() {
  const el = new EventTarget();
  Object.assign(el, { hidden: false, disabled: false, textContent: '' });
  el.click = () => el.dispatchEvent(new Event('click'));
  return el;
}

/** An open data channel that keeps what is sent; `buffered` bytes count as unsent until drain(). */
function channel({ buffered = false } = {}) {
  const c = new EventTarget();
  Object.assign(c, { readyState: 'open', bufferedAmount: 0, bufferedAmountLowThreshold: 0, sent: [] });
  c.send = (text) => {
    c.sent.push(text);
    if (buffered) c.bufferedAmount += text.length;
  };
  c.drain = () => {
    c.bufferedAmount = 0;
    c.dispatchEvent(new Event('bufferedamountlow'));
  };
  return c;
}

function viewer(peer, caps) {
  return { peer, name: peer, caps: new Set(caps), assist: channel(), clipboardRefused: 0 };
}

/** A HostClipboard over `viewers`, whose clipboard writes succeed unless `refuseWrite`. */
function host(viewers, { refuseWrite = false } = {}) {
  const written = [];
  const ui = { sendButton: element(), takeButton: element(), hint: element(), status: element() };
  ui.takeButton.hidden = true; // as the page starts
  const browser = { refuseWrite };
  const write = async (content) => {
    if (browser.refuseWrite) throw new Error('Document is not focused.');
    written.push(content);
  };
  const clip = new HostClipboard({
    ...ui,
    viewers: () => viewers.values(),
    mayShare: (v) => v.caps.has('clipboard'),
    nameOf: (v) => v.name,
    sendLine: (v, line) => v.assist.send(line),
    onRefused: () => {},
    inbox: new ClipboardInbox({ takeButton: ui.takeButton, write }),
  });
  clip.setSharing(true);
  return { clip, ui, written, browser };
}

const pieces = (content) => makeClipboard('0123456789abcdef', content.mime, content.bytes).map(parseAssist);
const settle = () => new Promise((r) => setTimeout(r, 0));

/** What viewer `v` was sent, put together: [{mime, text}] and refusals as {refused}. */
function received(v) {
  const assembler = new ClipboardAssembler();
  const out = [];
  for (const m of v.assist.sent.map(parseAssist)) {
    if (m.t === 'refused') out.push({ refused: m.what, message: m.message });
    const whole = m.t === 'clipboard' && assembler.add(m);
    if (whole) out.push({ mime: whole.mime, text: new TextDecoder().decode(whole.bytes) });
  }
  return out;
}

test('content problems are clear sentences; good text and PNG have none', () => {
  assert.equal(contentProblem(textContent('hello ☃')), '');
  assert.equal(contentProblem({ mime: ClipboardMime.PNG, bytes: PNG }), '');
  assert.match(contentProblem(textContent('')), /empty/);
  assert.match(contentProblem({ mime: ClipboardMime.TEXT, bytes: new Uint8Array(MAX_CLIPBOARD_BYTES + 1).fill(97) }),
    /more than 10 MiB/);
  assert.match(contentProblem({ mime: ClipboardMime.TEXT, bytes: Uint8Array.from([0xc3, 0x28]) }), /not UTF-8/);
  assert.match(contentProblem({ mime: ClipboardMime.TEXT, bytes: Uint8Array.from([97, 0, 98]) }), /NUL/);
  assert.match(contentProblem({ mime: ClipboardMime.PNG, bytes: Uint8Array.from([1, 2, 3]) }), /not a PNG/);
  assert.match(contentProblem({ mime: 'text/html', bytes: Uint8Array.from([60]) }), /not clipboard content/);
  assert.equal(describeContent(textContent('abc')), 'text, 3 bytes');
  assert.equal(describeContent({ mime: ClipboardMime.PNG, bytes: new Uint8Array(3 * 1024) }), 'an image, 3.0 KiB');
  assert.ok(sameContent(textContent('a'), textContent('a')));
  assert.ok(!sameContent(textContent('a'), textContent('b')));
  assert.ok(!sameContent(textContent('a'), null));
});

test('a viewer without `clipboard` is refused once per content, and nothing reaches the clipboard', () => {
  const bob = viewer('bob', ['view']);
  const { clip, written, ui } = host(new Map([['bob', bob]]));
  const big = textContent('z'.repeat(CLIPBOARD_CHUNK_BYTES * 2 + 10)); // three pieces
  for (const p of pieces(big)) clip.onPiece(bob, p);
  assert.deepEqual(received(bob), [{ refused: 'clipboard', message: CLIPBOARD_REFUSED_MESSAGE }]);
  assert.equal(bob.clipboardRefused, 1);
  assert.equal(clip.counts.refused, 1);
  assert.equal(clip.counts.received, 0);
  assert.deepEqual(written, []);
  assert.match(ui.status.textContent, /bob tried to share the clipboard without your permission/);
});

test('a viewer with `clipboard`: whole content is written; invalid content is not', async () => {
  const alice = viewer('alice', ['view', 'clipboard']);
  const { clip, written, ui } = host(new Map([['alice', alice]]));
  const big = textContent('y'.repeat(CLIPBOARD_CHUNK_BYTES + 1));
  for (const p of pieces(big)) clip.onPiece(alice, p);
  await settle();
  assert.equal(written.length, 1);
  assert.ok(sameContent(written[0], big));
  assert.equal(clip.snapshot().lastReceived.written, true);
  assert.match(ui.status.textContent, /alice copied text, 32.0 KiB: it is on your clipboard/);
  for (const p of pieces({ mime: ClipboardMime.PNG, bytes: Uint8Array.from([1, 2, 3]) })) clip.onPiece(alice, p);
  await settle();
  assert.equal(written.length, 1);
  assert.equal(clip.counts.invalid, 1);
  assert.match(ui.status.textContent, /not a PNG/);
});

test('when the browser will not write, the button writes on its click', async () => {
  const alice = viewer('alice', ['view', 'clipboard']);
  const { clip, written, ui, browser } = host(new Map([['alice', alice]]), { refuseWrite: true });
  assert.equal(ui.takeButton.hidden, true);
  for (const p of pieces(textContent('later'))) clip.onPiece(alice, p);
  await settle();
  assert.equal(written.length, 0);
  assert.equal(ui.takeButton.hidden, false);
  assert.equal(clip.snapshot().pending, true);
  assert.match(ui.status.textContent, /did not let the page put it on your clipboard \(Document is not focused\.\)/);
  ui.takeButton.click(); // still refused: it keeps waiting and says why
  await settle();
  assert.equal(ui.takeButton.hidden, false);
  assert.match(ui.status.textContent, /did not let the page use the clipboard/);
  browser.refuseWrite = false;
  ui.takeButton.click();
  await settle();
  assert.equal(written.length, 1);
  assert.equal(new TextDecoder().decode(written[0].bytes), 'later');
  assert.equal(ui.takeButton.hidden, true);
  assert.equal(clip.snapshot().lastReceived.written, true);
});

test('what a viewer just sent is not pasted back; the button sends it to the others only', async () => {
  const alice = viewer('alice', ['view', 'clipboard']);
  const bob = viewer('bob', ['view', 'clipboard']);
  const carol = viewer('carol', ['view']);
  const { clip, ui } = host(new Map([['alice', alice], ['bob', bob], ['carol', carol]]));
  for (const p of pieces(textContent('from alice'))) clip.onPiece(alice, p);
  await settle();
  assert.equal(await clip.share(textContent('from alice'), { pasted: true }), false);
  assert.equal(clip.counts.suppressed, 1);
  assert.match(ui.status.textContent, /not sent back/);
  assert.deepEqual([alice, bob, carol].map((v) => v.assist.sent.length), [0, 0, 0]);
  assert.equal(await clip.share(textContent('from alice'), { pasted: false }), true);
  assert.deepEqual(received(bob), [{ mime: ClipboardMime.TEXT, text: 'from alice' }]);
  assert.deepEqual(received(alice), []);
  assert.deepEqual(received(carol), [], 'carol has no clipboard');
  assert.equal(await clip.share(textContent('the host\'s own'), { pasted: true }), true);
  assert.deepEqual(received(alice), [{ mime: ClipboardMime.TEXT, text: 'the host\'s own' }]);
  assert.equal(received(bob).length, 2);
  assert.match(ui.status.textContent, /went to 2 viewers/);
  assert.equal(await clip.share(textContent(''), { pasted: false }), false);
  assert.match(ui.status.textContent, /not sent: The clipboard is empty/);
});

test('nobody to send to: the button is disabled and the hint says why', () => {
  const carol = viewer('carol', ['view']);
  const viewers = new Map([['carol', carol]]);
  const { clip, ui } = host(viewers);
  assert.equal(ui.sendButton.disabled, true);
  assert.match(ui.hint.textContent, /tick "Clipboard"/);
  carol.caps.add('clipboard');
  clip.capabilityChanged(carol, true);
  assert.equal(ui.sendButton.disabled, false);
  assert.equal(ui.hint.hidden, true);
  assert.match(ui.status.textContent, /carol may share the clipboard now/);
});

test('pieces wait while a channel holds over a MiB unsent, and stop when no longer wanted', async () => {
  const c = channel({ buffered: true });
  const content = new Uint8Array(3 * 1024 * 1024).fill(7);
  const all = makeClipboard('0123456789abcdef', ClipboardMime.PNG, content);
  let wanted = true;
  const done = sendPieces(c, all, () => wanted);
  await settle();
  const first = c.sent.length;
  assert.ok(first > 0 && first < all.length, `${first} of ${all.length} pieces before the buffer drains`);
  assert.ok(c.bufferedAmount <= 1024 * 1024 + 64 * 1024);
  c.drain();
  await settle();
  assert.ok(c.sent.length > first);
  wanted = false; // newer content, or the capability taken back
  c.drain();
  assert.equal(await done, false);
  assert.ok(c.sent.length < all.length);

  const open = channel();
  assert.equal(await sendPieces(open, all), true);
  assert.equal(open.sent.length, all.length);
  const closed = channel({ buffered: true });
  const cut = sendPieces(closed, all);
  await settle();
  closed.readyState = 'closed';
  closed.dispatchEvent(new Event('close'));
  assert.equal(await cut, false);
});

test('revoking `clipboard` stops content on its way to that viewer', async () => {
  const alice = viewer('alice', ['view', 'clipboard']);
  alice.assist = channel({ buffered: true });
  const { clip } = host(new Map([['alice', alice]]));
  const image = new Uint8Array(3 * 1024 * 1024).fill(9);
  image.set(PNG);
  const sending = clip.share({ mime: ClipboardMime.PNG, bytes: image }, { pasted: false });
  await settle();
  alice.caps.delete('clipboard');
  clip.capabilityChanged(alice, false);
  alice.assist.drain();
  assert.equal(await sending, false);
  assert.equal(received(alice).length, 0, 'no whole content reached her');
});
