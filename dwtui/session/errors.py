"""Errors of the session layer: one clear line for the operator, never a traceback."""

from __future__ import annotations

from pathlib import Path


class SessionError(Exception):
    """A session could not be found, read, written or locked.

    For a file that is corrupt, truncated or of a newer schema, `str(error)` is
    `path:line: message` and `backup` names the last good copy when one exists
    (`SessionStore.recover` restores it).
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | None = None,
        line: int | None = None,
        backup: Path | None = None,
    ) -> None:
        self.message = message
        self.path = path
        self.line = line
        self.backup = backup
        super().__init__(self._render())

    def _render(self) -> str:
        text = self.message
        if self.path is not None:
            where = f"{self.path}:{self.line}" if self.line is not None else str(self.path)
            text = f"{where}: {text}"
        if self.backup is not None:
            session_id = self.backup.name.removesuffix(".toml.bak")
            text += f" (last good copy: {self.backup}; `dwtui recover {session_id}` restores it)"
        return text


class SessionNotFound(SessionError):
    """No session matches the reference (or there is no unfinished session)."""


class SecretInSession(SessionError):
    """`save` refused: a secret value would have been written to disk."""


class NotDriver(SessionError):
    """`save` refused: this process no longer holds the session's driver lock."""
