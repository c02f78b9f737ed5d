// GhostView viewer page: chat on the host's "assist" data channel. The host
// opens the channel; the Chat button shows while it is open; the input takes
// text only while the host has given this viewer `chat` (else it says so).
// A line sent shows once the host echoes it back, so every page has one
// ordered history.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { AssistKind, makeChat, parseAssist, RefusedWhat } from './assist.js';
import { ChatPanel } from './chat.js';

export const NO_CHAT_NOTE = 'The host has not allowed chat.';
const HOST_PEER = 'host';

export class ViewerChat {
  /**
   * `buttonParent`, `buttonBefore`, `mount`: as ChatPanel's; `onClipboard(piece)`,
   * `onClipboardRefused(msg)`: clipboard pieces and refusals share the channel;
   * `onSource(msg)`: so do `sources`, `shared` and refusals about `source`;
   * `onCursor(msg)`: and the host's pointer, `cursor` and `cursor-shape`.
   */
  constructor({
    buttonParent, buttonBefore, mount, onClipboard = () => {}, onClipboardRefused = () => {}, onSource = () => {},
    onCursor = () => {},
  }) {
    this.onClipboard = onClipboard;
    this.onClipboardRefused = onClipboardRefused;
    this.onSource = onSource;
    this.onCursor = onCursor;
    this.channel = null;
    this.selfPeer = ''; // ours, from `joined`: the host names it as the sender of our lines
    this.watching = false;
    this.mayChat = false;
    this.panel = new ChatPanel({ buttonParent, buttonBefore, mount, onSend: (text) => this.send(text) });
  }

  get channelState() {
    return this.channel ? this.channel.readyState : 'none';
  }

  /** A new session: an empty history. */
  reset(selfPeer = '') {
    this.selfPeer = selfPeer;
    this.channel = null;
    this.panel.clear();
    this.update();
  }

  /** The host's assist channel on the current peer connection. */
  adopt(channel) {
    this.channel = channel;
    channel.addEventListener('open', () => this.update());
    channel.addEventListener('message', (ev) => {
      if (this.channel === channel) this.onMessage(ev.data);
    });
    channel.addEventListener('close', () => {
      if (this.channel === channel) this.channel = null;
      this.update();
    });
    this.update();
  }

  /** The peer connection is gone (or replaced): so is its channel. */
  drop() {
    this.channel = null;
    this.update();
  }

  /** Whether the page shows a session (`watching`) and the viewer has `chat` (`mayChat`). */
  set({ watching = this.watching, mayChat = this.mayChat }) {
    if (mayChat !== this.mayChat && this.watching && watching) {
      this.panel.addNotice(mayChat ? 'The host allowed you to chat.' : 'The host turned chat off for you.');
    }
    this.watching = watching;
    this.mayChat = mayChat;
    this.update();
  }

  update() {
    const open = this.watching && this.channelState === 'open';
    this.panel.setAvailable(open);
    this.panel.setEnabled(open && this.mayChat, this.mayChat ? '' : NO_CHAT_NOTE);
  }

  /** A host message; anything malformed is dropped. */
  onMessage(data) {
    const msg = parseAssist(data);
    if (!msg) {
      console.debug('GhostView: malformed assist message dropped');
      return;
    }
    if (msg.t === AssistKind.CURSOR || msg.t === AssistKind.CURSOR_SHAPE) {
      this.onCursor(msg);
    } else if (msg.t === AssistKind.CLIPBOARD) {
      this.onClipboard(msg);
    } else if (msg.t === AssistKind.CHAT && msg.from !== undefined) {
      const mine = !!this.selfPeer && msg.peer === this.selfPeer;
      this.panel.addLine({
        who: mine ? 'You' : msg.from || 'A viewer', text: msg.text, time: msg.time, mine, host: msg.peer === HOST_PEER,
      });
    } else if (msg.t === AssistKind.REFUSED && msg.what === RefusedWhat.CLIPBOARD) {
      this.onClipboardRefused(msg);
    } else if (msg.t === AssistKind.SOURCES || msg.t === AssistKind.SHARED
      || (msg.t === AssistKind.REFUSED && (msg.what === RefusedWhat.SOURCE || msg.what === RefusedWhat.RESIZE))) {
      this.onSource(msg);
    } else if (msg.t === AssistKind.REFUSED) {
      this.panel.addNotice(msg.message || NO_CHAT_NOTE, 'refused');
    }
  }

  /** Puts `text` (an assist message) on the channel; false when it is not open. */
  sendRaw(text) {
    if (this.channelState !== 'open') return false;
    this.channel.send(text);
    return true;
  }

  /** Sends a chat line (the host decides whether it may); false when it could not leave. */
  send(text) {
    const line = makeChat(text);
    if (!line || this.channelState !== 'open') return false;
    this.channel.send(line);
    return true;
  }
}
