"""One exec session over an upgraded WebSocket: a local process plays the container's command.

stdout goes out on channel 1 and stderr on channel 2 (merged into 1 with a TTY, as the
kubelet does); client frames on channel 0 are the process's stdin, `255 0` (v5) closes it,
a WebSocket close ends the session and kills the process, pings are answered. The final
channel-3 Status carries the exit code.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
from io import BufferedIOBase
from typing import Any

from dwtui.demo import kube_ws
from dwtui.demo.kube_state import PodCommand

#: A missing binary, as the container runtime reports it.
NOT_FOUND_CODE = 127


class _Sender:
    """Frames written from several threads, one at a time."""

    def __init__(self, out: BufferedIOBase) -> None:
        self._out = out
        self._lock = threading.Lock()
        self.broken = False

    def send(self, data: bytes) -> None:
        if not data or self.broken:
            return
        with self._lock:
            try:
                self._out.write(data)
                self._out.flush()
            except OSError:
                self.broken = True


def _pump(stream: Any, channel: int, sender: _Sender) -> None:
    while True:
        chunk = stream.read1(32 * 1024) if hasattr(stream, "read1") else stream.read(4096)
        if not chunk:
            return
        sender.send(kube_ws.channel_frames(channel, chunk))


def _read_client(
    rfile: BufferedIOBase, process: subprocess.Popen[bytes] | None, sender: _Sender,
    ended: threading.Event,
) -> None:
    """Feed stdin frames to the process until the client closes stdin or the socket."""
    channel = -1
    stdin = process.stdin if process is not None else None
    while not ended.is_set():
        try:
            frame = kube_ws.read_frame(rfile)
        except (OSError, ValueError):
            frame = None
        if frame is None or frame[0] == kube_ws.OPCODE_CLOSE:
            if process is not None and process.poll() is None:
                process.kill()
            return
        opcode, payload = frame
        if opcode == kube_ws.OPCODE_PING:
            sender.send(kube_ws.frame(payload, kube_ws.OPCODE_PONG))
            continue
        if opcode in (kube_ws.OPCODE_BINARY, kube_ws.OPCODE_TEXT) and payload:
            channel, payload = payload[0], payload[1:]
        elif opcode != 0:
            continue
        if channel == kube_ws.CLOSE and payload[:1] == bytes([kube_ws.STDIN]) and stdin:
            with contextlib.suppress(OSError):
                stdin.close()
            stdin = None
        elif channel == kube_ws.STDIN and stdin is not None and payload:
            try:
                stdin.write(payload)
                stdin.flush()
            except OSError:
                stdin = None


def run_process(
    rfile: BufferedIOBase, out: BufferedIOBase, command: PodCommand, *, stdin: bool, tty: bool
) -> None:
    """Run `command` with its streams on the WebSocket; send the exit status and close."""
    sender = _Sender(out)
    try:
        process = subprocess.Popen(
            command.argv, cwd=command.cwd, env=command.env,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT if tty else subprocess.PIPE,
        )
    except (FileNotFoundError, PermissionError):
        message = f'exec: "{command.argv[0]}": executable file not found in $PATH\n'
        channel = kube_ws.STDOUT if tty else kube_ws.STDERR
        sender.send(kube_ws.channel_frames(channel, message.encode()))
        finish(sender, NOT_FOUND_CODE)
        return
    ended = threading.Event()
    pumps = [threading.Thread(target=_pump, args=(process.stdout, kube_ws.STDOUT, sender),
                              daemon=True)]
    if process.stderr is not None:
        pumps.append(threading.Thread(target=_pump, args=(process.stderr, kube_ws.STDERR, sender),
                                      daemon=True))
    reader = threading.Thread(target=_read_client, args=(rfile, process, sender, ended),
                              daemon=True)
    for thread in [*pumps, reader]:
        thread.start()
    code = process.wait()
    for thread in pumps:
        thread.join(timeout=5)
    ended.set()
    finish(sender, code)


def run_handler_result(
    out: BufferedIOBase, code: int, stdout: str, stderr: str = ""
) -> None:
    """Send a finished command's output (a test's exec handler) and its exit status."""
    sender = _Sender(out)
    sender.send(kube_ws.channel_frames(kube_ws.STDOUT, stdout.encode("utf-8")))
    sender.send(kube_ws.channel_frames(kube_ws.STDERR, stderr.encode("utf-8")))
    finish(sender, code)


def finish(sender: _Sender, code: int) -> None:
    """The channel-3 Status and a normal close (a signal's death is 128 + its number)."""
    if code < 0:
        code = 128 - code
    status = json.dumps(kube_ws.exit_status(code)).encode()
    sender.send(kube_ws.channel_frames(kube_ws.ERROR, status))
    sender.send(kube_ws.close_frame())
