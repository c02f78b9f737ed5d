// The PeerJS server (npm "peer", pinned by package-lock.json) for the
// signalling load benchmark, started the way its own `peerjs` command starts
// it, on 127.0.0.1 and a port of the system's choosing (the `peerjs` command
// cannot take port 0), with its per-client log lines off.
//   node peerjs-server.mjs [--port N] [--concurrent-limit N]
// Prints "peerjs: listening on PORT" once it accepts connections.
import { PeerServer } from 'peer';

const args = process.argv.slice(2);
function opt(name, fallback) {
  const i = args.indexOf(name);
  return i >= 0 && i + 1 < args.length ? Number(args[i + 1]) : fallback;
}

PeerServer(
  {
    host: '127.0.0.1',
    port: opt('--port', 0),
    path: '/',
    key: 'peerjs',
    // Default 5000 clients; the benchmark holds two clients per session.
    concurrent_limit: opt('--concurrent-limit', 5000),
    // The load generator sends no HEARTBEAT; a run is far shorter than this.
    alive_timeout: opt('--alive-timeout', 600000),
  },
  (server) => {
    const { port } = server.address();
    console.log(`peerjs: listening on ${port}`);
  },
);
process.on('SIGTERM', () => process.exit(0));
process.on('SIGINT', () => process.exit(0));
