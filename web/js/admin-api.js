// GhostView — the admin portal's side of the session API (signaling/openapi.json),
// and the small formatters its tables use. No DOM here.
// SPDX-License-Identifier: LGPL-2.1-or-later

const API = '/api/v1';

/** An answer of the API that is not a success: its JSON error, or what went wrong reaching it. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status; // 0: the server was not reached
    this.code = code;
  }

  /** The key is not (or no longer) good for this portal: sign out. */
  get refusesKey() {
    return this.status === 401 || this.status === 403;
  }
}

/**
 * A client of the session API holding one key, sent as `Authorization:
 * Bearer KEY` on every request. Every method resolves with the parsed JSON
 * (or null for 204) or rejects with an ApiError whose message is the
 * server's own sentence.
 */
export class AdminApi {
  constructor(key) {
    this.key = key;
  }

  async request(method, path) {
    let response;
    try {
      response = await fetch(`${API}${path}`, {
        method,
        headers: { Authorization: `Bearer ${this.key}`, Accept: 'application/json' },
        cache: 'no-store',
        credentials: 'omit',
      });
    } catch (e) {
      // fetch refuses a header value with a line break or a non-Latin-1 character before sending.
      if (e instanceof TypeError && /header/i.test(e.message)) {
        throw new ApiError(0, 'BAD_KEY', 'An API key is one line of plain ASCII characters; this one is not.');
      }
      throw new ApiError(0, 'UNREACHABLE', `The server could not be reached (${e.message}).`);
    }
    if (response.status === 204) return null;
    let body = null;
    try {
      body = await response.json();
    } catch {
      body = null;
    }
    if (response.ok && body !== null) return body;
    if (body && typeof body.code === 'string' && typeof body.message === 'string') {
      throw new ApiError(response.status, body.code, body.message);
    }
    throw new ApiError(response.status, `HTTP_${response.status}`,
      `The server answered ${response.status} ${response.statusText} without a JSON answer.`);
  }

  /** GET /node: needs the admin scope, so it is also the sign-in check. */
  node() {
    return this.request('GET', '/node');
  }

  /** GET /sessions?include=viewers: every session with its viewers, in one request. */
  sessions() {
    return this.request('GET', '/sessions?include=viewers&limit=1000');
  }

  /** GET /nodes: the cluster's nodes (this one alone without a cluster). Admin scope. */
  nodes() {
    return this.request('GET', '/nodes');
  }

  /** GET /recordings: the recorder pool's workers and newest jobs (a cluster only). */
  recordings() {
    return this.request('GET', '/recordings');
  }

  endSession(pin, reason) {
    return this.request('DELETE', `/sessions/${encodeURIComponent(pin)}${reasonQuery(reason)}`);
  }

  kickViewer(pin, viewer, reason) {
    return this.request('DELETE',
      `/sessions/${encodeURIComponent(pin)}/viewers/${encodeURIComponent(viewer)}${reasonQuery(reason)}`);
  }
}

function reasonQuery(reason) {
  const r = String(reason || '').trim();
  return r ? `?reason=${encodeURIComponent(r)}` : '';
}

/** "123456" -> "12••56": the first two and last two digits, a bullet for each one between. */
export function maskPin(pin) {
  const p = String(pin);
  if (p.length <= 4) return '•'.repeat(p.length);
  return `${p.slice(0, 2)}${'•'.repeat(p.length - 4)}${p.slice(-2)}`;
}

/** Seconds as "45 s", "12 min 5 s", "3 h 04 min", "2 d 3 h". */
export function formatDuration(totalSeconds) {
  const s = Math.max(0, Math.floor(totalSeconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Bytes as "512 B", "1.5 KiB", "23.4 MiB", "1.2 GiB". */
export function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = Number(bytes) || 0;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(1)} ${units[i]}`;
}
