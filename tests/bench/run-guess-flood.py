#!/usr/bin/python3
"""PIN-guess flood with legitimate joins (issue 16, item 1; SECURITY.md,
"PIN guessing").

Starts BUILD/signaling/ghostview-signaling on 127.0.0.1, registers a host,
and for --seconds (default 600) runs:
  - --guessers (default 50) WebSocket clients, each bound to its own
    loopback address in a /24 of its own (127.0.N.1), each sending a wrong
    PIN as soon as its last one is answered and --guess-interval has passed;
  - every --join-every seconds (default 5) a viewer from a network that
    never guessed (127.M.K.1, M >= 1) joining with the right PIN; the host
    accepts it and the viewer must get `waiting` to its first `join` and
    then `joined`.
Prints the figures (legitimate joins in on the first try / tried, join time,
guesses sent / looked up / refused) and the server's own counters from
/metrics, as text and as one JSON line. Exit status 0 when every legitimate
join got in on its first try, 1 otherwise.

Loopback only; builds nothing. The WebSocket client is the few lines of RFC
6455 a client needs (libsoup in Python would need gi, and a client socket
must be bound to its source address before it connects).
"""

import argparse
import asyncio
import base64
import json
import os
import statistics
import struct
import subprocess
import sys
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_ROOT = os.path.dirname(os.path.dirname(HERE))
MAX_MESSAGE = 64 * 1024  # the protocol's own limit; the server never sends more


class WebSocket:
    """A text-only WebSocket client over a socket bound to `source`."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer

    @classmethod
    async def connect(cls, host, port, source):
        reader, writer = await asyncio.open_connection(host, port, local_addr=(source, 0))
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET /ws HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                "Sec-WebSocket-Version: 13\r\n\r\n"
            ).encode()
        )
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"upgrade from {source} refused: {head.splitlines()[0]!r}")
        return cls(reader, writer)

    def _frame(self, opcode, payload):
        mask = os.urandom(4)
        n = len(payload)
        if n < 126:
            head = struct.pack("!BB", 0x80 | opcode, 0x80 | n)
        else:
            head = struct.pack("!BBH", 0x80 | opcode, 0x80 | 126, n)
        body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.writer.write(head + mask + body)

    def send(self, message):
        self._frame(0x1, json.dumps(message).encode())

    async def receive(self):
        """The next text message as a dict; answers pings on the way."""
        while True:
            b0, b1 = await self.reader.readexactly(2)
            n = b1 & 0x7F
            if n == 126:
                (n,) = struct.unpack("!H", await self.reader.readexactly(2))
            elif n == 127:
                (n,) = struct.unpack("!Q", await self.reader.readexactly(8))
            if n > MAX_MESSAGE:
                raise RuntimeError(f"server frame of {n} bytes")
            payload = await self.reader.readexactly(n)
            opcode = b0 & 0x0F
            if opcode == 0x9:
                self._frame(0xA, payload)
            elif opcode == 0x8:
                raise ConnectionError("server closed the connection")
            elif opcode == 0x1:
                return json.loads(payload)

    async def expect(self, kind, timeout=10):
        """Skips other messages (a host hears of viewers leaving); fails on an error."""
        deadline = time.monotonic() + timeout
        while True:
            message = await asyncio.wait_for(self.receive(), deadline - time.monotonic())
            if message.get("type") == kind:
                return message
            if message.get("type") == "error":
                raise RuntimeError(f"expected {kind}, got {message}")

    def close(self):
        self.writer.close()


class Figures:
    def __init__(self):
        self.guesses = 0
        self.looked_up = 0
        self.refused = {}
        self.joins_tried = 0
        self.joins_in = 0
        self.join_ms = []
        self.join_failures = []


def wrong_pins(session):
    """PINs in order, skipping the live session's (the host may register again)."""
    n = 0
    while True:
        guess = f"{n % 1000000:06d}"
        n += 1
        if guess != session.pin:
            yield guess


async def guesser(host, port, number, session, interval, stop, figures):
    ws = await WebSocket.connect(host, port, f"127.0.{10 + number}.1")
    pins = wrong_pins(session)
    while not stop.is_set():
        sent = time.monotonic()
        ws.send({"type": "join", "version": 1, "pin": next(pins), "name": "guesser"})
        figures.guesses += 1
        answer = await ws.receive()
        code = answer.get("code", answer.get("type"))
        if code == "PIN_INVALID":
            figures.looked_up += 1
        else:
            figures.refused[code] = figures.refused.get(code, 0) + 1
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - sent)))
    ws.close()


class Host:
    """The session's host; registers again when its PIN's uses are spent."""

    def __init__(self, host, port):
        self.address = (host, port)
        self.ws = None
        self.pin = None
        self.uses_left = 0

    async def ensure_session(self):
        if self.uses_left > 0:
            return
        if self.ws:
            self.ws.close()
        self.ws = await WebSocket.connect(*self.address, "127.0.0.1")
        self.ws.send({"type": "register", "version": 1, "max_viewers": 64, "pin_ttl": 86400})
        registered = await self.ws.expect("registered")
        self.pin = registered["pin"]
        self.uses_left = registered["max_viewers"]


async def legitimate_join(host, port, session, number, figures):
    address = f"127.{1 + number // 250}.{1 + number % 250}.1"
    figures.joins_tried += 1
    start = time.monotonic()
    viewer = await WebSocket.connect(host, port, address)
    try:
        viewer.send({"type": "join", "version": 1, "pin": session.pin, "name": "viewer"})
        first = await asyncio.wait_for(viewer.receive(), 10)
        if first.get("type") != "waiting":
            figures.join_failures.append(f"{address}: {first}")
            return
        request = await session.ws.expect("join-request")
        session.ws.send({"type": "accept", "peer": request["peer"], "capabilities": ["view"]})
        session.uses_left -= 1
        await viewer.expect("joined")
        figures.joins_in += 1
        figures.join_ms.append((time.monotonic() - start) * 1000)
    finally:
        viewer.close()


def server_metrics(http_url):
    with urllib.request.urlopen(http_url + "/metrics", timeout=10) as response:
        text = response.read().decode()
    wanted = (
        'ghostview_rate_limited_total{limit="join_ip"}',
        'ghostview_rate_limited_total{limit="join_prefix"}',
        'ghostview_rate_limited_total{limit="join_flood"}',
        'ghostview_join_failures_total{code="PIN_INVALID"}',
        'ghostview_joins_total{result="accepted"}',
        "ghostview_guess_flagged_networks",
    )
    values = {}
    for line in text.splitlines():
        name, _, value = line.rpartition(" ")
        if name in wanted:
            values[name] = int(value)
    return values


async def run(args, http_url):
    host, port = http_url.split("//")[1].split(":")
    port = int(port)
    figures = Figures()
    session = Host(host, port)
    await session.ensure_session()
    stop = asyncio.Event()
    guessers = [
        asyncio.create_task(guesser(host, port, n, session, args.guess_interval, stop, figures))
        for n in range(args.guessers)
    ]
    started = time.monotonic()
    next_report = started + 60
    number = 0
    while time.monotonic() - started < args.seconds:
        await asyncio.sleep(args.join_every)
        await session.ensure_session()
        await legitimate_join(host, port, session, number, figures)
        number += 1
        if time.monotonic() >= next_report:
            next_report += 60
            print(
                f"  {time.monotonic() - started:4.0f} s: joins {figures.joins_in}/{figures.joins_tried}, "
                f"guesses {figures.guesses} ({figures.looked_up} looked up)",
                flush=True,
            )
    stop.set()
    await asyncio.wait_for(asyncio.gather(*guessers), 30)
    elapsed = time.monotonic() - started
    return figures, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--build-dir", default=os.path.join(SOURCE_ROOT, "build"))
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--guessers", type=int, default=50)
    parser.add_argument("--guess-interval", type=float, default=0.1,
                        help="seconds between one guesser's guesses (default 0.1: 10 a second)")
    parser.add_argument("--join-every", type=float, default=5)
    args = parser.parse_args()
    if not 1 <= args.guessers <= 200:
        parser.error("--guessers: 1 to 200 (one /24 of 127.0.0.0/16 each, from 127.0.10.0)")

    exe = os.path.join(args.build_dir, "signaling", "ghostview-signaling")
    server = subprocess.Popen([exe, "--bind", "127.0.0.1", "--port", "0"],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        banner = server.stdout.readline()
        if "listening on " not in banner:
            sys.exit(f"ghostview-signaling did not start: {banner!r}")
        http_url = banner.split("listening on ")[1].split()[0]
        print(f"flood: {args.guessers} guessers (10 a second each at most), a legitimate join "
              f"every {args.join_every:g} s, {args.seconds:g} s, server {http_url}", flush=True)
        figures, elapsed = asyncio.run(run(args, http_url))
        metrics = server_metrics(http_url)
    finally:
        server.terminate()
        server.wait(10)

    refused = sum(figures.refused.values())
    ms = sorted(figures.join_ms) or [0]
    print(f"legitimate joins in on the first try: {figures.joins_in} of {figures.joins_tried}")
    print(f"join -> joined: median {statistics.median(ms):.0f} ms, max {ms[-1]:.0f} ms")
    print(f"guesses: {figures.guesses} sent in {elapsed:.0f} s ({figures.guesses / elapsed:.0f}/s), "
          f"{figures.looked_up} looked up, {refused} refused {figures.refused}")
    print(f"server /metrics: {metrics}")
    for failure in figures.join_failures:
        print(f"REFUSED: {failure}")
    print(json.dumps({
        "seconds": round(elapsed), "guessers": args.guessers, "joins_tried": figures.joins_tried,
        "joins_in_first_try": figures.joins_in, "join_ms_median": round(statistics.median(ms)),
        "join_ms_max": round(ms[-1]), "guesses": figures.guesses,
        "looked_up": figures.looked_up, "refused": figures.refused, "metrics": metrics,
    }))
    ok = figures.joins_tried > 0 and figures.joins_in == figures.joins_tried
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
