"""The churn of the soak: hosts that register, admit viewers, relay SDP and
ICE and rotate their sessions; viewers that join by PIN, negotiate, report,
restart and leave every few seconds, cleanly or not. Every message follows
signaling/PROTOCOL.md; the invalid ones live in probes.py.
"""
import asyncio
import collections
import random

import probes
from wsclient import HandshakeError, WsClient

MAX_VIEWERS = 64  # the protocol's limit: a session is a PIN of 64 uses
ANSWER_TIMEOUT = 15  # seconds; a loaded 2-core machine and an ASan server
PROBLEMS = ["no-common-codec", "connection-blocked", "connection-lost", "no-media",
            "media-stopped", "cannot-decode", "resolved"]
FAKE_SDP = ("v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
            "a=group:BUNDLE video0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
            "c=IN IP4 0.0.0.0\r\na=mid:video0\r\na=rtpmap:96 VP8/90000\r\n")


def fake_candidate(i):
    return f"candidate:{i} 1 UDP 2122252543 127.0.0.1 {40000 + i} typ host"


class Stats:
    """What the churn did and saw; `problems` are outcomes that fail the soak."""

    def __init__(self):
        self.sent = collections.Counter()  # message kinds sent ("bad:..." for invalid ones)
        self.got = collections.Counter()  # message types received ("error:CODE")
        self.closes = collections.Counter()  # close codes the server sent
        self.events = collections.Counter()
        self.problems = []

    def problem(self, text):
        self.events["problems"] += 1
        if len(self.problems) < 50:
            self.problems.append(text)

    def saw(self, msg):
        if isinstance(msg, dict):
            kind = msg.get("type", "?")
            self.got[f"error:{msg.get('code')}" if kind == "error" else kind] += 1
        else:
            self.got["non-json"] += 1


async def expect(stats, ws, *types):
    """The next message of one of `types` (the others are counted and
    dropped), or None on close or after ANSWER_TIMEOUT."""
    def wanted(msg):
        stats.saw(msg)
        return isinstance(msg, dict) and msg.get("type") in types
    return await ws.wait_for(wanted, ANSWER_TIMEOUT)


def send(stats, ws, kind, obj):
    stats.sent[kind] += 1
    ws.send(obj)


class Host:
    """One host connection at a time; each session is rotated after its 64
    uses are spent."""

    def __init__(self, soak, index):
        self.soak = soak
        self.name = f"soak-host-{index}"
        # Hosts come from addresses of their own so that session creation
        # stays within the per-address limit (10 per minute) at any churn.
        self.source = f"127.0.1.{index + 1}"
        self.pin = None
        self.uses_left = 0
        self.generation = 0

    async def run(self):
        while not self.soak.stopping:
            try:
                await self.session()
            except (HandshakeError, OSError) as e:
                self.soak.stats.problem(f"{self.name}: {e!r}")
                await asyncio.sleep(1)

    async def session(self):
        stats = self.soak.stats
        ws = await WsClient.connect(self.soak.host, self.soak.port, source=self.source)
        send(stats, ws, "register", {"type": "register", "version": 1, "max_viewers": MAX_VIEWERS,
                                     "pin_ttl": 600, "name": self.name})
        msg = await expect(stats, ws, "registered", "error")
        if not msg or msg.get("type") != "registered":
            stats.problem(f"{self.name}: register answered {msg!r}")
            ws.abort()
            await asyncio.sleep(2)
            return
        stats.events["sessions"] += 1
        self.pin, self.uses_left = msg["pin"], MAX_VIEWERS
        await self.serve(ws)
        # A viewer still joining with this PIN from now on meets an ended
        # session: that is the host's doing, not the server's.
        self.pin, self.uses_left = None, 0
        self.generation += 1
        await self.leave(ws)

    def take_use(self):
        self.uses_left -= 1
        return self.pin, self.generation

    async def serve(self, ws):
        """Answers its viewers until the PIN's uses are spent and the last
        of them had time to join, or until the soak stops."""
        stats = self.soak.stats
        loop = asyncio.get_running_loop()
        next_ping = next_bad = loop.time()
        spent_at = None
        while not self.soak.stopping:
            now = loop.time()
            if self.uses_left > 0:
                spent_at = None
            else:
                spent_at = spent_at or now
                if now - spent_at > 8:
                    return
            if now >= next_ping:
                # Keeps the connection alive under the soak's short idle timeout.
                send(stats, ws, "ping", {"type": "ping"})
                next_ping = now + 2
            if now >= next_bad:
                probes.host_bad_message(stats, ws)
                next_bad = now + random.uniform(2, 6)
            msg = await ws.recv(0.5)
            if ws.closed.is_set():
                stats.problem(f"{self.name}: the server closed the host connection "
                              f"({ws.close_code})")
                return
            if msg is None:
                continue
            stats.saw(msg)
            if isinstance(msg, dict):
                self.handle(ws, msg)

    def handle(self, ws, msg):
        stats = self.soak.stats
        kind, peer = msg.get("type"), msg.get("peer")
        if kind == "join-request":
            if random.random() < 0.12:
                send(stats, ws, "decline", {"type": "decline", "peer": peer,
                                            "reason": "soak: not now"})
                self.uses_left += 1  # a declined request gives its use back
                return
            caps = ["view", "control"] if random.random() < 0.3 else ["view"]
            send(stats, ws, "accept", {"type": "accept", "peer": peer, "capabilities": caps})
            self.offer(ws, peer)
            r = random.random()
            if r < 0.1:
                send(stats, ws, "grant", {"type": "grant", "peer": peer,
                                          "capabilities": ["view", "clipboard"]})
            elif r < 0.15:
                asyncio.get_running_loop().call_later(
                    random.uniform(0.5, 2), lambda: send(stats, ws, "kick", {
                        "type": "kick", "peer": peer, "reason": "soak: kicked"}))
        elif kind == "restart":
            self.offer(ws, peer)

    def offer(self, ws, peer):
        stats = self.soak.stats
        send(stats, ws, "sdp", {"type": "sdp", "peer": peer, "sdp_type": "offer", "sdp": FAKE_SDP})
        for i in range(3):
            send(stats, ws, "ice", {"type": "ice", "peer": peer, "candidate": fake_candidate(i),
                                    "sdp_mline_index": 0, "sdp_mid": "video0"})
        send(stats, ws, "ice", {"type": "ice", "peer": peer, "candidate": "",
                                "sdp_mline_index": 0, "sdp_mid": "video0"})

    async def leave(self, ws):
        """Ends the session one of the ways a host does."""
        stats = self.soak.stats
        way = random.choice(["end", "close", "drop", "reset"])
        stats.events[f"host-left:{way}"] += 1
        if way == "end":
            send(stats, ws, "end", {"type": "end"})
            await ws.close()
        elif way == "close":
            await ws.close()
        else:
            ws.abort(reset=way == "reset")


async def viewer(soak, number):
    """One viewer's life: join by PIN, negotiate, chat for 1-6 s, leave."""
    stats = soak.stats
    hosts = [h for h in soak.hosts if h.pin and h.uses_left > 0]
    if not hosts:
        await asyncio.sleep(0.2)
        return
    host = random.choice(hosts)
    pin, generation = host.take_use()
    try:
        ws = await WsClient.connect(soak.host, soak.port, source=f"127.0.2.{number % 200 + 1}")
    except (HandshakeError, OSError) as e:
        stats.problem(f"viewer {number}: {e!r}")
        return
    try:
        if random.random() < 0.3:
            await probes.viewer_bad_before_join(stats, ws)
        send(stats, ws, "join", {"type": "join", "version": 1, "pin": pin,
                                 "name": f"soak-viewer-{number}"})
        msg = await expect(stats, ws, "waiting", "error")
        if not msg or msg.get("type") != "waiting":
            # A host that ended its session between handing out the PIN and
            # the join is not the server's fault; anything else is.
            if host.generation == generation:
                stats.problem(f"viewer {number}: join answered {msg!r}")
            ws.abort()
            return
        msg = await expect(stats, ws, "joined", "error", "session-ended")
        if msg and msg.get("type") == "joined":
            stats.events["joins-admitted"] += 1
            await admitted(soak, ws, number)
        elif msg and msg.get("code") == "DECLINED":
            stats.events["joins-declined"] += 1
        elif not (msg and msg.get("type") == "session-ended"):
            stats.problem(f"viewer {number}: after waiting got {msg!r}")
        await leave(stats, ws)
    finally:
        ws.abort()


async def admitted(soak, ws, number):
    stats = soak.stats
    loop = asyncio.get_running_loop()
    life = random.uniform(1, 6)
    end = loop.time() + life
    next_action = loop.time() + random.uniform(0.2, 0.8)
    got_offer = False
    while loop.time() < end and not soak.stopping:
        msg = await ws.recv(min(0.3, max(0.01, end - loop.time())))
        if ws.closed.is_set():
            return
        if msg is not None:
            stats.saw(msg)
            if isinstance(msg, dict):
                if msg.get("type") == "session-ended":
                    stats.events[f"viewer-ended:{msg.get('reason')}"] += 1
                    return
                if msg.get("type") == "sdp" and msg.get("sdp_type") == "offer":
                    got_offer = True
                    send(stats, ws, "sdp", {"type": "sdp", "sdp_type": "answer",
                                            "sdp": FAKE_SDP.replace("o=- ", "o=viewer ")})
                    for i in range(2):
                        send(stats, ws, "ice", {"type": "ice", "candidate": fake_candidate(10 + i),
                                                "sdp_mline_index": 0, "sdp_mid": "video0"})
        if loop.time() >= next_action:
            next_action = loop.time() + random.uniform(0.2, 0.8)
            r = random.random()
            if r < 0.25:
                send(stats, ws, "report", {"type": "report", "problem": random.choice(PROBLEMS),
                                           "detail": f"soak viewer {number}", "codec": "VP8"})
            elif r < 0.35:
                send(stats, ws, "restart", {"type": "restart"})
            elif r < 0.55:
                send(stats, ws, "ping", {"type": "ping"})
            else:
                probes.viewer_bad_after_join(stats, ws)
    # The host sends its offer right after accepting: a viewer that saw
    # none in its whole life was not relayed what a browser needs to connect.
    if not got_offer and not soak.stopping and not ws.closed.is_set():
        stats.problem(f"viewer {number}: admitted, and no SDP offer arrived in {life:.1f} s")


async def leave(stats, ws):
    """Leaves one of the ways a viewer does, the rude ones included."""
    way = random.choice(["leave", "close", "drop", "reset", "truncated"])
    stats.events[f"viewer-left:{way}"] += 1
    if way == "leave":
        send(stats, ws, "leave", {"type": "leave"})
        await ws.close()
    elif way == "close":
        await ws.close()
    elif way == "truncated":
        # Half a frame (the header announces 100 bytes, 3 arrive), then gone.
        ws.send_raw(bytes([0x81, 0x80 | 100, 1, 2, 3, 4]) + b"{\"t")
        ws.abort()
    else:
        ws.abort(reset=way == "reset")
