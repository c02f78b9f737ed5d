// GhostView browser host page: what is shared, and changing it.
//
// - "Share something else" asks the browser for a screen, window or tab
//   again; every viewer's video sender gets the new track (replaceTrack: no
//   new offer, the viewers keep watching), the old capture stops, and every
//   viewer is told with a `shared` (by "Host", the track's label as name,
//   its size from getSettings()), as the native host tells them.
// - A viewer's list-sources or share is refused: the browser's picker
//   cannot be driven from afar. A viewer without `source` is told so in the
//   native host's words (SOURCE_REFUSED_MESSAGE); one with it, that only
//   the host can pick here (BROWSER_SOURCE_MESSAGE).
// SPDX-License-Identifier: LGPL-2.1-or-later
import {
  AssistKind, makeRefused, makeShared, RefusedWhat, SharedReason, SOURCE_REFUSED_MESSAGE, SourceKind,
} from './assist.js';

/** A browser shares a screen it cannot resize. */
const BROWSER_RESIZE_MESSAGE = "This host shares from a browser: its display cannot change size.";

export const BROWSER_SOURCE_MESSAGE = 'This host shares from a browser: only the host can pick what is shared.';
const HOST_NAME = 'Host';

/**
 * The source id a capture stands for: "screen" for a whole screen; a
 * window or tab has no id a viewer could ask for, so each gets one of its
 * own, "window:0xN" (N counts the captures of this page).
 */
function sourceId(settings, n) {
  return !settings.displaySurface || settings.displaySurface === 'monitor' ? SourceKind.SCREEN : `window:0x${n.toString(16)}`;
}

export class HostSource {
  /**
   * `button`: "Share something else"; `viewers()`: the admitted viewers
   * (objects with pc and sourceRefused); `maySource(viewer)`: whether it has
   * `source`; `sendLine(viewer, text)`: one message on its assist channel;
   * `capture()`: asks for a screen, resolves {stream} or {error};
   * `adopt(stream)`: makes it the page's capture (and preview), resolves
   * once the preview has its first frame (or gave up waiting);
   * `stream()`: the current capture; `say(text)`: tells the person;
   * `onRefused(viewer)`: after a refusal was counted.
   */
  constructor({ button, viewers, maySource, sendLine, capture, adopt, stream, say, onRefused }) {
    Object.assign(this, { button, viewers, maySource, sendLine, capture, adopt, stream, say, onRefused });
    this.switching = false;
    this.switches = 0;
    this.lastShared = ''; // the latest `shared`, for viewers whose channel opens later
    button.addEventListener('click', () => this.switchCapture());
  }

  /** Sharing started or stopped: the button is there only while sharing. */
  setSharing(on) {
    this.button.hidden = !on;
    if (!on) {
      this.lastShared = '';
      this.say('');
    }
  }

  /** A list-sources, share or resize (a parseAssist result) from `viewer`: refused, with why. */
  onRequest(viewer, msg) {
    viewer.sourceRefused++;
    if (msg && msg.t === AssistKind.RESIZE) {
      this.sendLine(viewer, makeRefused(RefusedWhat.RESIZE, BROWSER_RESIZE_MESSAGE));
      this.onRefused(viewer);
      return;
    }
    this.sendLine(viewer, makeRefused(RefusedWhat.SOURCE,
      this.maySource(viewer) ? BROWSER_SOURCE_MESSAGE : SOURCE_REFUSED_MESSAGE));
    this.onRefused(viewer);
  }

  /** `viewer`'s assist channel opened: it hears what is shared, when that changed since sharing began. */
  channelOpened(viewer) {
    if (this.lastShared) this.sendLine(viewer, this.lastShared);
  }

  /** "Share something else": a new capture in place of the current one, for every viewer. */
  async switchCapture() {
    if (this.switching) return false;
    this.switching = true;
    this.button.disabled = true;
    try {
      const { stream, error } = await this.capture();
      if (error) {
        this.say(`Still sharing the same: ${error}`);
        return false;
      }
      const old = this.stream();
      const track = stream.getVideoTracks()[0];
      const shown = this.adopt(stream);
      const senders = [...this.viewers()].flatMap((v) => (v.pc ? v.pc.getSenders() : []))
        .filter((s) => s.track && s.track.kind === 'video');
      await Promise.all(senders.map((s) => s.replaceTrack(track).catch((e) => {
        console.warn('GhostView: a viewer keeps the old picture', e);
      })));
      if (old && old !== stream) for (const t of old.getTracks()) t.stop();
      this.switches++;
      // A capture's settings hold a guess until its first frame: its size is known then.
      await shown;
      const settings = track.getSettings ? track.getSettings() : {};
      const line = makeShared({
        source: sourceId(settings, this.switches), name: track.label, width: Math.round(settings.width || 0),
        height: Math.round(settings.height || 0), by: HOST_NAME, reason: SharedReason.NONE,
      });
      if (line) {
        this.lastShared = line;
        for (const viewer of this.viewers()) this.sendLine(viewer, line);
      }
      this.say(`Now sharing ${track.label || 'what you picked'}.`);
      return true;
    } finally {
      this.switching = false;
      this.button.disabled = false;
    }
  }
}
