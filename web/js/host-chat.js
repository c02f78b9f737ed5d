// GhostView browser host page: the host's side of chat, as the native host
// does it. One "assist" data channel per viewer (the host opens it; the
// clipboard pieces on it go to host-clipboard.js); a line from a viewer who
// has `chat` goes to every viewer who has it (the sender too: every page
// shows one ordered history) and to the host's panel; a line from a viewer
// without it is refused (the viewer is told, the host counts it); the
// host's own lines go to every viewer who has `chat`.
// SPDX-License-Identifier: LGPL-2.1-or-later
import {
  ASSIST_CHANNEL, AssistKind, CHAT_REFUSED_MESSAGE, makeHostChat, makeRefused, MAX_CHAT_NAME_BYTES, parseAssist,
  RefusedWhat,
} from './assist.js';
import { ChatPanel } from './chat.js';
import { truncateUtf8 } from './protocol.js';

export const HOST_PEER = 'host';
export const HOST_NAME = 'Host';
export { CHAT_REFUSED_MESSAGE };
// A viewer whose channel holds this much unsent is not keeping up: lines
// for it are dropped rather than queued without end.
const MAX_BUFFERED_BYTES = 1024 * 1024;

export class HostChat {
  /**
   * `buttonParent`, `buttonBefore`, `mount`, `docked`: as ChatPanel's.
   * `viewers()`: the admitted viewers (objects with peer, name, assist,
   * chatRefused); `mayChat(viewer)`: whether it has `chat`; `nameOf(viewer)`:
   * its display name; `onRefused(viewer)`: after a refusal was counted;
   * `onClipboard(viewer, piece)`: clipboard pieces share the channel, and so
   * do list-sources and share (`onSource(viewer, msg)`).
   */
  constructor({
    buttonParent, buttonBefore, mount, docked, viewers, mayChat, nameOf, onRefused, onClipboard, onSource = () => {},
  }) {
    this.viewers = viewers;
    this.onClipboard = onClipboard;
    this.onSource = onSource;
    this.mayChat = mayChat;
    this.nameOf = nameOf;
    this.onRefused = onRefused;
    this.sharing = false;
    this.dropped = 0; // malformed messages from viewers
    this.panel = new ChatPanel({ buttonParent, buttonBefore, mount, docked, onSend: (text) => this.sendFromHost(text) });
  }

  /** Opens `viewer`'s assist channel on its new peer connection `pc`. */
  open(viewer, pc) {
    const channel = pc.createDataChannel(ASSIST_CHANNEL, { ordered: true });
    viewer.assist = channel;
    channel.addEventListener('message', (ev) => {
      if (viewer.assist === channel) this.onViewerMessage(viewer, ev.data);
    });
  }

  /** Sharing started or stopped: the panel is there only while sharing. */
  setSharing(on) {
    this.sharing = on;
    this.panel.setAvailable(on);
    this.update();
  }

  /** Says when nobody would read the host's lines; call after any change of who may chat. */
  update() {
    const readers = [...this.viewers()].filter((v) => this.mayChat(v)).length;
    this.panel.setEnabled(this.sharing, this.sharing && !readers
      ? 'No viewer may chat yet: tick "Chat" in a viewer\'s row.' : '');
  }

  /** `viewer` was given `chat`, or lost it. */
  chatChanged(viewer, on) {
    this.panel.addNotice(`${this.nameOf(viewer)} ${on ? 'may chat now' : 'may no longer chat'}.`);
    this.update();
  }

  onViewerMessage(viewer, data) {
    const msg = parseAssist(data);
    if (msg && msg.t === AssistKind.CLIPBOARD) {
      this.onClipboard(viewer, msg);
      return;
    }
    if (msg && (msg.t === AssistKind.LIST_SOURCES || msg.t === AssistKind.SHARE || msg.t === AssistKind.RESIZE)) {
      this.onSource(viewer, msg);
      return;
    }
    // Viewers send only their own lines ({t, text}), clipboard pieces and source requests; anything else is dropped.
    if (!msg || msg.t !== AssistKind.CHAT || msg.from !== undefined) {
      this.dropped++;
      return;
    }
    if (!this.mayChat(viewer)) {
      viewer.chatRefused++;
      this.send(viewer, makeRefused(RefusedWhat.CHAT, CHAT_REFUSED_MESSAGE));
      this.onRefused(viewer);
      return;
    }
    const name = truncateUtf8(this.nameOf(viewer), MAX_CHAT_NAME_BYTES);
    const time = Date.now();
    this.broadcast(makeHostChat(name, viewer.peer, msg.text, time));
    this.panel.addLine({ who: name, text: msg.text, time });
  }

  /** The host's own line, to every viewer who may chat. */
  sendFromHost(text) {
    const time = Date.now();
    const line = makeHostChat(HOST_NAME, HOST_PEER, text, time);
    if (!line || !this.sharing) return false;
    this.broadcast(line);
    this.panel.addLine({ who: 'You', text, time, mine: true, host: true });
    return true;
  }

  broadcast(line) {
    for (const viewer of this.viewers()) if (this.mayChat(viewer)) this.send(viewer, line);
  }

  send(viewer, line) {
    const channel = viewer.assist;
    if (!channel || channel.readyState !== 'open' || channel.bufferedAmount > MAX_BUFFERED_BYTES) return false;
    channel.send(line);
    return true;
  }
}
