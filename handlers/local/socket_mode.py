"""A local stand-in for Slack's side of Socket Mode: the WebSocket the app connects to.

The Web API stand-in's `apps.connections.open` answers with this server's URL
(`SlackStandIn.socket_mode_url`), so the app's real SocketModeHandler (slack-sdk's builtin
client) connects here as it would to Slack. The server says `hello`, sends envelopes
(`slash_commands`, `events_api`) on the newest connection and waits for the app's
acknowledgement of each (`{"envelope_id": …, "payload": …}`), as Slack does for 3 s; it
answers the client's pings. Plain `ws://`: the builtin client speaks plain TCP to any port
but 443. One thread per connection; frames of RFC 6455, unfragmented, as the client sends.

slack-sdk's own test server (tests/slack_sdk/socket_mode/mock_socket_mode_server.py) is not
shipped in the package, needs Flask, flask-sockets and gevent, and replays canned envelopes
one per message the client sends, with no way to send a chosen envelope and wait for its
ack; hence this one (bench/chaos.py --socket-mode).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import socket
import socketserver
import struct
import threading
import time
import uuid
from typing import Any

_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # RFC 6455's, for Sec-WebSocket-Accept
TEXT, CLOSE, PING, PONG = 0x1, 0x8, 0x9, 0xA
HELLO = {"type": "hello", "num_connections": 1, "connection_info": {"app_id": "A00000001"}}


class _Connection:
    def __init__(self, sock: socket.socket):
        self.sock = sock
        self.lock = threading.Lock()
        self.open = True

    def send(self, opcode: int, payload: bytes) -> None:
        """A server frame: final, unmasked."""
        length = len(payload)
        if length < 126:
            header = struct.pack("!BB", 0x80 | opcode, length)
        elif length < 1 << 16:
            header = struct.pack("!BBH", 0x80 | opcode, 126, length)
        else:
            header = struct.pack("!BBQ", 0x80 | opcode, 127, length)
        with self.lock:
            self.sock.sendall(header + payload)

    def receive(self) -> tuple[int, bytes]:
        """A client frame (masked), unmasked."""
        first, second = self._exactly(2)
        opcode, length = first & 0x0F, second & 0x7F
        if length == 126:
            (length,) = struct.unpack("!H", self._exactly(2))
        elif length == 127:
            (length,) = struct.unpack("!Q", self._exactly(8))
        mask = self._exactly(4) if second & 0x80 else b"\0\0\0\0"
        data = self._exactly(length)
        return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))

    def _exactly(self, size: int) -> bytes:
        chunks, left = [], size
        while left:
            chunk = self.sock.recv(left)
            if not chunk:
                raise ConnectionError("closed")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


class SocketModeStandIn:
    """Slack's Socket Mode endpoint on a free port."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._connections: list[_Connection] = []
        self._acks: dict[str, dict[str, Any]] = {}
        self._waiting: dict[str, threading.Event] = {}
        self.connected = 0  # connections accepted so far
        self._server: socketserver.ThreadingTCPServer | None = None

    def start(self) -> SocketModeStandIn:
        standin = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                standin._serve(self.request)

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            for connection in self._connections:
                with contextlib.suppress(OSError):
                    connection.sock.close()

    def __enter__(self) -> SocketModeStandIn:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "stand-in not started"
        return f"ws://127.0.0.1:{self._server.server_address[1]}/link"

    def is_connected(self) -> bool:
        with self._lock:
            return any(c.open for c in self._connections)

    def send(
        self, kind: str, payload: dict[str, Any], *, timeout: float = 3.0, retry_attempt: int = 0
    ) -> dict[str, Any] | None:
        """Send an envelope of `kind` on the newest connection; the app's ack (its `payload`,
        {} if none) within `timeout`, else None. None at once if no app is connected."""
        envelope_id = str(uuid.uuid4())
        envelope: dict[str, Any] = {
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": kind == "slash_commands",
        }
        if kind == "events_api":
            envelope["retry_attempt"] = retry_attempt
            envelope["retry_reason"] = "timeout" if retry_attempt else ""
        done = threading.Event()
        with self._lock:
            live = [c for c in self._connections if c.open]
            self._waiting[envelope_id] = done
        try:
            if not live:
                return None
            try:
                live[-1].send(TEXT, json.dumps(envelope).encode())
            except OSError:
                return None
            if not done.wait(timeout):
                return None
            with self._lock:
                return self._acks.pop(envelope_id)
        finally:
            with self._lock:
                self._waiting.pop(envelope_id, None)
                self._acks.pop(envelope_id, None)

    # --- one connection ---------------------------------------------------------------------
    def _serve(self, sock: socket.socket) -> None:
        connection = _Connection(sock)
        try:
            if not self._handshake(sock):
                return
            connection.send(TEXT, json.dumps(HELLO).encode())
            with self._lock:
                self._connections.append(connection)
                self.connected += 1
            while True:
                opcode, data = connection.receive()
                if opcode == PING:
                    connection.send(PONG, data)
                elif opcode == CLOSE:
                    with contextlib.suppress(OSError):
                        connection.send(CLOSE, data[:2])
                    return
                elif opcode == TEXT:
                    self._acked(data)
        except (OSError, ConnectionError):
            return
        finally:
            connection.open = False
            with self._lock:
                if connection in self._connections:
                    self._connections.remove(connection)
            with contextlib.suppress(OSError):
                sock.close()

    def _acked(self, data: bytes) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            return
        envelope_id = message.get("envelope_id") if isinstance(message, dict) else None
        with self._lock:
            waiting = self._waiting.get(str(envelope_id))
            if waiting is None:
                return
            self._acks[str(envelope_id)] = message.get("payload") or {}
        waiting.set()

    @staticmethod
    def _handshake(sock: socket.socket) -> bool:
        request = b""
        deadline = time.monotonic() + 5
        while b"\r\n\r\n" not in request:
            if time.monotonic() > deadline:
                return False
            chunk = sock.recv(4096)
            if not chunk:
                return False
            request += chunk
        headers = {}
        for line in request.decode("latin-1").split("\r\n")[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        key = headers.get("sec-websocket-key")
        if not key:
            return False
        accept = base64.b64encode(hashlib.sha1((key + _GUID).encode()).digest()).decode()
        sock.sendall(
            (
                "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\r\n"
            ).encode()
        )
        return True
