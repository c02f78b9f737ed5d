// GhostView — the admin portal (/admin): this node's sessions, their viewers and
// the node's load, from the session API every 2 s; end a session, remove a
// viewer. Signed in with an API key that has the admin scope, kept in
// sessionStorage (this tab only) and sent as `Authorization: Bearer`.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { AdminApi, ApiError, formatBytes, formatDuration, maskPin } from './admin-api.js';

const POLL_MS = 2000;
const KEY_STORAGE = 'ghostview.adminKey';

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'),
  actions: $('portal-actions'),
  updated: $('updated'),
  refresh: $('refresh'),
  signOut: $('sign-out'),
  signIn: $('sign-in'),
  signInForm: $('sign-in-form'),
  key: $('api-key'),
  signInButton: $('sign-in-button'),
  signInError: $('sign-in-error'),
  portal: $('portal'),
  pollError: $('poll-error'),
  actionError: $('action-error'),
  sessionCount: $('session-count'),
  sessionRows: $('session-rows'),
  noSessions: $('no-sessions'),
  nodeRows: $('node-rows'),
  recordersEmpty: $('recorders-empty'),
  recorders: $('recorders'),
  workers: $('workers'),
  workerCount: $('worker-count'),
  noWorkers: $('no-workers'),
  jobRows: $('job-rows'),
  noJobs: $('no-jobs'),
  nodesAlone: $('nodes-alone'),
  nodesCluster: $('nodes-cluster'),
  confirm: $('confirm'),
  confirmTitle: $('confirm-title'),
  confirmText: $('confirm-text'),
  confirmReason: $('confirm-reason'),
  confirmOk: $('confirm-ok'),
  announce: $('announce'),
};

const portal = {
  state: 'signed-out', // 'signing-in', 'signed-in'
  api: null,
  pollTimer: 0,
  tickTimer: 0,
  polling: false,
  generation: 0, // a sign-out makes answers still on their way stale
  updatedAt: 0, // Date.now() of the last good answer
  serverOffsetMs: 0, // the server's clock minus ours (from /node)
  node: null,
  nodes: [], // the cluster's nodes (GET /nodes), this one among them
  pool: null, // {workers, recordings} (GET /recordings), with a cluster
  sessions: [],
  error: null,
  revealed: new Set(), // PINs shown whole
  rows: new Map(), // PIN -> {row, cells..., viewers: Map(id -> li)}
  lastCount: -1,
};

// ---- signing in and out ----

function setState(state) {
  portal.state = state;
  document.body.dataset.state = state;
  const signedIn = state === 'signed-in';
  ui.signIn.hidden = signedIn;
  ui.portal.hidden = !signedIn;
  ui.actions.hidden = !signedIn;
  ui.signInButton.disabled = state === 'signing-in';
  ui.signInButton.setAttribute('aria-busy', String(state === 'signing-in'));
  ui.signInButton.textContent = state === 'signing-in' ? 'Signing in…' : 'Sign in';
  if (state === 'signed-out') ui.status.textContent = 'Signed out';
  if (state === 'signing-in') ui.status.textContent = 'Signing in…';
}

function showSignInError(err) {
  if (!err) {
    ui.signInError.hidden = true;
    ui.signInError.textContent = '';
    ui.key.removeAttribute('aria-invalid');
    return;
  }
  ui.signInError.replaceChildren(errorText(err));
  ui.signInError.hidden = false;
  ui.key.setAttribute('aria-invalid', 'true');
}

/** The server's sentence, and its code underneath (what to search the docs for). */
function errorText(err) {
  const frag = document.createDocumentFragment();
  frag.append(err.message);
  if (err.code) {
    const detail = document.createElement('span');
    detail.className = 'detail';
    detail.textContent = err.status ? `${err.code} (HTTP ${err.status})` : err.code;
    frag.append(detail);
  }
  return frag;
}

async function signIn(key, { restoring = false } = {}) {
  const api = new AdminApi(key);
  const generation = ++portal.generation;
  setState('signing-in');
  showSignInError(null);
  try {
    const node = await api.node(); // admin scope: a read or write key is refused here
    if (generation !== portal.generation) return;
    portal.api = api;
    sessionStorage.setItem(KEY_STORAGE, key);
    ui.key.value = '';
    setState('signed-in');
    acceptNode(node);
    ui.status.textContent = `Signed in · ${node.node}`;
    await poll();
    ui.refresh.focus();
  } catch (e) {
    if (generation !== portal.generation) return;
    const err = e instanceof ApiError ? e : new ApiError(0, 'ERROR', String(e.message || e));
    sessionStorage.removeItem(KEY_STORAGE);
    setState('signed-out');
    showSignInError(restoring ? new ApiError(err.status, err.code, `The saved key no longer signs in: ${err.message}`) : err);
    ui.key.focus();
  }
}

function signOut(reason) {
  portal.generation++;
  clearTimeout(portal.pollTimer);
  clearInterval(portal.tickTimer);
  portal.pollTimer = 0;
  portal.tickTimer = 0;
  portal.api = null;
  portal.node = null;
  portal.nodes = [];
  portal.pool = null;
  portal.sessions = [];
  portal.updatedAt = 0;
  portal.error = null;
  portal.revealed.clear();
  portal.rows.clear();
  portal.lastCount = -1;
  ui.sessionRows.replaceChildren();
  ui.nodeRows.replaceChildren();
  ui.workers.replaceChildren();
  ui.jobRows.replaceChildren();
  ui.recorders.hidden = true;
  ui.recordersEmpty.hidden = false;
  ui.pollError.hidden = true;
  ui.actionError.hidden = true;
  sessionStorage.removeItem(KEY_STORAGE);
  setState('signed-out');
  showSignInError(reason || null);
  ui.key.focus();
}

// ---- polling ----

/** One round: the node and every session with its viewers. Schedules the next. */
async function poll() {
  if (portal.state !== 'signed-in' || portal.polling) return;
  clearTimeout(portal.pollTimer);
  portal.polling = true;
  const generation = portal.generation;
  try {
    const [node, list] = await Promise.all([portal.api.node(), portal.api.sessions()]);
    if (generation !== portal.generation) return;
    // A cluster (its recorder pool): its nodes, workers and jobs too.
    const [nodes, pool] = node.recorder_pool
      ? await Promise.all([portal.api.nodes(), portal.api.recordings()])
      : [null, null];
    if (generation !== portal.generation) return;
    portal.nodes = nodes && Array.isArray(nodes.nodes) ? nodes.nodes : [];
    portal.pool = pool;
    acceptNode(node);
    portal.sessions = Array.isArray(list.sessions) ? list.sessions : [];
    portal.updatedAt = Date.now();
    setPollError(null);
    render();
  } catch (e) {
    if (generation !== portal.generation) return;
    const err = e instanceof ApiError ? e : new ApiError(0, 'ERROR', String(e.message || e));
    if (err.refusesKey) {
      // The key was taken away (the key file reloaded) or lost its scope.
      signOut(new ApiError(err.status, err.code, `Signed out: ${err.message}`));
      return;
    }
    setPollError(err);
  } finally {
    if (generation === portal.generation) {
      portal.polling = false;
      portal.pollTimer = setTimeout(poll, POLL_MS);
      if (!portal.tickTimer) portal.tickTimer = setInterval(tick, 1000);
      tick();
    }
  }
}

function acceptNode(node) {
  portal.node = node;
  // The server's "now" is started_at + uptime_s: durations use its clock, not this computer's.
  const serverNow = (Number(node.started_at) + Number(node.uptime_s)) * 1000;
  if (Number.isFinite(serverNow)) portal.serverOffsetMs = serverNow - Date.now();
}

function setPollError(err) {
  portal.error = err;
  document.body.toggleAttribute('data-stale', !!err);
  if (!err) {
    ui.pollError.hidden = true;
    return;
  }
  const frag = document.createDocumentFragment();
  frag.append('Could not update: ');
  frag.append(errorText(err));
  ui.pollError.replaceChildren(frag);
  ui.pollError.hidden = false;
}

/** Every second: "updated N s ago" and the sessions' durations. */
function tick() {
  if (portal.state !== 'signed-in') return;
  if (portal.updatedAt) {
    const ago = Math.max(0, Math.round((Date.now() - portal.updatedAt) / 1000));
    ui.updated.textContent = `Updated ${ago} s ago`;
    ui.updated.dataset.ago = String(ago);
  }
  ui.updated.classList.toggle('stale', !!portal.error);
  const now = (Date.now() + portal.serverOffsetMs) / 1000;
  for (const s of portal.sessions) {
    const r = portal.rows.get(s.pin);
    if (r) setText(r.duration, formatDuration(now - s.created_at));
  }
}

// ---- rendering ----

function setText(el, text) {
  if (el.textContent !== text) el.textContent = text;
}

function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

function render() {
  renderSessions();
  renderNode();
  renderOtherNodes();
  renderRecorders();
}

function renderOtherNodes() {
  const others = portal.nodes.filter((n) => !n.self);
  const cluster = !!(portal.node && portal.node.recorder_pool);
  ui.nodesAlone.hidden = cluster;
  ui.nodesCluster.hidden = !cluster;
  for (const row of [...ui.nodeRows.querySelectorAll('tr.other-node')]) row.remove();
  for (const n of others) {
    const row = el('tr', 'other-node');
    row.dataset.node = n.node;
    const values = [n.node, `${n.sessions}`, String(n.viewers), String(n.connections), '—', '—', '—', '—'];
    ['Node', 'Sessions', 'Viewers', 'Connections', 'Memory (RSS)', 'Up', 'Relayed', 'Version'].forEach((label, i) => {
      const td = el('td', undefined, values[i]);
      td.dataset.label = label;
      row.append(td);
    });
    ui.nodeRows.append(row);
  }
}

function renderRecorders() {
  const pool = portal.pool;
  ui.recordersEmpty.hidden = !!pool;
  ui.recorders.hidden = !pool;
  if (!pool) return;
  const workers = Array.isArray(pool.workers) ? pool.workers : [];
  ui.workerCount.textContent = `(${workers.length})`;
  ui.noWorkers.hidden = workers.length > 0;
  ui.workers.replaceChildren(...workers.map((w) => {
    const li = el('li', 'worker');
    li.dataset.worker = w.name;
    const heard = Math.round(Number(w.idle_ms) / 1000);
    const busy = Number(w.pending) > 0 ? 'recording' : 'waiting for a job';
    li.append(el('span', 'worker-name', w.name),
      el('span', 'muted', ` · ${busy} · last heard of ${heard < 2 ? 'just now' : `${formatDuration(heard)} ago`}`));
    return li;
  }));
  const jobs = Array.isArray(pool.recordings) ? pool.recordings : [];
  ui.noJobs.hidden = jobs.length > 0;
  ui.jobRows.replaceChildren(...jobs.map((j) => {
    const row = el('tr');
    row.dataset.job = j.id;
    row.dataset.state = j.state;
    const updated = formatDuration(Math.max(0, Math.round(Date.now() / 1000 + portal.serverOffsetMs / 1000 - Number(j.updated_at))));
    const values = [j.id, maskPin(j.pin), j.error ? `${j.state} (${j.error})` : j.state, j.worker || '—',
      `${j.parts} (${(j.files || []).length} file${(j.files || []).length === 1 ? '' : 's'})`, `${updated} ago`];
    ['Job', 'PIN', 'State', 'Worker', 'Parts', 'Updated'].forEach((label, i) => {
      const td = el('td', undefined, values[i]);
      td.dataset.label = label;
      row.append(td);
    });
    return row;
  }));
}

function renderSessions() {
  const sessions = portal.sessions;
  const live = sessions.filter((s) => s.state === 'live').length;
  setText(ui.sessionCount, sessions.length ? `(${live} live${sessions.length > live ? `, ${sessions.length - live} reserved` : ''})` : '');
  ui.noSessions.hidden = sessions.length > 0;
  if (portal.lastCount !== -1 && portal.lastCount !== sessions.length) {
    ui.announce.textContent = `${sessions.length} session${sessions.length === 1 ? '' : 's'}`;
  }
  portal.lastCount = sessions.length;

  const seen = new Set();
  sessions.forEach((s, i) => {
    seen.add(s.pin);
    let r = portal.rows.get(s.pin);
    if (!r) {
      r = makeSessionRow(s.pin);
      portal.rows.set(s.pin, r);
    }
    updateSessionRow(r, s);
    // Moved only when out of place: moving a row would take the keyboard focus out of it.
    if (ui.sessionRows.children[i] !== r.row) ui.sessionRows.insertBefore(r.row, ui.sessionRows.children[i] || null);
  });
  for (const [pin, r] of portal.rows) {
    if (seen.has(pin)) continue;
    const hadFocus = r.row.contains(document.activeElement);
    r.row.remove();
    portal.rows.delete(pin);
    portal.revealed.delete(pin);
    if (hadFocus) ui.refresh.focus();
  }
}

function makeSessionRow(pin) {
  const row = el('tr');
  row.dataset.pin = pin;
  // Each cell's content in one box: on narrow screens the cell is a grid of its label and this.
  const cell = (label) => {
    const td = el('td');
    td.dataset.label = label;
    const body = el('div', 'cell-body');
    td.append(body);
    row.append(td);
    return body;
  };
  const pinCell = cell('PIN');
  const pinText = el('span', 'pin-text');
  const reveal = el('button', 'btn ghost small-btn reveal');
  reveal.type = 'button';
  reveal.addEventListener('click', () => {
    if (portal.revealed.has(pin)) portal.revealed.delete(pin);
    else portal.revealed.add(pin);
    const s = portal.sessions.find((x) => x.pin === pin);
    if (s) updateSessionRow(portal.rows.get(pin), s);
  });
  pinCell.append(pinText, reveal);
  const host = cell('Host');
  const viewersCell = cell('Viewers');
  const viewerSummary = el('span', 'viewer-summary');
  const viewerList = el('ul', 'viewer-list');
  viewersCell.append(viewerSummary, viewerList);
  const bitrate = cell('Bitrate');
  bitrate.append(el('span', 'muted', 'not known'));
  bitrate.title = 'Media does not pass through the signalling server: see the note under the table.';
  const duration = cell('Duration');
  duration.classList.add('num');
  const node = cell('Node');
  const actionsCell = cell('Actions');
  const end = el('button', 'btn danger small-btn end-session', 'End session');
  end.type = 'button';
  end.addEventListener('click', () => confirmEndSession(pin));
  actionsCell.append(end);
  return { row, pinText, reveal, host, viewerSummary, viewerList, bitrate, duration, node, end, viewers: new Map() };
}

function updateSessionRow(r, s) {
  const shown = portal.revealed.has(s.pin);
  const masked = maskPin(s.pin);
  setText(r.pinText, shown ? s.pin : masked);
  r.pinText.classList.toggle('masked', !shown);
  r.pinText.setAttribute('aria-label', shown ? `PIN ${s.pin.split('').join(' ')}` : `PIN hidden, ${masked.length} digits`);
  setText(r.reveal, shown ? 'Hide' : 'Show');
  r.reveal.setAttribute('aria-pressed', String(shown));
  r.reveal.setAttribute('aria-label', shown ? `Hide the PIN ${masked}` : `Show the PIN ${masked}`);
  r.row.dataset.state = s.state;

  const hostParts = [];
  if (s.state === 'reserved') hostParts.push(['reserved', 'Reserved: no host yet']);
  else hostParts.push(['host-peer', s.host_peer || 'host'], ['host-address muted small', s.host_address || 'address unknown']);
  if (s.label) hostParts.push(['host-label muted small', s.label]);
  const hostKey = JSON.stringify(hostParts);
  if (r.host.dataset.key !== hostKey) {
    r.host.dataset.key = hostKey;
    r.host.replaceChildren(...hostParts.map(([cls, text]) => el('span', cls, text)));
  }

  const viewers = Array.isArray(s.viewers) ? s.viewers : [];
  setText(r.viewerSummary, `${viewers.length} viewer${viewers.length === 1 ? '' : 's'} · PIN admits ${s.max_viewers}${s.pin_expired ? ' (expired)' : ''}`);
  r.viewerSummary.setAttribute('aria-label', `${viewers.length} viewer${viewers.length === 1 ? '' : 's'}; the PIN admits ${s.max_viewers}${s.pin_expired ? ', and has expired' : ''}`);
  const seen = new Set();
  viewers.forEach((v, i) => {
    seen.add(v.id);
    let item = r.viewers.get(v.id);
    if (!item) {
      item = makeViewerItem(s.pin, v);
      r.viewers.set(v.id, item);
    }
    updateViewerItem(item, v, masked);
    if (r.viewerList.children[i] !== item.li) r.viewerList.insertBefore(item.li, r.viewerList.children[i] || null);
  });
  for (const [id, item] of r.viewers) {
    if (seen.has(id)) continue;
    const hadFocus = item.li.contains(document.activeElement);
    item.li.remove();
    r.viewers.delete(id);
    if (hadFocus) r.end.focus();
  }
  setText(r.node, s.node || '');
  r.end.setAttribute('aria-label', `End the session ${masked}`);
}

function makeViewerItem(pin, v) {
  const li = el('li', 'viewer');
  li.dataset.viewer = v.id;
  const name = el('span', 'viewer-name');
  const meta = el('span', 'viewer-meta muted small');
  const kick = el('button', 'btn ghost small-btn kick', 'Remove');
  kick.type = 'button';
  kick.addEventListener('click', () => confirmKick(pin, v.id));
  li.append(name, meta, kick);
  return { li, name, meta, kick, viewer: v };
}

function updateViewerItem(item, v, maskedPin) {
  item.viewer = v;
  const name = v.name || 'Unnamed viewer';
  setText(item.name, name);
  const caps = (v.capabilities || []).filter((c) => c !== 'view');
  const meta = [v.state === 'admitted' ? 'watching' : 'waiting for the host', v.address,
    v.joined_with === 'invite' ? 'invite link' : '', caps.length ? `may ${caps.join(', ')}` : ''].filter(Boolean);
  setText(item.meta, meta.join(' · '));
  item.li.dataset.state = v.state;
  item.kick.setAttribute('aria-label', `Remove ${name} from the session ${maskedPin}`);
}

function renderNode() {
  const n = portal.node;
  if (!n) return;
  let row = ui.nodeRows.querySelector('tr');
  if (!row) {
    row = el('tr');
    for (const label of ['Node', 'Sessions', 'Viewers', 'Connections', 'Memory (RSS)', 'Up', 'Relayed', 'Version']) {
      const td = el('td');
      td.dataset.label = label;
      row.append(td);
    }
    ui.nodeRows.append(row);
  }
  const cells = row.children;
  const values = [
    n.node,
    `${n.sessions_live} live${n.sessions_reserved ? `, ${n.sessions_reserved} reserved` : ''} (of at most ${n.max_sessions})`,
    String(n.viewers),
    String(n.connections),
    n.rss_bytes === null ? 'not known on this system' : formatBytes(n.rss_bytes),
    formatDuration(n.uptime_s),
    `${n.messages_relayed} messages, ${formatBytes(n.fallback_bytes_relayed)} of fallback pictures`,
    n.version,
  ];
  values.forEach((v, i) => setText(cells[i], v));
  row.dataset.node = n.node;
}

// ---- confirmations and actions ----

let confirmAction = null;

function askToConfirm({ title, text, ok, action, returnFocus }) {
  confirmAction = { action, returnFocus, failure: `Could not ${ok.toLowerCase()}` };
  ui.confirmTitle.textContent = title;
  ui.confirmText.textContent = text;
  ui.confirmOk.textContent = ok;
  ui.confirmReason.value = '';
  ui.confirm.showModal();
  ui.confirmReason.focus();
}

ui.confirm.addEventListener('close', async () => {
  const pending = confirmAction;
  confirmAction = null;
  if (!pending) return;
  const reason = ui.confirmReason.value;
  if (ui.confirm.returnValue === 'confirm') {
    try {
      await pending.action(reason);
      ui.actionError.hidden = true;
    } catch (e) {
      const err = e instanceof ApiError ? e : new ApiError(0, 'ERROR', String(e.message || e));
      if (err.refusesKey) {
        signOut(new ApiError(err.status, err.code, `Signed out: ${err.message}`));
        return;
      }
      // Kept until the next action: the next poll's success does not clear it.
      ui.actionError.replaceChildren(`${pending.failure}: `, errorText(err));
      ui.actionError.hidden = false;
    }
    await poll();
  }
  const back = pending.returnFocus();
  if (back && back.isConnected) back.focus();
  else if (portal.state === 'signed-in') ui.refresh.focus();
});

function confirmEndSession(pin) {
  const r = portal.rows.get(pin);
  const s = portal.sessions.find((x) => x.pin === pin);
  const count = s && Array.isArray(s.viewers) ? s.viewers.length : 0;
  askToConfirm({
    title: `End the session ${maskPin(pin)}?`,
    text: `Its host and ${count} viewer${count === 1 ? '' : 's'} are told the session was ended by its operator, and the PIN stops working.`,
    ok: 'End session',
    action: async (reason) => {
      await portal.api.endSession(pin, reason);
      ui.announce.textContent = `Session ${maskPin(pin)} ended`;
    },
    returnFocus: () => (r ? r.end : null),
  });
}

function confirmKick(pin, viewerId) {
  const r = portal.rows.get(pin);
  const item = r && r.viewers.get(viewerId);
  const name = item ? (item.viewer.name || 'this unnamed viewer') : 'this viewer';
  askToConfirm({
    title: `Remove ${name}?`,
    text: `${name} leaves the session ${maskPin(pin)} and is told the session's operator removed them. The host is told too.`,
    ok: 'Remove viewer',
    action: async (reason) => {
      await portal.api.kickViewer(pin, viewerId, reason);
      ui.announce.textContent = `${name} removed`;
    },
    returnFocus: () => (r ? (r.viewers.get(viewerId)?.kick || r.end) : null),
  });
}

// ---- wiring ----

ui.signInForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const key = ui.key.value.trim();
  if (!key) {
    showSignInError(new ApiError(0, '', 'Paste an API key first.'));
    ui.key.focus();
    return;
  }
  signIn(key);
});
ui.refresh.addEventListener('click', () => poll());
ui.signOut.addEventListener('click', () => signOut(null));

// For tests and for the curious: what the portal shows, as data.
window.ghostviewAdmin = {
  get state() { return portal.state; },
  get updatedAt() { return portal.updatedAt; },
  get error() { return portal.error ? { status: portal.error.status, code: portal.error.code, message: portal.error.message } : null; },
  get sessions() { return portal.sessions.map((s) => ({ pin: s.pin, state: s.state, viewers: (s.viewers || []).map((v) => v.id) })); },
  get node() { return portal.node; },
};

setState('signed-out');
const saved = sessionStorage.getItem(KEY_STORAGE);
if (saved) signIn(saved, { restoring: true });
else ui.key.focus();
