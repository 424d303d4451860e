"""Server side of the Kubernetes exec WebSocket (`v5.channel.k8s.io`, `v4.channel.k8s.io`).

The real API server upgrades `GET .../pods/{name}/exec?command=..` to a WebSocket and sends
binary frames whose first byte is the channel: 1 stdout, 2 stderr, 3 the final `Status`
JSON; the client sends stdin on channel 0, terminal sizes on 4 and (v5 only) `255 0` to
close stdin. v4 is what `kubernetes.stream.stream(...)` speaks; kubectl 1.30+ offers v5.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from io import BufferedIOBase
from typing import Any

#: RFC 6455 magic value for Sec-WebSocket-Accept.
_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

V5_PROTOCOL = "v5.channel.k8s.io"
V4_PROTOCOL = "v4.channel.k8s.io"
STDIN = 0
STDOUT = 1
STDERR = 2
ERROR = 3
RESIZE = 4
CLOSE = 255

OPCODE_BINARY = 0x2
OPCODE_TEXT = 0x1
OPCODE_CLOSE = 0x8
OPCODE_PING = 0x9
OPCODE_PONG = 0xA
#: Largest client frame accepted (stdin arrives in small frames).
MAX_FRAME = 1 << 20


def accept_key(client_key: str) -> str:
    """The Sec-WebSocket-Accept value for a client's Sec-WebSocket-Key."""
    digest = hashlib.sha1((client_key + _GUID).encode("ascii")).digest()  # noqa: S324 (RFC 6455)
    return base64.b64encode(digest).decode("ascii")


def pick_protocol(offered: str) -> str | None:
    """The subprotocol we answer with: v5 when offered, else v4, else None."""
    protocols = [p.strip() for p in offered.split(",") if p.strip()]
    for known in (V5_PROTOCOL, V4_PROTOCOL):
        if known in protocols:
            return known
    return None


def read_frame(rfile: BufferedIOBase) -> tuple[int, bytes] | None:
    """One client frame (opcode, unmasked payload); None when the connection ended."""
    head = rfile.read(2)
    if len(head) < 2:
        return None
    opcode, size = head[0] & 0x0F, head[1] & 0x7F
    if size == 126:
        size = struct.unpack("!H", rfile.read(2))[0]
    elif size == 127:
        size = struct.unpack("!Q", rfile.read(8))[0]
    if size > MAX_FRAME:
        return None
    mask = rfile.read(4) if head[1] & 0x80 else b""
    payload = rfile.read(size) if size else b""
    if len(payload) < size:
        return None
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return opcode, payload


def frame(payload: bytes, opcode: int = OPCODE_BINARY) -> bytes:
    """One unmasked, final server-to-client frame."""
    head = bytes([0x80 | opcode])
    size = len(payload)
    if size < 126:
        head += bytes([size])
    elif size < 1 << 16:
        head += bytes([126]) + struct.pack("!H", size)
    else:
        head += bytes([127]) + struct.pack("!Q", size)
    return head + payload


def channel_frames(channel: int, data: bytes, chunk: int = 32 * 1024) -> bytes:
    """`data` on a channel, split in frames of at most `chunk` bytes (as the server streams)."""
    if not data:
        return b""
    return b"".join(
        frame(bytes([channel]) + data[i : i + chunk]) for i in range(0, len(data), chunk)
    )


def exit_status(exit_code: int) -> dict[str, Any]:
    """The channel-3 Status JSON the API server sends when the command ends."""
    if exit_code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: exit status {exit_code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(exit_code)}]},
    }


def close_frame(code: int = 1000) -> bytes:
    """A normal-closure close frame."""
    return frame(struct.pack("!H", code), OPCODE_CLOSE)
