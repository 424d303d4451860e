"""The detached wrapper used when secrets are in play: run the step, mask its output, record.

Started by `dwtui.runner.process.start` as `python -I -S -c <boot> ROOT COMMAND EXITS KEY`
with the secret forms on stdin (NUL-separated, then EOF); its stdout/stderr are the log
file. It runs `bash -c COMMAND` with stdin `/dev/null`, copies the command's output to the
log through a `Masker` (a secret split across reads, or wrapped onto the next line, is held
back until decided; whole lines at most `HOLD_SECONDS` when no more output comes), and appends
the exit record (`KEY PID CODE`) to the session's exit-record file with one O_APPEND write.
Stdlib only: this runs without site-packages for a fast start.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from dwtui.secrets import Masker
from dwtui.session.safe_files import open_file

#: How long whole lines are held back when their end could begin a secret wrapped onto the
#: next line: output that stops there is shown after this long.
HOLD_SECONDS = 0.5


def _ignore(signum: int, frame: object) -> None:
    """Stay alive through SIGINT/SIGTERM so the status is recorded (the command gets them)."""


def main(argv: list[str]) -> int:
    """Run `argv = [command, exits_file, key]`; return the command's exit status."""
    command, exits, key = argv[0], Path(argv[1]), argv[2]
    secrets = sys.stdin.buffer.read().decode("utf-8").split("\0")
    sys.stdin.close()
    masker = Masker()
    for value in secrets:
        if value:
            masker.add(value)
    # Handlers (not SIG_IGN) so bash starts with default dispositions after exec.
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _ignore)
    out = sys.stdout.buffer
    child = subprocess.Popen(
        ["bash", "-c", command],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert child.stdout is not None
    pending = ""
    decoder_buffer = b""
    fd = child.stdout.fileno()
    while True:
        if "\n" in pending and not select.select([fd], [], [], HOLD_SECONDS)[0]:
            # Idle with whole lines held back (their end may begin a wrapped secret):
            # the rest of it did not come, so the lines go out (the partial one stays).
            cut = pending.rindex("\n") + 1
            out.write(pending[:cut].encode("utf-8"))
            out.flush()
            pending = pending[cut:]
            continue
        try:
            chunk = os.read(fd, 65536)
        except InterruptedError:
            continue
        if not chunk:
            break
        decoder_buffer += chunk
        # Only decode whole UTF-8 sequences; keep an incomplete one for the next read.
        try:
            text = decoder_buffer.decode("utf-8")
            decoder_buffer = b""
        except UnicodeDecodeError as exc:
            if exc.start >= len(decoder_buffer) - 3:
                text = decoder_buffer[: exc.start].decode("utf-8", "replace")
                decoder_buffer = decoder_buffer[exc.start :]
            else:
                text = decoder_buffer.decode("utf-8", "replace")
                decoder_buffer = b""
        ready, pending = masker.mask_stream(pending + text)
        if ready:
            out.write(ready.encode("utf-8"))
            out.flush()
    tail = pending + decoder_buffer.decode("utf-8", "replace")
    ready, _ = masker.mask_stream(tail, final=True)
    if ready:
        out.write(ready.encode("utf-8"))
        out.flush()
    code = child.wait()  # PEP 475: retried on EINTR
    if code < 0:
        code = 128 - code
    fd = open_file(exits, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{key} {os.getpid()} {code} {time.time():.6f}\n".encode())
    finally:
        os.close(fd)
    return code
