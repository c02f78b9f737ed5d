"""The invalid half of the soak: malformed, oversized, wrong-typed, unknown
and misplaced messages, wrong PINs, refused origins, floods, idle and
half-open connections, and plain HTTP requests. Probes on a connection of
their own check the server's answer (an error code or a close code, as
signaling/PROTOCOL.md says); those sent inside the churn are counted.
"""
import asyncio
import json
import random

from wsclient import OP_BINARY, OP_CONT, OP_PING, OP_TEXT, HandshakeError, WsClient

NOT_ALLOWED = {"NOT_ALLOWED"}
BAD = {"BAD_MESSAGE"}


def deep(levels):
    return '{"type":"ping","x":' + "[" * levels + "]" * levels + "}"


# name -> (text to send, error codes it may be answered with), for a
# connection that has no role yet. None of them may give it one.
BEFORE_JOIN = {
    "malformed-json": ('{"type":"join",', BAD),
    "not-an-object": ("[1,2,3]", BAD),
    "no-type": ("{}", BAD),
    "type-not-string": ('{"type":42}', BAD),
    "unknown-type": ('{"type":"hello","version":1}', BAD),
    "server-only-type": ('{"type":"joined","peer":"x"}', BAD | NOT_ALLOWED),
    "pin-not-string": ('{"type":"join","version":1,"pin":123456}', BAD),
    "name-too-long": (json.dumps({"type": "join", "version": 1, "pin": "123456",
                                  "name": "n" * 65}), BAD),
    "max-viewers-out-of-range": ('{"type":"register","version":1,"max_viewers":65}', BAD),
    "pin-ttl-zero": ('{"type":"register","version":1,"pin_ttl":0}', BAD),
    "too-deep": (deep(20), BAD),
    "too-large": (json.dumps({"type": "ping", "pad": "x" * (70 * 1024)}), {"TOO_LARGE"}),
    "sdp-before-join": ('{"type":"sdp","sdp_type":"answer","sdp":"v=0"}', NOT_ALLOWED),
    "ice-before-join": ('{"type":"ice","candidate":"","sdp_mline_index":0}', NOT_ALLOWED),
    "leave-without-role": ('{"type":"leave"}', NOT_ALLOWED),
    "report-without-role": ('{"type":"report","problem":"no-media"}', NOT_ALLOWED),
    "accept-not-host": ('{"type":"accept","peer":"abcdefgh"}', NOT_ALLOWED),
    "end-not-host": ('{"type":"end"}', NOT_ALLOWED),
}

# Sent by an admitted viewer amid its traffic; each gets an error.
AFTER_JOIN = {
    "malformed-json": '{"type":"ping"',
    "unknown-type": '{"type":"subscribe"}',
    "accept-from-viewer": '{"type":"accept","peer":"abcdefgh"}',
    "kick-from-viewer": '{"type":"kick","peer":"abcdefgh"}',
    "grant-from-viewer": '{"type":"grant","peer":"abcdefgh","capabilities":["control"]}',
    "end-from-viewer": '{"type":"end"}',
    "join-again": '{"type":"join","version":1,"pin":"123456"}',
    "register-as-viewer": '{"type":"register","version":1}',
    "report-bad-problem": '{"type":"report","problem":"on-fire"}',
    "report-two-lines": json.dumps({"type": "report", "problem": "no-media",
                                    "detail": "one\nforged line"}),
    "sdp-wrong-types": '{"type":"sdp","sdp_type":1,"sdp":["v=0"]}',
    "sdp-missing": '{"type":"sdp","sdp_type":"answer"}',
    "sdp-too-long": json.dumps({"type": "sdp", "sdp_type": "answer", "sdp": "a" * (61 * 1024)}),
    "ice-too-long": json.dumps({"type": "ice", "candidate": "c" * 2048, "sdp_mline_index": 0}),
    "ice-index-string": '{"type":"ice","candidate":"","sdp_mline_index":"zero"}',
    "too-large": json.dumps({"type": "ping", "pad": "y" * (70 * 1024)}),
}

# Sent by a host amid its traffic; each gets an error.
HOST_BAD = {
    "accept-unknown-peer": '{"type":"accept","peer":"nobody00"}',
    "sdp-unknown-peer": '{"type":"sdp","peer":"nobody00","sdp_type":"offer","sdp":"v=0"}',
    "ice-unknown-peer": '{"type":"ice","peer":"nobody00","candidate":"","sdp_mline_index":0}',
    "kick-unknown-peer": '{"type":"kick","peer":"nobody00"}',
    "grant-bad-capability": '{"type":"grant","peer":"nobody00","capabilities":["root"]}',
    "leave-from-host": '{"type":"leave"}',
    "report-from-host": '{"type":"report","problem":"no-media"}',
    "restart-from-host": '{"type":"restart"}',
    "join-from-host": '{"type":"join","version":1,"pin":"123456"}',
    "register-again": '{"type":"register","version":1}',
    "malformed-json": '{"type":"end"',
    "capabilities-not-list": '{"type":"accept","peer":"nobody00","capabilities":"view"}',
}


def host_bad_message(stats, ws):
    name = random.choice(list(HOST_BAD))
    stats.sent[f"bad:host:{name}"] += 1
    ws.send_text(HOST_BAD[name])


def viewer_bad_after_join(stats, ws):
    r = random.random()
    if r < 0.1:
        stats.sent["bad:viewer:binary-frame"] += 1
        ws.send_frame(OP_BINARY, b"\x00\x01binary")
        return
    if r < 0.2:
        # One valid message in two fragments, a ping frame between them.
        stats.sent["bad:viewer:fragmented-ping"] += 1
        ws.send_frame(OP_TEXT, b'{"type":', fin=False)
        ws.send_frame(OP_PING, b"soak")
        ws.send_frame(OP_CONT, b'"ping"}')
        return
    name = random.choice(list(AFTER_JOIN))
    stats.sent[f"bad:viewer:{name}"] += 1
    ws.send_text(AFTER_JOIN[name])


async def viewer_bad_before_join(stats, ws):
    """One message from BEFORE_JOIN; its answer must be one of the codes."""
    name = random.choice(list(BEFORE_JOIN))
    text, codes = BEFORE_JOIN[name]
    stats.sent[f"bad:{name}"] += 1
    ws.send_text(text)
    msg = await ws.recv(15)
    stats.saw(msg)
    if not (isinstance(msg, dict) and msg.get("type") == "error" and msg.get("code") in codes):
        stats.problem(f"bad:{name}: expected an error {sorted(codes)}, got {msg!r}")


async def expect_close(stats, name, ws, codes, error_codes=None, timeout=15):
    """Waits for the server to close `ws` with one of `codes`, after an
    error with one of `error_codes` when given."""
    errors = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not ws.closed.is_set() and loop.time() < deadline:
        msg = await ws.recv(deadline - loop.time())
        if msg is not None:
            stats.saw(msg)
            if isinstance(msg, dict) and msg.get("type") == "error":
                errors.append(msg.get("code"))
    await ws.finished()
    while not ws.messages.empty():  # what arrived just before the close frame
        msg = ws.messages.get_nowait()
        stats.saw(msg)
        if isinstance(msg, dict) and msg.get("type") == "error":
            errors.append(msg.get("code"))
    stats.closes[ws.close_code] += 1
    if ws.close_code not in codes:
        stats.problem(f"{name}: expected close {sorted(codes)}, got {ws.close_code}")
    elif error_codes and not set(errors) & error_codes:
        stats.problem(f"{name}: expected an error {sorted(error_codes)}, got {errors}")
    ws.abort()


class Strays:
    """Connections that are not hosts or viewers of the churn, one every
    second or so, each checking what the server answers."""

    GUESSER = "127.0.3.1"  # wrong PINs come from here only: legitimate joins never fail

    def __init__(self, soak):
        self.soak = soak
        self.stats = soak.stats
        self.tasks = set()

    async def connect(self, source="127.0.4.1", origin=None):
        return await WsClient.connect(self.soak.host, self.soak.port, source=source, origin=origin)

    async def run(self):
        loop = asyncio.get_running_loop()
        every = {self.http: 1.5, self.wrong_pin: 3, self.used_pin: 10, self.bad_origin: 7,
                 self.bad_version: 7, self.huge_frame: 11, self.bad_utf8: 9, self.flood: 30,
                 self.idle: 20, self.expired_pin: 45, self.half_handshake: 13}
        due = {probe: loop.time() + random.uniform(0, period) for probe, period in every.items()}
        while not self.soak.stopping:
            now = loop.time()
            for probe, at in due.items():
                if now >= at:
                    due[probe] = now + every[probe]
                    self.spawn(probe)
            await asyncio.sleep(0.2)
        if self.tasks:
            await asyncio.wait(self.tasks, timeout=30)

    def spawn(self, probe):
        task = asyncio.get_running_loop().create_task(self.guarded(probe))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def guarded(self, probe):
        try:
            await probe()
        except (HandshakeError, OSError, asyncio.TimeoutError) as e:
            self.stats.problem(f"stray {probe.__name__}: {e!r}")

    async def http(self):
        method, path, ok = random.choice([
            ("GET", "/healthz", {200}), ("GET", "/metrics", {200}), ("GET", "/", {200}),
            ("HEAD", "/", {200}), ("POST", "/", {405}), ("GET", "/ws", {400}),
            ("GET", "/no-such-page.html", {404}), ("GET", "/../../etc/passwd", {400, 403, 404}),
            ("GET", "/%2e%2e/%2e%2e/etc/passwd", {400, 403, 404}),
        ])
        reader, writer = await asyncio.wait_for(asyncio.open_connection(
            self.soak.host, self.soak.port, local_addr=("127.0.4.2", 0)), 15)
        writer.write(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.soak.port}\r\n"
                     "Connection: close\r\n\r\n".encode())
        data = await asyncio.wait_for(reader.read(), 15)
        writer.close()
        self.stats.sent[f"http:{method} {path}"] += 1
        status = data.split(b" ", 2)[1] if data.count(b" ") >= 2 else b"?"
        if not status.isdigit() or int(status) not in ok:
            self.stats.problem(f"http {method} {path}: status {status!r}, expected {sorted(ok)}")

    async def half_handshake(self):
        """An upgrade request cut in the middle, then gone."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection(
            self.soak.host, self.soak.port, local_addr=("127.0.4.3", 0)), 15)
        writer.write(b"GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websock")
        await writer.drain()
        await asyncio.sleep(0.5)
        writer.transport.abort()
        self.stats.sent["bad:half-handshake"] += 1

    async def wrong_pin(self):
        live = {h.pin for h in self.soak.hosts if h.pin}
        pin = f"{random.randrange(10**6):06d}"
        while pin in live:
            pin = f"{random.randrange(10**6):06d}"
        # Odd but valid names: escapes, a lone surrogate, a NUL.
        name = random.choice(["guess", "\u00e9\u4e2d\U0001f600", "\ud800", "a\u0000b"])
        ws = await self.connect(self.GUESSER)
        self.stats.sent["bad:wrong-pin"] += 1
        ws.send_text(json.dumps({"type": "join", "version": 1, "pin": pin, "name": name}))
        await self.expect_error(ws, "wrong-pin", {"PIN_INVALID", "RATE_LIMITED", "BAD_MESSAGE"})

    async def used_pin(self):
        """A live session whose uses are all spent (or held by pending viewers)."""
        spent = [h.pin for h in self.soak.hosts if h.pin and h.uses_left == 0]
        if not spent:
            return
        ws = await self.connect(self.GUESSER)
        self.stats.sent["bad:used-pin"] += 1
        ws.send({"type": "join", "version": 1, "pin": spent[0]})
        # PIN_INVALID: the host rotated its session meanwhile.
        await self.expect_error(ws, "used-pin",
                                {"PIN_USED", "SESSION_FULL", "PIN_INVALID", "RATE_LIMITED"})

    async def expired_pin(self):
        host = await self.connect("127.0.3.2")
        self.stats.sent["register"] += 1
        host.send({"type": "register", "version": 1, "pin_ttl": 1, "name": "soak-expiring"})
        msg = await host.wait_for(lambda m: isinstance(m, dict) and m.get("type") in
                                  ("registered", "error"), 15)
        if not msg or msg.get("type") != "registered":
            self.stats.problem(f"expiring host: register answered {msg!r}")
            host.abort()
            return
        await asyncio.sleep(2.5)
        ws = await self.connect(self.GUESSER)
        self.stats.sent["bad:expired-pin"] += 1
        ws.send({"type": "join", "version": 1, "pin": msg["pin"]})
        await self.expect_error(ws, "expired-pin", {"PIN_EXPIRED", "RATE_LIMITED"})
        await host.close()

    async def expect_error(self, ws, name, codes):
        msg = await ws.recv(15)
        self.stats.saw(msg)
        if not (isinstance(msg, dict) and msg.get("code") in codes):
            self.stats.problem(f"{name}: expected an error {sorted(codes)}, got {msg!r}")
        await ws.close()

    async def bad_origin(self):
        ws = await self.connect(origin="http://evil.example")
        self.stats.sent["bad:origin"] += 1
        await expect_close(self.stats, "bad-origin", ws, {1008}, {"ORIGIN_REJECTED"})

    async def bad_version(self):
        ws = await self.connect()
        self.stats.sent["bad:version-2"] += 1
        ws.send({"type": "join", "version": 2, "pin": "123456"})
        await expect_close(self.stats, "bad-version", ws, {1008}, {"UNSUPPORTED_VERSION"})

    async def huge_frame(self):
        """A frame over 1 MiB, either only its header (which announces the
        length) or all of it. PROTOCOL.md promises close 1009; libsoup 3.2
        drops the TCP connection instead, before or without a close frame
        the client can read (None). Either way the connection must end."""
        ws = await self.connect()
        if random.random() < 0.5:
            self.stats.sent["bad:frame-header-over-1MiB"] += 1
            ws.send_raw(bytes([0x81, 0x80 | 127]) + (1100 * 1024).to_bytes(8, "big") + b"mask")
            await expect_close(self.stats, "huge-frame-header", ws, {1009, None})
        else:
            self.stats.sent["bad:frame-over-1MiB"] += 1
            ws.send_text(json.dumps({"type": "ping", "pad": "z" * (1100 * 1024)}))
            await expect_close(self.stats, "huge-frame", ws, {1009, None})

    async def bad_utf8(self):
        ws = await self.connect()
        self.stats.sent["bad:invalid-utf8"] += 1
        ws.send_text(b'{"type":"ping","x":"\xff\xfe"}')
        # libsoup refuses a text frame that is not UTF-8 (close 1007); were
        # it let through, the parser would answer BAD_MESSAGE.
        msg = await ws.recv(5)
        if ws.closed.is_set():
            await expect_close(self.stats, "invalid-utf8", ws, {1007})
            return
        self.stats.saw(msg)
        if not (isinstance(msg, dict) and msg.get("code") == "BAD_MESSAGE"):
            self.stats.problem(f"invalid-utf8: expected close 1007 or BAD_MESSAGE, got {msg!r}")
        await ws.close()

    async def flood(self):
        """More than 1,000 messages at once: rate limited, then closed."""
        ws = await self.connect("127.0.4.4")
        self.stats.sent["bad:flood-pings"] += 1300
        ping = json.dumps({"type": "ping"})
        for _ in range(13):
            for _ in range(100):
                ws.send_text(ping)
            await asyncio.sleep(0)
        await expect_close(self.stats, "flood", ws, {1008}, {"RATE_LIMITED"}, timeout=30)

    async def idle(self):
        """Upgrades and says nothing: the idle timeout closes it."""
        ws = await self.connect("127.0.4.5")
        self.stats.sent["bad:idle-connection"] += 1
        # Our client answers the server's pings, and a pong counts as a sign
        # of life; the soak's keepalive (20 s) is longer than its idle timeout.
        await expect_close(self.stats, "idle", ws, {1001},
                           timeout=self.soak.idle_timeout + 10)
