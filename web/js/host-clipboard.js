// GhostView browser host page: the clipboard shared with viewers, as the
// native host does it (gvwebrtcsink-clipboard.cpp, gvinputclipboard.cpp),
// on each viewer's "assist" channel (assist.js, "clipboard"; host-chat.js
// owns the channel and hands its clipboard pieces here).
//
// - "Send clipboard" reads this computer's clipboard (an image as PNG, else
//   text) on its click, and a paste into the page (not into a text field)
//   does the same: the content goes to every viewer who has `clipboard`.
// - Content from a viewer who has `clipboard` is put on this computer's
//   clipboard; when the browser refuses (the tab is not focused, no
//   permission) the page says so and offers "Copy viewer's clipboard",
//   whose click writes it.
// - Content from a viewer without `clipboard` is refused: the viewer is
//   told in the native host's words (CLIPBOARD_REFUSED_MESSAGE), the host
//   counts it, and none of it reaches this computer's clipboard.
// - What a viewer just sent is not sent back: a paste of it into the page
//   sends nothing, and "Send clipboard" sends it to the other viewers only.
// SPDX-License-Identifier: LGPL-2.1-or-later
import {
  ClipboardAssembler, ClipboardMime, CLIPBOARD_REFUSED_MESSAGE, makeClipboard, makeRefused, RefusedWhat,
} from './assist.js';
import {
  ClipboardInbox, contentProblem, newClipboardId, pastedContent, pasteIntoField, readDeviceClipboard,
  sameContent, sendPieces,
} from './clipboard.js';

export { CLIPBOARD_REFUSED_MESSAGE };

/** "text, 12 bytes" / "an image, 3.1 KiB": what a content is, for people. */
export function describeContent({ mime, bytes }) {
  const n = bytes.length;
  const size = n < 1024 ? `${n} ${n === 1 ? 'byte' : 'bytes'}`
    : n < 1024 * 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 1024 / 1024).toFixed(1)} MiB`;
  return `${mime === ClipboardMime.PNG ? 'an image' : 'text'}, ${size}`;
}

export class HostClipboard {
  /**
   * `sendButton`, `takeButton`: "Send clipboard" and "Copy viewer's
   * clipboard"; `hint`: says why nobody would get the host's clipboard;
   * `status`: a live region for what just happened. `viewers()`: the
   * admitted viewers (objects with peer, assist, clipboardRefused);
   * `mayShare(viewer)`: whether it has `clipboard`; `nameOf(viewer)`;
   * `sendLine(viewer, text)`: one message on its assist channel;
   * `onRefused(viewer)`: after a refusal was counted; `notify(text)`: tells
   * a person whose tab is in the background. `inbox`: tests may pass a
   * ClipboardInbox of their own.
   */
  constructor({
    sendButton, takeButton, hint, status, viewers, mayShare, nameOf, sendLine, onRefused, notify = () => {}, inbox,
  }) {
    Object.assign(this, { sendButton, hint, status, viewers, mayShare, nameOf, sendLine, onRefused, notify });
    this.inbox = inbox || new ClipboardInbox({ takeButton });
    this.sharing = false;
    this.links = new WeakMap(); // viewer -> {assembler, generation}
    this.lastFromViewer = null; // {mime, bytes, peer}: what not to send back
    this.lastReceived = null; // {mime, bytes, from, written, at} (tests)
    this.lastSent = null; // {mime, bytes, viewers, at} (tests)
    this.counts = { sent: 0, received: 0, refused: 0, suppressed: 0, invalid: 0 };
    sendButton.addEventListener('click', () => this.sendLocal());
    takeButton.addEventListener('click', () => this.takePending());
  }

  link(viewer) {
    let l = this.links.get(viewer);
    if (!l) {
      l = { assembler: new ClipboardAssembler(), generation: 0 };
      this.links.set(viewer, l);
    }
    return l;
  }

  /** Sharing started or stopped. */
  setSharing(on) {
    this.sharing = on;
    if (!on) {
      this.inbox.clear();
      this.lastFromViewer = null;
      this.say('');
    }
    this.update();
  }

  /** Says when nobody would get the host's clipboard; call after any change of who may. */
  update() {
    const anyone = [...this.viewers()].some((v) => this.mayShare(v));
    this.sendButton.disabled = !this.sharing || !anyone;
    this.hint.textContent = this.sharing && !anyone
      ? 'No viewer may use the clipboard yet: tick "Clipboard" in a viewer\'s row.' : '';
    this.hint.hidden = !this.hint.textContent;
  }

  say(text) {
    // A live region: the same words again would be announced again.
    if (this.status.textContent !== text) this.status.textContent = text;
  }

  /** `viewer` was given `clipboard`, or lost it (content on its way to it stops). */
  capabilityChanged(viewer, on) {
    const l = this.link(viewer);
    l.generation++;
    l.assembler = new ClipboardAssembler();
    this.say(`${this.nameOf(viewer)} ${on ? 'may share the clipboard now' : 'may no longer share the clipboard'}.`);
    this.update();
  }

  /** A "clipboard" piece (a parseAssist result) from `viewer`. */
  onPiece(viewer, piece) {
    if (!this.mayShare(viewer)) {
      // Once per content, as the native host does; its other pieces are dropped.
      if (piece.offset !== 0) return;
      viewer.clipboardRefused++;
      this.counts.refused++;
      this.sendLine(viewer, makeRefused(RefusedWhat.CLIPBOARD, CLIPBOARD_REFUSED_MESSAGE));
      this.say(`${this.nameOf(viewer)} tried to share the clipboard without your permission: refused.`);
      this.onRefused(viewer);
      return;
    }
    const whole = this.link(viewer).assembler.add(piece);
    if (!whole) return;
    const problem = contentProblem(whole);
    if (problem) {
      this.counts.invalid++;
      this.say(`${this.nameOf(viewer)}'s clipboard was not used: ${problem}`);
      return;
    }
    this.fromViewer(viewer, whole);
  }

  /** Whole, valid content from `viewer`: onto this computer's clipboard, or waiting for the button. */
  async fromViewer(viewer, content) {
    const from = this.nameOf(viewer);
    this.counts.received++;
    this.lastFromViewer = { ...content, peer: viewer.peer };
    const received = { ...content, from, written: false, at: performance.now() };
    this.lastReceived = received;
    const error = await this.inbox.put(content);
    if (this.lastReceived !== received) return; // newer content came meanwhile
    received.written = !error;
    if (error) this.notify(`${from} sent you their clipboard`);
    this.say(error
      ? `${from} copied ${describeContent(content)}, but this browser did not let the page put it on your `
        + `clipboard (${error}). Click "Copy viewer's clipboard".`
      : `${from} copied ${describeContent(content)}: it is on your clipboard.`);
  }

  /** "Copy viewer's clipboard": writes the waiting content with the click's permission. */
  async takePending() {
    const error = await this.inbox.take();
    if (!error && this.lastReceived) this.lastReceived.written = true;
    this.say(error ? `This browser did not let the page use the clipboard (${error}).`
      : 'The viewer\'s clipboard is on your clipboard now.');
  }

  /** "Send clipboard": this computer's clipboard, read with the click's permission. */
  async sendLocal() {
    let content;
    try {
      content = await readDeviceClipboard();
    } catch (e) {
      this.say(`This browser did not let the page read your clipboard (${e.message}). `
        + 'Click in the page and paste (Ctrl+V) instead.');
      return false;
    }
    return this.share(content, { pasted: false });
  }

  /** A paste into the page (not into a text field): what it carries goes to viewers. */
  async onPaste(ev) {
    if (!this.sharing || pasteIntoField(ev)) return false;
    const content = await pastedContent(ev);
    if (!content) {
      this.say('What you pasted is neither text nor a PNG image: nothing was sent.');
      return false;
    }
    return this.share(content, { pasted: true });
  }

  /**
   * Sends `content` to every viewer who has `clipboard`, but what a viewer
   * just sent: a paste of it is not sent at all (it came from there), and
   * the button sends it to the others only. Resolves whether any viewer got it.
   */
  async share(content, { pasted }) {
    const problem = contentProblem(content);
    if (problem) {
      this.say(`Your clipboard was not sent: ${problem}`);
      return false;
    }
    const echo = sameContent(content, this.lastFromViewer) ? this.lastFromViewer : null;
    if (echo && pasted) {
      this.counts.suppressed++;
      this.say('That is what a viewer just sent you: not sent back. Click "Send clipboard" to send it to the other viewers.');
      return false;
    }
    if (!echo) this.lastFromViewer = null;
    const targets = [...this.viewers()].filter((v) => this.mayShare(v) && v.peer !== echo?.peer
      && v.assist && v.assist.readyState === 'open');
    if (!targets.length) {
      this.say(echo ? 'That is what a viewer just sent you, and no other viewer may use the clipboard: nothing was sent.'
        : 'No viewer may use the clipboard: nothing was sent.');
      return false;
    }
    const pieces = makeClipboard(newClipboardId(), content.mime, content.bytes);
    const sent = { ...content, viewers: targets.length, at: performance.now() };
    this.lastSent = sent;
    this.counts.sent++;
    this.say(`Your clipboard (${describeContent(content)}) is going to ${targets.length} `
      + `${targets.length === 1 ? 'viewer' : 'viewers'}.`);
    const results = await Promise.all(targets.map((viewer) => {
      // Newer content for this viewer, or its capability taken back, stops this one.
      const l = this.link(viewer);
      const generation = ++l.generation;
      const channel = viewer.assist;
      return sendPieces(channel, pieces, () => l.generation === generation && this.mayShare(viewer)
        && viewer.assist === channel);
    }));
    const n = results.filter(Boolean).length;
    if (this.lastSent === sent) {
      this.say(`Your clipboard (${describeContent(content)}) went to ${n} ${n === 1 ? 'viewer' : 'viewers'}`
        + `${n < targets.length ? ` (${targets.length - n} left or lost the clipboard meanwhile)` : ''}.`);
    }
    return n > 0;
  }

  /** For window.ghostviewHost: counts, and the last content each way. */
  snapshot() {
    const view = (c) => c && {
      mime: c.mime, size: c.bytes.length, text: c.mime === ClipboardMime.TEXT ? new TextDecoder().decode(c.bytes) : '',
      base64: btoa(Array.from(c.bytes, (b) => String.fromCharCode(b)).join('')),
    };
    const r = this.lastReceived;
    return {
      ...this.counts,
      pending: !!this.inbox.pending,
      lastReceived: r && { ...view(r), from: r.from, written: r.written },
      lastSent: this.lastSent && { ...view(this.lastSent), viewers: this.lastSent.viewers },
    };
  }
}
