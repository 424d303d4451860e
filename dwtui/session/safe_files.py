"""Files the tool writes: never through a symbolic link, private unless the directory is shared.

Every file is opened with `O_NOFOLLOW` (a planted link is refused, its target untouched) or
created beside its final name with `O_EXCL` and renamed over it (a rename replaces a link,
never writes through it). Modes do not depend on the umask:

- private (the default): files 0600, directories 0700;
- group-shared, when the directory holding the file has the setgid bit (`chmod 2750
  sessions` after `chgrp <team> sessions`): files 0640, directories 2750, so the group can
  follow sessions read-only (`dwtui watch`) and nobody else can read them. The one file
  the group appends to (a session's journal: notes, requests, sign-off approvals) is 0660
  (`append_mode`); everything else stays the owner's to write.

A directory the tool writes into must belong to the user (or root) and not be writable by
other users, nor by its group unless it is group-shared (or is the user's own private group);
otherwise `UnsafePath` says why.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from dwtui.session.errors import SessionError

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
SHARED_FILE = 0o640
SHARED_DIR = 0o2750
SHARED_APPEND_FILE = 0o660
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class UnsafePath(SessionError):
    """A file or directory the tool would write is a link or open to other users."""


def is_shared(directory: Path | str) -> bool:
    """True if `directory` is group-shared (has the setgid bit)."""
    try:
        return bool(os.stat(directory).st_mode & stat.S_ISGID)
    except OSError:
        return False


def file_mode(directory: Path | str) -> int:
    """The mode of a new file in `directory`."""
    return SHARED_FILE if is_shared(directory) else PRIVATE_FILE


def append_mode(directory: Path | str) -> int:
    """The mode of a file the group appends to (a journal) in `directory`."""
    return SHARED_APPEND_FILE if is_shared(directory) else PRIVATE_FILE


def check_directory(directory: Path | str) -> None:
    """Refuse a directory other users could plant files in (or swap files of)."""
    try:
        st = os.stat(directory)
    except FileNotFoundError:
        return  # created by us, with our modes, when first needed
    except OSError as exc:
        raise UnsafePath(f"cannot inspect: {exc.strerror}", path=Path(directory)) from None
    mode = stat.S_IMODE(st.st_mode)
    if st.st_uid not in (os.getuid(), 0):
        raise UnsafePath(
            f"directory belongs to another user (uid {st.st_uid}); refusing to write in it",
            path=Path(directory),
        )
    if mode & stat.S_IWOTH:
        raise UnsafePath(
            f"directory is writable by other users (mode {mode:04o}); refusing to write in it"
            f" (chmod o-w {directory})",
            path=Path(directory),
        )
    if mode & stat.S_IWGRP and not mode & stat.S_ISGID and not _own_private_group(st.st_gid):
        raise UnsafePath(
            f"directory is writable by its group {_group_name(st.st_gid)} but not group-shared"
            f" (mode {mode:04o}); refusing to write in it (chmod g-w {directory}, or chmod g+s"
            " to share it with that group)",
            path=Path(directory),
        )


def _own_private_group(gid: int) -> bool:
    """True for the user's own private group (`ana:ana`, nobody else in it): umask 002
    systems make every directory group-writable for that group, which is no one else."""
    import grp
    import pwd

    try:
        user = pwd.getpwuid(os.getuid())
        group = grp.getgrgid(gid)
    except KeyError:
        return False
    return (
        gid == user.pw_gid and group.gr_name == user.pw_name and set(group.gr_mem) <= {user.pw_name}
    )


def _group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def ensure_dir(path: Path | str, *, private: bool = False) -> None:
    """`mkdir -p` with our modes; refuses a symbolic link where a directory should be.

    A new directory is group-shared when its parent is (unless `private`), else 0700.
    """
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        if path.parent != path:
            ensure_dir(path.parent)
        mode = PRIVATE_DIR if private or not is_shared(path.parent) else SHARED_DIR
        try:
            os.mkdir(path, mode & 0o777)
        except FileExistsError:
            ensure_dir(path, private=private)  # made by someone else meanwhile: check it
            return
        # The umask and the setgid rules must not decide; set on the directory just made,
        # never on whatever a link put in its place meanwhile.
        fd = os.open(path, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)
        try:
            os.fchmod(fd, mode)
        finally:
            os.close(fd)
        return
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePath(_LINK, path=path)
    if not stat.S_ISDIR(st.st_mode):
        raise UnsafePath("is not a directory", path=path)


def check_not_link(path: Path | str) -> None:
    """Refuse `path` if it is a symbolic link (a missing path is fine)."""
    try:
        st = os.lstat(path)
    except OSError:
        return
    if stat.S_ISLNK(st.st_mode):
        raise UnsafePath(_LINK, path=Path(path))


def open_file(
    path: Path | str, flags: int, *, create_dirs: bool = False, mode: int | None = None
) -> int:
    """`os.open` that never follows a link at `path`; new files get our mode.

    An existing file of ours with another mode (an older dwtui, a umask) is set to ours.
    With `create_dirs`, a missing directory is made (`ensure_dir`) and the open retried.
    `mode` overrides `file_mode` of the directory (e.g. `append_mode` for a journal).
    """
    flags |= _NOFOLLOW | _CLOEXEC
    directory = os.path.dirname(os.path.abspath(path))
    chosen = mode
    if mode is None:
        mode = file_mode(directory)
    try:
        try:
            fd = os.open(path, flags, mode)
        except FileNotFoundError:
            if not create_dirs or not flags & os.O_CREAT:
                raise
            ensure_dir(directory)
            if chosen is None:  # asked of the directory now that it exists (group-shared?)
                mode = file_mode(directory)
            fd = os.open(path, flags, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(_LINK, path=Path(path)) from None
        raise
    try:
        st = os.fstat(fd)
        if stat.S_IMODE(st.st_mode) != mode and st.st_uid == os.getuid():
            os.fchmod(fd, mode)
    except BaseException:
        os.close(fd)
        raise
    return fd


_LINK = "is a symbolic link; refusing to write through it (remove it if you did not make it)"
