"""One exec session over an upgraded WebSocket: a local process plays the container's command.

stdout goes out on channel 1 and stderr on channel 2; with `tty=true` the process gets a
pseudo-terminal whose output is channel 1 and whose size follows channel 4 (as the kubelet
does). Client frames on channel 0 are the process's stdin, `255 0` (v5) closes it,
a WebSocket close ends the session and kills the process, pings are answered. The final
channel-3 Status carries the exit code.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import struct
import subprocess
import termios
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


class _Stdin:
    """Where channel-0 bytes go: the process's stdin pipe, or the terminal's master side."""

    def __init__(self, pipe: Any = None, master: int | None = None) -> None:
        self.pipe, self.master = pipe, master

    def write(self, data: bytes) -> None:
        try:
            if self.master is not None:
                os.write(self.master, data)
            elif self.pipe is not None:
                self.pipe.write(data)
                self.pipe.flush()
        except OSError:
            self.pipe = None

    def close(self) -> None:
        if self.master is not None:
            with contextlib.suppress(OSError):
                os.write(self.master, b"\x04")  # end of input, as a terminal's ^D
        elif self.pipe is not None:
            with contextlib.suppress(OSError):
                self.pipe.close()
            self.pipe = None

    def resize(self, payload: bytes) -> None:
        if self.master is None:
            return
        with contextlib.suppress(ValueError, OSError, KeyError, TypeError):
            size = json.loads(payload)
            fcntl.ioctl(
                self.master,
                termios.TIOCSWINSZ,
                struct.pack("HHHH", int(size["Height"]), int(size["Width"]), 0, 0),
            )


def _read_client(
    rfile: BufferedIOBase,
    process: subprocess.Popen[bytes],
    stdin: _Stdin,
    sender: _Sender,
    ended: threading.Event,
) -> None:
    """Feed client frames to the process until the client closes the socket."""
    channel = -1
    while not ended.is_set():
        try:
            frame = kube_ws.read_frame(rfile)
        except (OSError, ValueError):
            frame = None
        if frame is None or frame[0] == kube_ws.OPCODE_CLOSE:
            if process.poll() is None:
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
        if channel == kube_ws.CLOSE and payload[:1] == bytes([kube_ws.STDIN]):
            stdin.close()
        elif channel == kube_ws.STDIN and payload:
            stdin.write(payload)
        elif channel == kube_ws.RESIZE:
            stdin.resize(payload)


def _pump_terminal(master: int, sender: _Sender) -> None:
    while True:
        try:
            chunk = os.read(master, 32 * 1024)
        except OSError:  # EIO: the last process holding the terminal is gone
            return
        if not chunk:
            return
        sender.send(kube_ws.channel_frames(kube_ws.STDOUT, chunk))


def run_process(
    rfile: BufferedIOBase, out: BufferedIOBase, command: PodCommand, *, stdin: bool, tty: bool
) -> None:
    """Run `command` with its streams on the WebSocket; send the exit status and close.
    With `tty` the process gets a pseudo-terminal (prompts, line editing, resize)."""
    sender = _Sender(out)
    master = replica = None
    if tty:
        master, replica = pty.openpty()
    try:
        process = subprocess.Popen(
            command.argv,
            cwd=command.cwd,
            env={**command.env, "TERM": "xterm"} if tty else command.env,
            stdin=replica if tty else (subprocess.PIPE if stdin else subprocess.DEVNULL),
            stdout=replica if tty else subprocess.PIPE,
            stderr=replica if tty else subprocess.PIPE,
            start_new_session=tty,
        )
    except (FileNotFoundError, PermissionError):
        for fd in (master, replica):
            if fd is not None:
                os.close(fd)
        message = f'exec: "{command.argv[0]}": executable file not found in $PATH\n'
        channel = kube_ws.STDOUT if tty else kube_ws.STDERR
        sender.send(kube_ws.channel_frames(channel, message.encode()))
        finish(sender, NOT_FOUND_CODE)
        return
    ended = threading.Event()
    if master is not None and replica is not None:
        os.close(replica)
        pumps = [threading.Thread(target=_pump_terminal, args=(master, sender), daemon=True)]
        feed = _Stdin(master=master)
    else:
        pumps = [
            threading.Thread(
                target=_pump, args=(process.stdout, kube_ws.STDOUT, sender), daemon=True
            ),
            threading.Thread(
                target=_pump, args=(process.stderr, kube_ws.STDERR, sender), daemon=True
            ),
        ]
        feed = _Stdin(pipe=process.stdin)
    reader = threading.Thread(
        target=_read_client, args=(rfile, process, feed, sender, ended), daemon=True
    )
    for thread in [*pumps, reader]:
        thread.start()
    code = process.wait()
    for thread in pumps:
        thread.join(timeout=5)
    ended.set()
    if master is not None:
        os.close(master)
    finish(sender, code)


def run_handler_result(out: BufferedIOBase, code: int, stdout: str, stderr: str = "") -> None:
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
