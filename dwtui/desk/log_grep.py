"""Forward search of a big log in a `grep` process (no Textual here).

A search thread in Python holds the GIL while it scans, so a 100 MB scan slows the UI by as
much; `grep -F` scans at several GB/s in its own process while the UI thread keeps the GIL.
Same semantics as `LineIndex.find`: a literal, ASCII-case-insensitive (`LC_ALL=C`), bytes
as they are (`-a`: binary output is text). None of this is needed for small logs, which the
Python scan searches in less time than starting a process takes.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

#: Logs with fewer bytes left to search than this are searched in Python.
GREP_MIN_BYTES = 8 << 20


class GrepUnavailable(Exception):
    """No usable `grep` here (the caller searches in Python)."""


def grep_offset(path: Path, needle: bytes, start: int) -> int | None:
    """Byte offset of the first case-insensitive occurrence of `needle` at or after `start`,
    None when there is none; `GrepUnavailable` when grep cannot tell."""
    grep = shutil.which("grep")
    if grep is None or b"\n" in needle or b"\0" in needle:
        raise GrepUnavailable("no grep")
    fd = os.open(path, os.O_RDONLY)
    try:
        os.lseek(fd, start, os.SEEK_SET)
        done = subprocess.run(
            [grep, "-a", "-b", "-o", "-m1", "-i", "-F", "-e", os.fsdecode(needle)],
            stdin=fd,
            capture_output=True,
            env={"LC_ALL": "C", "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
            check=False,
        )
    except OSError as error:
        raise GrepUnavailable(str(error)) from None
    finally:
        os.close(fd)
    if done.returncode == 1:
        return None
    head = done.stdout.split(b":", 1)[0]
    if done.returncode != 0 or not head.isdigit():
        raise GrepUnavailable(done.stderr.decode("utf-8", "replace").strip() or "grep failed")
    return start + int(head)  # grep counts from where it started reading
