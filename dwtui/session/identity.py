"""Who is acting: every event, note and lock records an operator name."""

from __future__ import annotations

import os
import socket

OPERATOR_ENV = "DWTUI_OPERATOR"


def host_name() -> str:
    """This machine's short host name (for `user@host` and the lock file)."""
    return socket.gethostname().split(".")[0] or "localhost"


def operator_name(cli_value: str | None = None, environ: dict[str, str] | None = None) -> str:
    """`--operator`, else `$DWTUI_OPERATOR`, else `user@host`.

    Control characters are removed (the name is written on one line of TOML and logs).
    """
    env = os.environ if environ is None else environ
    for candidate in (cli_value, env.get(OPERATOR_ENV)):
        if candidate is not None:
            cleaned = _clean(candidate)
            if cleaned:
                return cleaned
    return f"{_user()}@{host_name()}"


def _user() -> str:
    import getpass  # only without --operator / $DWTUI_OPERATOR (it loads termios)

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        # No $USER and no passwd entry (some containers): the uid still identifies.
        return f"uid{os.getuid()}"


def _clean(text: str) -> str:
    return "".join(ch for ch in text if ch.isprintable()).strip()


def os_account() -> str:
    """The OS account and host of this process (`user@host`), whatever `--operator` says:
    recorded beside an approval so a borrowed name shows in the evidence."""
    return f"{_user()}@{host_name()}"
