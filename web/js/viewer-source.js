// GhostView viewer page: what the host shares (assist.js, "sources" /
// "shared"). Every viewer sees "Sharing: NAME (WxH)" from the host's latest
// `shared`, and a notice when the shared window closed. A viewer the host
// gave `source` also gets the Source picker: the host's screen, displays
// and windows (asked for with list-sources when the capability arrives and
// on Refresh), and Share, which asks the host to share the one picked.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { AssistKind, makeListSources, makeShare, SharedReason, SourceKind } from './assist.js';

/** "Sharing: Terminal (640×480)": what the host shares, for people. */
export function sharingText({ source, name, width, height }) {
  const size = width && height ? ` (${width}×${height})` : '';
  return `Sharing: ${name || describeId(source)}${size}`;
}

/** The notice of a `shared` whose window closed. */
export function windowClosedText(shared) {
  return `The shared window was closed; the host now shares ${shared.name || describeId(shared.source)}.`;
}

function describeId(id) {
  if (id === SourceKind.SCREEN) return 'the whole screen';
  if (id.startsWith(`${SourceKind.DISPLAY}:`)) return `display ${id.slice(SourceKind.DISPLAY.length + 1)}`;
  return 'a window';
}

/** One picker entry's words: "Whole screen (2944×1080)", "Display 0: HDMI-1 (1920×1080)", "Terminal (640×480)". */
function optionText(item) {
  const size = item.width && item.height ? ` (${item.width}×${item.height})` : '';
  if (item.kind === SourceKind.SCREEN) return `Whole screen${size}`;
  if (item.kind === SourceKind.DISPLAY) {
    const n = item.id.slice(SourceKind.DISPLAY.length + 1);
    return `Display ${n}${item.name ? `: ${item.name}` : ''}${size}`;
  }
  return `${item.name || 'Untitled window'}${size}`;
}

export class ViewerSource {
  /**
   * `line`: where "Sharing: ..." goes; `picker`: the Source control's box,
   * holding `select`, `shareButton` and `refreshButton`; `send(text)`: puts
   * a message on the assist channel (false when it is not open);
   * `channelOpen()`: whether it is; `toast(text, ms)`.
   */
  constructor({ line, picker, select, shareButton, refreshButton, send, channelOpen, toast }) {
    Object.assign(this, { line, picker, select, shareButton, refreshButton, toast });
    this.sendMessage = send;
    this.channelOpen = channelOpen;
    this.watching = false;
    this.allowed = false;
    this.listed = false; // list-sources sent since the capability (or channel) arrived
    this.items = [];
    this.current = '';
    this.shared = null; // the latest `shared`
    this.notice = ''; // the latest window-closed notice
    this.refused = 0;
    this.lastRefusal = '';
    this.sharesSent = 0;
    shareButton.addEventListener('click', () => this.share(select.value));
    refreshButton.addEventListener('click', () => this.list());
    select.addEventListener('change', () => this.update());
  }

  /** A new session: nothing known of what the host shares. */
  reset() {
    Object.assign(this, { listed: false, items: [], current: '', shared: null, notice: '' });
    this.fill();
    this.update();
  }

  /** Whether the page shows a session (`watching`) and the host gave `source` (`allowed`). */
  set({ watching = this.watching, allowed = this.allowed }) {
    if (!allowed || !watching) this.listed = false;
    this.watching = watching;
    this.allowed = allowed;
    this.listIfDue();
    this.update();
  }

  /** The assist channel opened (again): a viewer with `source` asks what there is. */
  channelOpened() {
    this.listed = false;
    this.listIfDue();
    this.update();
  }

  listIfDue() {
    if (this.watching && this.allowed && !this.listed && this.channelOpen()) this.list();
  }

  /** Asks the host what it can share; false when it could not leave. */
  list() {
    if (!this.sendMessage(makeListSources())) return false;
    this.listed = true;
    return true;
  }

  /**
   * Asks the host to share `id`; false when it could not leave.
   * `evenIfNotAllowed`: whatever the page thinks it may (the host decides; tests).
   */
  share(id, { evenIfNotAllowed = false } = {}) {
    const text = makeShare(id);
    if (!text || !(this.allowed || evenIfNotAllowed) || !this.sendMessage(text)) return false;
    this.sharesSent++;
    return true;
  }

  /** A `sources`, `shared` or source refusal from the host (a parseAssist result). */
  onMessage(msg) {
    if (msg.t === AssistKind.SOURCES) {
      this.items = msg.items;
      this.current = msg.current;
      this.fill();
    } else if (msg.t === AssistKind.SHARED) {
      this.shared = msg;
      this.current = msg.source;
      if (msg.reason === SharedReason.WINDOW_CLOSED) {
        this.notice = windowClosedText(msg);
        this.toast(this.notice, 8000);
        if (this.allowed) this.list(); // the window is gone from the list too
      } else if (msg.reason === SharedReason.RESIZED) {
        this.toast(`${msg.by || 'The host'} resized the host's display to ${msg.width}×${msg.height}.`);
      } else if (msg.by) {
        this.toast(`${msg.by} switched what is shared to ${msg.name || describeId(msg.source)}.`);
      }
      if (this.items.some((i) => i.id === msg.source)) this.select.value = msg.source;
    } else {
      this.refused++;
      this.lastRefusal = msg.message;
      this.toast(msg.message, 8000);
    }
    this.update();
  }

  /** The picker's entries, from the host's latest `sources`. */
  fill() {
    const keep = this.select.value;
    this.select.replaceChildren(...this.items.map((item) => {
      const o = document.createElement('option');
      o.value = item.id;
      o.textContent = optionText(item);
      o.title = item.id;
      return o;
    }));
    const pick = [keep, this.current].find((id) => id && this.items.some((i) => i.id === id));
    if (pick) this.select.value = pick;
  }

  update() {
    this.line.textContent = this.shared ? sharingText(this.shared) : '';
    this.line.title = this.shared && this.shared.by ? `Chosen by ${this.shared.by}` : '';
    this.line.hidden = !this.watching || !this.shared;
    this.picker.hidden = !this.watching || !this.allowed;
    const open = this.channelOpen();
    this.select.disabled = !open || this.items.length === 0;
    this.refreshButton.disabled = !open;
    this.shareButton.disabled = !open || !this.select.value || this.select.value === this.current;
  }

  /** What the page knows (tests). */
  snapshot() {
    return {
      allowed: this.allowed, items: this.items.slice(), current: this.current, shared: this.shared,
      line: this.line.hidden ? '' : this.line.textContent, notice: this.notice, refused: this.refused,
      lastRefusal: this.lastRefusal, sharesSent: this.sharesSent, pickerShown: !this.picker.hidden,
    };
  }
}
