// GhostView chat panel, shared by the viewer page and the browser host page:
// a button (with an unread count) that opens a panel with the history (who,
// when) and an input. What travels, and how, is the page's business
// (assist.js); this module only shows lines and hands typed text over.
// Message text only ever goes through textContent: never parsed as HTML.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { MAX_CHAT_BYTES } from './assist.js';

// Lines kept in the history; older ones are dropped (memory stays bounded).
const MAX_HISTORY_LINES = 500;

const encoder = new TextEncoder();

function element(tag, className = '', text = '') {
  const el = document.createElement(tag);
  if (className) el.className = className;
  if (text) el.textContent = text;
  return el;
}

const pad2 = (n) => String(n).padStart(2, '0');

/** "14:05": local time of Unix milliseconds `ms`. */
export function clockTime(ms) {
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

/** `text` without the control characters chat refuses (newline and tab stay). */
export function cleanChatText(text) {
  // eslint-disable-next-line no-control-regex
  return String(text).replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
}

export class ChatPanel {
  /**
   * `buttonParent`/`buttonBefore`: where the "Chat" button goes; `mount`:
   * where the panel goes (`docked`: in the page's flow, else floating over
   * the page's corner); `onSend(text)`: returns true when the text left
   * (the input is then cleared), false to keep it.
   */
  constructor({ buttonParent, buttonBefore = null, mount, docked = false, onSend }) {
    this.onSend = onSend;
    this.unread = 0;
    this.isOpen = false;

    this.button = element('button', 'btn ghost chat-button');
    this.button.type = 'button';
    this.button.id = 'chat-button';
    this.button.setAttribute('aria-expanded', 'false');
    this.button.setAttribute('aria-controls', 'chat-panel');
    this.button.append(element('span', '', 'Chat'));
    this.badge = element('span', 'unread');
    this.badge.hidden = true;
    this.button.append(this.badge);
    this.button.hidden = true;
    buttonParent.insertBefore(this.button, buttonBefore);

    this.panel = element('aside', `chat-panel${docked ? ' docked' : ''}`);
    this.panel.id = 'chat-panel';
    this.panel.setAttribute('aria-labelledby', 'chat-title');
    this.panel.hidden = true;
    const head = element('div', 'chat-head');
    const title = element('h2', '', 'Chat');
    title.id = 'chat-title';
    this.closeButton = element('button', 'btn ghost chat-close', 'Close');
    this.closeButton.type = 'button';
    this.closeButton.setAttribute('aria-label', 'Close chat');
    head.append(title, this.closeButton);

    this.history = element('ol', 'chat-history');
    this.history.setAttribute('role', 'log');
    this.history.setAttribute('aria-live', 'polite');
    this.empty = element('p', 'chat-empty muted small', 'No messages yet.');

    this.note = element('p', 'chat-note small');
    this.note.hidden = true;

    this.form = element('form', 'chat-form');
    this.form.noValidate = true;
    const label = element('label', 'visually-hidden', 'Message');
    label.htmlFor = 'chat-input';
    this.input = element('textarea', 'chat-input');
    this.input.id = 'chat-input';
    this.input.rows = 2;
    this.input.placeholder = 'Message (Enter sends)';
    this.input.title = 'Enter sends; Shift+Enter starts a new line';
    this.input.setAttribute('aria-describedby', 'chat-count');
    const foot = element('div', 'chat-foot');
    this.count = element('span', 'chat-count muted small');
    this.count.id = 'chat-count';
    this.sendButton = element('button', 'btn primary chat-send', 'Send');
    this.sendButton.type = 'submit';
    foot.append(this.count, this.sendButton);
    this.form.append(label, this.input, foot);

    this.panel.append(head, this.history, this.empty, this.note, this.form);
    mount.append(this.panel);

    this.button.addEventListener('click', () => (this.isOpen ? this.close() : this.open()));
    this.closeButton.addEventListener('click', () => {
      this.close();
      this.button.focus({ preventScroll: true });
    });
    this.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      this.send();
    });
    this.input.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && !ev.shiftKey && !ev.isComposing) {
        ev.preventDefault();
        this.send();
      } else if (ev.key === 'Escape') {
        this.close();
        this.button.focus({ preventScroll: true });
      }
    });
    this.input.addEventListener('input', () => this.updateCount());
    this.setEnabled(false);
  }

  /** Shows or hides the button (and closes the panel with it). */
  setAvailable(on) {
    this.button.hidden = !on;
    if (!on) this.close();
  }

  get available() {
    return !this.button.hidden;
  }

  /** Whether the input takes messages; `note` says why not (or anything else worth saying). */
  setEnabled(on, note = '') {
    const atEnd = this.atEnd();
    this.enabled = on;
    this.input.disabled = !on;
    this.note.textContent = note;
    this.note.hidden = !note;
    this.updateCount();
    if (atEnd) this.scrollToEnd(); // the note takes room from the history: keep its end in view
  }

  open() {
    if (this.button.hidden) return;
    this.isOpen = true;
    this.panel.hidden = false;
    this.button.setAttribute('aria-expanded', 'true');
    this.button.classList.add('active');
    this.setUnread(0);
    this.scrollToEnd();
    this.panel.scrollIntoView({ block: 'nearest' });
    if (this.enabled) this.input.focus({ preventScroll: true });
  }

  close() {
    this.isOpen = false;
    this.panel.hidden = true;
    this.button.setAttribute('aria-expanded', 'false');
    this.button.classList.remove('active');
  }

  /** A chat line: `who` wrote `text` at `time` (Unix ms); `mine` for the page's own. */
  addLine({ who, text, time, mine = false, host = false }) {
    const li = element('li', `chat-line${mine ? ' mine' : ''}${host ? ' from-host' : ''}`);
    const meta = element('div', 'chat-meta');
    const when = element('time', 'muted', clockTime(time));
    when.dateTime = new Date(time).toISOString();
    meta.append(element('strong', 'chat-who', who), ' ', when);
    li.append(meta, element('div', 'chat-text', text));
    this.append(li);
  }

  /** A line from the page itself: a refusal, a change of what the viewer may do. */
  addNotice(text, kind = 'notice') {
    this.append(element('li', `chat-notice ${kind}`, text));
  }

  clear() {
    this.history.replaceChildren();
    this.empty.hidden = false;
    this.setUnread(0);
  }

  // ---- inside ----

  atEnd() {
    return this.history.scrollTop + this.history.clientHeight >= this.history.scrollHeight - 8;
  }

  append(li) {
    const atEnd = this.atEnd();
    this.history.append(li);
    while (this.history.childElementCount > MAX_HISTORY_LINES) this.history.firstElementChild.remove();
    this.empty.hidden = true;
    if (!this.isOpen) this.setUnread(this.unread + 1);
    else if (atEnd) this.scrollToEnd();
  }

  scrollToEnd() {
    this.history.scrollTop = this.history.scrollHeight;
  }

  setUnread(n) {
    this.unread = n;
    this.badge.textContent = n > 99 ? '99+' : String(n);
    this.badge.hidden = n === 0;
    this.button.setAttribute('aria-label', n ? `Chat, ${n} unread` : 'Chat');
  }

  updateCount() {
    const bytes = encoder.encode(cleanChatText(this.input.value)).length;
    const over = bytes > MAX_CHAT_BYTES;
    this.count.textContent = over ? `${bytes} / ${MAX_CHAT_BYTES} bytes: too long` : `${bytes} / ${MAX_CHAT_BYTES} bytes`;
    this.count.classList.toggle('over', over);
    this.sendButton.disabled = !this.enabled || over || !this.input.value.trim();
  }

  send() {
    const text = cleanChatText(this.input.value);
    if (!this.enabled || !text.trim() || encoder.encode(text).length > MAX_CHAT_BYTES) return;
    if (this.onSend(text)) {
      this.input.value = '';
      this.updateCount();
    }
  }
}
