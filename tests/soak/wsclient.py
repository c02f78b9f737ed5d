"""A small asyncio WebSocket client (RFC 6455) for the soak.

Written by hand because Debian's python3 has no WebSocket package
installed here, and because the soak needs what a well-behaved library
refuses to do: send invalid UTF-8, oversized or truncated frames, and drop
the TCP connection without a close frame.
"""
import asyncio
import base64
import hashlib
import json
import os
import socket
import struct

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA
# The server's messages are small (the protocol caps them at 64 KiB); a
# frame announcing more than this is a protocol error on its side.
MAX_INCOMING = 1 << 20


class HandshakeError(Exception):
    pass


def encode_frame(opcode, payload, fin=True):
    """One masked client frame."""
    head = bytearray([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        head.append(0x80 | n)
    elif n < 1 << 16:
        head.append(0x80 | 126)
        head += struct.pack("!H", n)
    else:
        head.append(0x80 | 127)
        head += struct.pack("!Q", n)
    mask = os.urandom(4)
    head += mask
    # XOR through one big integer: much faster than a Python loop for the
    # megabyte frames the soak sends now and then.
    if n:
        key = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(key, "big")).to_bytes(n, "big")
    else:
        masked = b""
    return bytes(head) + masked


class WsClient:
    """One connection. Text messages arrive on `messages` (decoded JSON, or
    the raw text when it is not JSON); `closed` is set with `close_code`
    when the server closes or the socket ends. Server pings are answered."""

    def __init__(self, reader, writer):
        self.reader = reader
        self.writer = writer
        self.messages = asyncio.Queue()
        self.closed = asyncio.Event()
        self.close_code = None
        self._task = asyncio.get_running_loop().create_task(self._read_loop())

    @classmethod
    async def connect(cls, host, port, source="127.0.0.1", origin=None, path="/ws", timeout=15):
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(host, port, local_addr=(source, 0)), timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13"]
        if origin:
            lines.append(f"Origin: {origin}")
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode())
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError) as e:
            writer.close()
            raise HandshakeError(f"no upgrade answer: {e!r}") from e
        status = head.split(b"\r\n", 1)[0]
        expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest())
        if b" 101 " not in status or expected not in head:
            writer.close()
            raise HandshakeError(f"upgrade refused: {status.decode(errors='replace')}")
        return cls(reader, writer)

    async def _read_loop(self):
        fragments = []
        try:
            while True:
                b0, b1 = await self.reader.readexactly(2)
                opcode, fin, n = b0 & 0x0F, b0 & 0x80, b1 & 0x7F
                if n == 126:
                    (n,) = struct.unpack("!H", await self.reader.readexactly(2))
                elif n == 127:
                    (n,) = struct.unpack("!Q", await self.reader.readexactly(8))
                if n > MAX_INCOMING:
                    raise ConnectionError(f"server frame of {n} bytes")
                payload = await self.reader.readexactly(n)
                if opcode == OP_PING:
                    self._write(encode_frame(OP_PONG, payload))
                elif opcode == OP_CLOSE:
                    self.close_code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    self._write(encode_frame(OP_CLOSE, payload[:2]))
                    break
                elif opcode in (OP_TEXT, OP_BINARY, OP_CONT):
                    fragments.append(payload)
                    if fin:
                        self._deliver(b"".join(fragments))
                        fragments = []
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            self.closed.set()
            self.writer.close()

    def _deliver(self, data):
        text = data.decode(errors="replace")
        try:
            self.messages.put_nowait(json.loads(text))
        except ValueError:
            self.messages.put_nowait(text)

    def _write(self, data):
        if not self.writer.is_closing():
            self.writer.write(data)

    def send_raw(self, data):
        """Bytes as they are: a frame built by the caller, or half of one."""
        self._write(data)

    def send_frame(self, opcode, payload, fin=True):
        self._write(encode_frame(opcode, payload, fin))

    def send_text(self, text):
        self.send_frame(OP_TEXT, text.encode() if isinstance(text, str) else text)

    def send(self, obj):
        self.send_text(json.dumps(obj))

    async def recv(self, timeout):
        """The next message, or None when the connection closed or the time ran out."""
        get = asyncio.ensure_future(self.messages.get())
        closed = asyncio.ensure_future(self.closed.wait())
        done, _ = await asyncio.wait({get, closed}, timeout=timeout,
                                     return_when=asyncio.FIRST_COMPLETED)
        closed.cancel()
        if get in done:
            return get.result()
        get.cancel()
        return None

    async def wait_for(self, predicate, timeout):
        """The first message for which predicate(msg) holds; the others are
        handed to predicate and dropped. None on close or time out."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            left = deadline - loop.time()
            if left <= 0:
                return None
            msg = await self.recv(left)
            if msg is None:
                return None
            if predicate(msg):
                return msg

    async def close(self, code=1000, timeout=5):
        """A clean close: our close frame, then wait for the server's."""
        self.send_frame(OP_CLOSE, struct.pack("!H", code))
        try:
            await asyncio.wait_for(self.closed.wait(), timeout)
        except asyncio.TimeoutError:
            pass
        self.abort()

    def abort(self, reset=False):
        """Drops the TCP connection without a close frame; with `reset`, by
        an RST (SO_LINGER 0) as a crashed or unplugged client would."""
        sock = self.writer.get_extra_info("socket")
        if reset and sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.writer.transport.abort()
        self._task.cancel()
        self.closed.set()

    async def finished(self):
        try:
            await self._task
        except asyncio.CancelledError:
            pass
