// GhostView browser tests: a native host the test can pause and resume
// (lib/gst-host.py: the launch line under Debian's python3 with gi, its bus
// messages printed as `gst-launch-1.0 -m` prints them, commands on stdin).
// SPDX-License-Identifier: LGPL-2.1-or-later
import { spawn, spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gstEnv, skip, stopProcess, tail } from './harness.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const python = '/usr/bin/python3'; // Debian's, which has gi (the one on PATH may not)

/** Skips (77) unless Debian's python3 can load GStreamer through gi. */
export function requirePythonGst() {
  const r = spawnSync(python, ['-c', "import gi; gi.require_version('Gst', '1.0'); from gi.repository import Gst"],
    { encoding: 'utf8' });
  if (r.error || r.status !== 0) skip('python3 with gi and GStreamer is missing (apt install python3-gi gir1.2-gstreamer-1.0)');
}

const PIN_POSTED = /gvwebrtcsink-session[^\n]*?pin=\(string\)"?(\d{6,9})/;

/**
 * Runs `pipeline` (with a gvwebrtcsink); resolves {pin, output, command(text),
 * stop()} once the sink posted its PIN (or, for a pipeline that is not a
 * host, once its output matches `ready`). command('pause' | 'play' |
 * 'get NAME PROP' | 'set NAME PROP VALUE' | 'emit NAME SIGNAL ARG...')
 * resolves once the pipeline confirmed it.
 */
export function startPausableHost(pipeline, { timeoutMs = 15000, ready = PIN_POSTED } = {}) {
  const child = spawn(python, [path.join(here, 'gst-host.py'), pipeline], {
    env: gstEnv(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const host = {
    child,
    pin: '',
    output: '',
    stop: () => {
      child.stdin.end();
      return stopProcess(child, 'SIGINT');
    },
    command(text) {
      const mark = host.output.length;
      child.stdin.write(`${text}\n`);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the host did not confirm "${text}":\n${tail(host.output)}`)), 5000);
        const check = () => {
          const after = host.output.slice(mark);
          if (after.includes(`ok: ${text}`) || after.includes(`error: ${text}`)) {
            clearTimeout(timer);
            child.stdout.off('data', check);
            if (after.includes(`error: ${text}`)) reject(new Error(`the host refused "${text}"`));
            else resolve();
          }
        };
        child.stdout.on('data', check);
        check();
      });
    },
  };
  child.stdout.on('data', (d) => { host.output += d; });
  child.stderr.on('data', (d) => { host.output += d; });
  return new Promise((resolve, reject) => {
    let started = false;
    const timer = setTimeout(() => reject(new Error(`no ${ready} from the pipeline in ${timeoutMs} ms:\n${tail(host.output)}`)), timeoutMs);
    const check = () => {
      const m = host.output.match(ready);
      if (m) {
        clearTimeout(timer);
        child.stdout.off('data', check);
        started = true;
        host.pin = m[1] ?? '';
        resolve(host);
      }
    };
    child.stdout.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!started) reject(new Error(`the pipeline exited (${code}) before ${ready}:\n${tail(host.output)}`));
    });
  });
}
