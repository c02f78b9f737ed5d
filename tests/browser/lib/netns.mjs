// GhostView browser tests: a network namespace joined to this one by a veth
// pair, for a browser that needs an interface other than lo (Firefox gathers
// no ICE candidate on loopback alone).
//
//   root namespace  gvfh-PID 10.251.A.B+1/30  --veth--  gvfb-PID 10.251.A.B+2/30  gvff-PID
//   (A.B from the process id; the next free /30 if another test has that one)
//
// The namespace has lo and its end of the veth only: no route anywhere but
// the /30, and this namespace does not forward IP, so what runs inside
// reaches this machine's veth address and nothing else.
//
// Clean-up on every exit path: remove() (tests call it), process 'exit',
// SIGINT/SIGTERM/SIGHUP, and for SIGKILL (meson's timeout follows its SIGTERM
// with one) a reaper: a node process in a session of its own that removes
// the namespace and the veth when its pipe from this process closes. A
// namespace left by a process that is gone (the reaper killed too) is
// removed by the next makeNetns().
// SPDX-License-Identifier: LGPL-2.1-or-later
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PREFIX = 'gvff-';
const self = fileURLToPath(import.meta.url);

function ip(...args) {
  const r = spawnSync('ip', args, { encoding: 'utf8', timeout: 10000 });
  if (r.error) return { ok: false, err: r.error.message };
  return { ok: r.status === 0, out: r.stdout, err: (r.stderr || '').trim() };
}

/** Kills what runs in `ns` (only our processes are there), then deletes the veth and `ns`. */
function removeNames(ns, veth) {
  const pids = ip('netns', 'pids', ns);
  if (pids.ok) {
    for (const pid of pids.out.split(/\s+/).filter(Boolean)) {
      try { process.kill(Number(pid), 'SIGKILL'); } catch { /* already gone */ }
    }
  }
  ip('link', 'del', veth); // deletes both ends
  ip('netns', 'del', ns);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

/** Removes gvff-[probe-]PID namespaces whose process is gone (a SIGKILL that also took the reaper). */
function removeStale() {
  const list = ip('netns', 'list');
  if (!list.ok) return;
  for (const line of list.out.split('\n')) {
    const m = line.match(/^(gvff-(?:probe-)?(\d+))\b/);
    if (m && !alive(Number(m[2]))) removeNames(m[1], `gvfh-${m[2]}`);
  }
}

/** Why this machine cannot make the namespace, or '' when it can. */
export function netnsUnavailable() {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'not root: the Firefox tests make a network namespace (needs CAP_SYS_ADMIN + CAP_NET_ADMIN)';
  }
  const v = ip('-V');
  if (!v.ok) return `iproute2 (\`ip\`) is missing: ${v.err}`;
  // Root is not always enough (a container without CAP_SYS_ADMIN): try it.
  const probe = `${PREFIX}probe-${process.pid}`;
  const made = ip('netns', 'add', probe);
  if (!made.ok) return `\`ip netns add\` is not permitted here: ${made.err}`;
  const veth = ip('-n', probe, 'link', 'add', 'gvfp0', 'type', 'veth', 'peer', 'name', 'gvfp1');
  ip('netns', 'del', probe); // and the veth in it
  if (!veth.ok) return `cannot make a veth pair here: ${veth.err}`;
  return '';
}

let current = null;
let handlersInstalled = false;

function installExitHandlers() {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => current?.remove());
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      current?.remove();
      process.exit(128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[sig]);
    });
  }
}

/**
 * Makes the namespace and the veth pair (one per process). Returns
 * {name, hostAddress, peerAddress, exec(argv) -> argv that runs inside,
 * remove()} or throws with the reason (`ip netns` refused, ...).
 */
export function makeNetns() {
  if (current) return current;
  removeStale();
  const pid = process.pid;
  const name = `${PREFIX}${pid}`;
  const hostIf = `gvfh-${pid}`;
  const peerIf = `gvfb-${pid}`;
  // A /30 of 10.251.0.0/16 picked by the process id, the next free one if
  // another test holds it: two test processes never share a subnet.
  const inUse = ip('-o', '-4', 'addr', 'show').out || '';
  let hostAddress;
  let peerAddress;
  for (let k = 0; k < 16384 && !hostAddress; k++) {
    const i = (pid + k) & 16383;
    const base = `10.251.${i >> 6}.`;
    const last = (i & 63) << 2;
    if (!inUse.includes(` ${base}${last + 1}/`)) {
      hostAddress = `${base}${last + 1}`;
      peerAddress = `${base}${last + 2}`;
    }
  }

  installExitHandlers();
  const reaper = spawn(process.execPath, [self, '--reaper', name, hostIf], {
    detached: true,
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  reaper.unref();
  reaper.stdin.on('error', () => {});

  const ns = {
    name,
    hostAddress,
    peerAddress,
    exec: (argv) => ['ip', 'netns', 'exec', name, ...argv],
    removed: false,
    remove() {
      if (ns.removed) return;
      ns.removed = true;
      removeNames(name, hostIf);
      reaper.stdin.end();
      if (current === ns) current = null;
    },
  };
  current = ns;
  const steps = [
    ['netns', 'add', name],
    ['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', peerIf],
    ['link', 'set', peerIf, 'netns', name],
    ['addr', 'add', `${hostAddress}/30`, 'dev', hostIf],
    ['link', 'set', hostIf, 'up'],
    ['-n', name, 'addr', 'add', `${peerAddress}/30`, 'dev', peerIf],
    ['-n', name, 'link', 'set', peerIf, 'up'],
    ['-n', name, 'link', 'set', 'lo', 'up'],
  ];
  for (const step of steps) {
    const r = ip(...step);
    if (!r.ok) {
      ns.remove();
      throw new Error(`ip ${step.join(' ')}: ${r.err}`);
    }
  }
  return ns;
}

// The reaper: `node netns.mjs --reaper NS VETH`. Ignores the signals that
// end the test, waits for its stdin to close, then removes what is left.
if (process.argv[1] === self && process.argv[2] === '--reaper') {
  const [ns, veth] = process.argv.slice(3, 5);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => {});
  process.stdin.resume();
  process.stdin.on('close', () => {
    if (ip('netns', 'list').out?.split('\n').some((l) => l.split(' ')[0] === ns)) {
      removeNames(ns, veth);
      process.stderr.write(`netns reaper: removed ${ns} (its test exited without removing it)\n`);
    }
    process.exit(0);
  });
}
