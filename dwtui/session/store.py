"""Sessions on disk: `sessions/<id>.toml` plus `sessions/<id>/` for logs and artifacts.

Saves are atomic and durable: the new text goes to a temp file in the same directory,
is fsynced, renamed over the session and the directory is fsynced, so a crash at any
instant leaves either the old or the new file, never a mix. The copy being replaced is
kept as `<id>.toml.bak` (a hard link, so keeping it costs no copy).
"""

from __future__ import annotations

import os
import re
import secrets as _random
import threading
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from dwtui.session import codec
from dwtui.session.atomic import glob_escape, replace_file, sweep_temp_files, tail_endswith
from dwtui.session.errors import NotDriver, SecretInSession, SessionError, SessionNotFound
from dwtui.session.index import SessionSummary, SummaryIndex, stamp_of, summarize
from dwtui.session.journal import Journal
from dwtui.session.model import Session, StepState, utcnow
from dwtui.session.progress import PlanSource, plan_for
from dwtui.session.safe_files import check_directory, check_not_link, ensure_dir

__all__ = [
    "BACKUP_SUFFIX",
    "SESSIONS_DIR_ENV",
    "SUFFIX",
    "ChecklistSpec",
    "SessionStore",
    "SessionSummary",
    "summarize",
]

SESSIONS_DIR_ENV = "DWTUI_SESSIONS_DIR"
SUFFIX = ".toml"
BACKUP_SUFFIX = ".toml.bak"
#: The target of a session whose checklist names none: its steps run on this machine.
NO_TARGET = "local"
#: Secret values shorter than this are not searched for in saved text: they would match
#: ordinary words and make every save fail.
MIN_SECRET_LENGTH = 4
_SURROGATE = re.compile("[\ud800-\udfff]")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _VariableSpec(Protocol):
    @property
    def secret(self) -> bool: ...
    @property
    def env(self) -> str | None: ...
    def problem(self, value: str) -> str | None: ...


class _StepSpec(Protocol):
    @property
    def id(self) -> str: ...


class ChecklistSpec(PlanSource, Protocol):
    """What `create` needs of a `dwtui.checklist.model.Checklist`.

    A protocol rather than an import: the session and checklist layers are independent
    (import-linter contract in pyproject.toml).
    """

    @property
    def id(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def path(self) -> Path: ...
    @property
    def checksum(self) -> str: ...
    @property
    def default_target(self) -> str | None: ...
    @property
    def variables(self) -> Mapping[str, _VariableSpec]: ...
    @property
    def targets(self) -> Mapping[str, object]: ...
    def iter_steps(self, *, include_rollback: bool = True) -> Iterator[_StepSpec]: ...


def log_file_name(step_id: str, attempt_no: int) -> str:
    """An attempt's log file in the session's `logs/`: `<step>.<n>.log`."""
    return f"{step_id}.{attempt_no}.log"


class SessionStore:
    """Create, load, save and list sessions under one root directory."""

    def __init__(self, root: Path | str, *, durable: bool = True) -> None:
        self.root = Path(root)
        #: fsync files and directories (turn off only for benchmarks and throwaway tests).
        self.durable = durable
        #: If set and it returns False, `save` raises `NotDriver` (the lock was taken over).
        self.writer_check: Callable[[], bool] | None = None
        self._paths: dict[str, Path] = {}  # sessions loaded from an explicit path
        self._save_lock = threading.Lock()
        self._swept: set[str] = set()  # sessions whose stale temp files were removed

    # ------------------------------------------------------------------ locations

    @staticmethod
    def default_root(
        cli_value: str | None = None, environ: Mapping[str, str] | None = None
    ) -> Path:
        """`--sessions-dir`, else `$DWTUI_SESSIONS_DIR`, else `./sessions`."""
        env = os.environ if environ is None else environ
        if cli_value:
            return Path(cli_value).expanduser()
        if env.get(SESSIONS_DIR_ENV):
            return Path(env[SESSIONS_DIR_ENV]).expanduser()
        return Path("sessions")

    def path_of(self, session_id: str) -> Path:
        """The session's TOML file."""
        return self._paths.get(session_id) or self.root / f"{session_id}{SUFFIX}"

    def dir_of(self, session_id: str) -> Path:
        """`sessions/<id>/`: logs, artifacts, the followers' journal."""
        return self.path_of(session_id).parent / session_id

    def log_path(
        self, session: Session | str, step_id: str, attempt_no: int, *, create: bool = True
    ) -> Path:
        """`sessions/<id>/logs/<step>.<n>.log` (the directory is created unless `create` is
        False: the engine's log writers create it when it is missing, sparing a step a mkdir)."""
        logs = self.logs_dir(session if isinstance(session, str) else session.id)
        if create:
            ensure_dir(logs)
        return logs / log_file_name(step_id, attempt_no)

    def logs_dir(self, session_id: str) -> Path:
        """`sessions/<id>/logs/` (not created here)."""
        return self.dir_of(session_id) / "logs"

    def artifacts_dir(self, session: Session | str) -> Path:
        """`sessions/<id>/artifacts/` (created)."""
        session_id = session if isinstance(session, str) else session.id
        path = self.dir_of(session_id) / "artifacts"
        ensure_dir(path)
        return path

    def lock_path(self, session_id: str) -> Path:
        """`sessions/<id>.lock`: the driver lock."""
        return self.path_of(session_id).parent / f"{session_id}.lock"

    def checklist_path(self, session: Session) -> Path:
        """The session's checklist file (stored relative to the sessions root's parent)."""
        path = Path(session.checklist_path)
        if path.is_absolute():
            return path
        return self.path_of(session.id).parent.parent / path

    # ------------------------------------------------------------------ create

    def create(
        self,
        checklist: ChecklistSpec,
        target: str | None,
        operator: str,
        variables: Mapping[str, str] | None = None,
        *,
        rehearsal: bool = False,
    ) -> Session:
        """A new session with a pending state for every step (phases and scenarios), saved.
        `rehearsal`: not a real change (`dwtui demo`, `dwtui new --rehearsal`)."""
        target_name = target or checklist.default_target
        if target_name is None and len(checklist.targets) == 1:
            target_name = next(iter(checklist.targets))
        if target_name is None and not checklist.targets:
            target_name = NO_TARGET
        if not target_name:
            raise SessionError(f"checklist {checklist.id} has no default target; use --target")
        no_targets = not checklist.targets and target_name == NO_TARGET
        if not no_targets and target_name not in checklist.targets:
            known = ", ".join(sorted(checklist.targets)) or "the checklist names none"
            raise SessionError(f"unknown target {target_name!r} (known: {known})")
        values = dict(variables or {})
        for name, value in values.items():
            spec = checklist.variables.get(name)
            if spec is None:
                raise SessionError(f"unknown variable {name!r} (not in [vars] of the checklist)")
            if spec.secret:
                raise SessionError(
                    f"variable {name!r} is secret: pass it through "
                    f"{'$' + spec.env if spec.env else 'the prompt'}, not --var"
                )
            refused = spec.problem(value)  # a typed variable: `type = "int"`, min, max
            if refused:
                raise SessionError(refused)
        # To the microsecond: sessions created within one second still sort by creation.
        now = datetime.now(UTC)
        session = Session(
            id=self._new_id(now),
            checklist_path=self._relative_checklist_path(checklist.path),
            checklist_id=checklist.id,
            checklist_title=checklist.title,
            checklist_checksum=checklist.checksum,
            target=target_name,
            created_at=now,
            variables=values,
            plan=plan_for(checklist, target_name),
            rehearsal=rehearsal,
        )
        for step in checklist.iter_steps():
            session.steps[step.id] = StepState()
        session.record(
            operator,
            "session.created",
            detail=f"target={target_name}" + (", a rehearsal" if rehearsal else ""),
        )
        ensure_dir(self.root, private=True)
        self.save(session)
        ensure_dir(self.dir_of(session.id))
        Journal.in_dir(self.dir_of(session.id)).prepare()  # the group appends; see safe_files
        return session

    def _new_id(self, now: datetime) -> str:
        while True:
            random_part = _random.token_hex(3)
            candidate = f"{now:%Y%m%d-%H%M}-{random_part}"
            # The random part alone is `${session_short}`: unique among this directory's
            # sessions, not only within the minute.
            if not any(self.root.glob(f"*-{random_part}{SUFFIX}")):
                return candidate

    def _relative_checklist_path(self, path: Path) -> str:
        # Relative to the directory holding sessions/ (usually the repository root), so a
        # session committed as a change record does not carry one machine's absolute path.
        absolute = path.resolve()
        base = self.root.resolve().parent
        try:
            return absolute.relative_to(base).as_posix()
        except ValueError:
            return str(absolute)

    # ------------------------------------------------------------------ save

    def save(self, session: Session, secrets: Iterable[str] | None = None) -> Path:
        """Write the session atomically and durably; keep the replaced copy as `.bak`.

        Refuses (`SecretInSession`) if any of `secrets` appears in the text, and
        (`NotDriver`) if `writer_check` says this process no longer drives.
        """
        path = self.path_of(session.id)
        check_directory(path.parent)
        # Serialise inside the lock: two threads saving the same session then write in the
        # order they read it, so an older snapshot never lands after a newer one.
        with self._save_lock:
            text = codec.dumps(session)
            _refuse_secrets(session.id, text, secrets or ())
            data = _encode(text)
            if self.writer_check is not None and not self.writer_check():
                raise NotDriver(f"session {session.id} is now driven by someone else; not saving")
            if session.id not in self._swept:
                # Only a writer sweeps (followers never touch the directory), once per run.
                sweep_temp_files(path)
                self._swept.add(session.id)
            # Only a complete file becomes the backup: a hand-broken one must not replace
            # the last good copy. The tail is enough to tell (our own writes are atomic).
            keep = tail_endswith(path, codec.END_MARKER.encode())
            replace_file(
                path, data, durable=self.durable, backup=self.backup_path(path) if keep else None
            )
        return path

    # ------------------------------------------------------------------ load

    def load(self, ref: str | Path | None = None) -> Session:
        """Load by id, unique id prefix or path; None means the newest unfinished session."""
        path = self.resolve(ref)
        session = self._read(path)
        if path != self.root / f"{session.id}{SUFFIX}":
            self._paths[session.id] = path
        self._check_session_tree(session.id)
        return session

    def _check_session_tree(self, session_id: str) -> None:
        """Refuse a session whose directories were replaced by links (planted elsewhere)."""
        session_dir = self.dir_of(session_id)
        for path in (session_dir, session_dir / "logs", session_dir / "artifacts"):
            check_not_link(path)

    def stamp(self, session_id: str) -> tuple[int, int, int] | None:
        """A cheap change token of the session file (followers poll it, then `load`).

        Every save renames a new file into place, so the token changes on each save.
        """
        return stamp_of(self.path_of(session_id))

    def resolve(self, ref: str | Path | None) -> Path:
        """The file a reference names (no parsing beyond what `None` needs)."""
        if ref is None:
            return self._newest_unfinished()
        text = str(ref)
        candidate = Path(text).expanduser()
        if (isinstance(ref, Path) or "/" in text or text.endswith(SUFFIX)) and candidate.is_file():
            return candidate
        exact = self.root / f"{text}{SUFFIX}"
        if exact.is_file():
            return exact
        if not text or "/" in text:
            raise SessionNotFound(f"no session file {text!r}")
        matches = sorted(self.root.glob(f"{glob_escape(text)}*{SUFFIX}"))
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise SessionNotFound(f"no session matches {text!r} in {self.root}")
        names = ", ".join(m.name[: -len(SUFFIX)] for m in matches[:5])
        more = "" if len(matches) <= 5 else f" and {len(matches) - 5} more"
        raise SessionNotFound(f"{text!r} matches several sessions: {names}{more}")

    def _newest_unfinished(self) -> Path:
        return self.newest(unfinished=True)

    def newest(self, *, unfinished: bool = False) -> Path:
        """The file of the session with the newest activity (only `active` ones when
        `unfinished`); SessionNotFound when there is none."""
        best: tuple[datetime, str] | None = None
        best_path: Path | None = None
        for summary in self.list():
            if summary.last_activity is None or (unfinished and summary.state != "active"):
                continue
            key = (summary.last_activity, summary.id)
            if best is None or key > best:
                best, best_path = key, summary.path
        if best_path is None:
            which = "unfinished session" if unfinished else "session"
            raise SessionNotFound(f"no {which} in {self.root}")
        return best_path

    def _read(self, path: Path) -> Session:
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            raise SessionNotFound(f"no session file {path}") from None
        except OSError as exc:
            raise SessionError(f"cannot read: {exc.strerror}", path=path) from None
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise SessionError(
                "not UTF-8 text", path=path, line=line, backup=self._backup_if_good(path)
            ) from None
        try:
            return codec.loads(text, path)
        except SessionError as exc:
            raise SessionError(
                exc.message, path=exc.path, line=exc.line, backup=self._backup_if_good(path)
            ) from None

    def backup_path(self, path: Path) -> Path:
        """`<id>.toml.bak` beside `<id>.toml`."""
        return path.with_name(path.name[: -len(SUFFIX)] + BACKUP_SUFFIX)

    def _backup_if_good(self, path: Path) -> Path | None:
        backup = self.backup_path(path)
        if not backup.is_file():
            return None
        try:
            codec.loads(backup.read_text(encoding="utf-8"), backup)
        except (SessionError, OSError, UnicodeDecodeError):
            return None
        return backup

    def recover(self, ref: str | Path) -> Session:
        """Replace a corrupt (or deleted) session by its `.bak`; a bad file is kept aside
        as `<id>.toml.corrupt-<time>` for inspection."""
        try:
            path = self.resolve(ref)
        except SessionNotFound:
            path = self.root / f"{ref}{SUFFIX}"  # the file is gone; its backup may not be
            if isinstance(ref, Path) or not self.backup_path(path).is_file():
                raise
        backup = self.backup_path(path)
        if not backup.is_file():
            raise SessionError("no backup copy to recover from", path=path)
        session = codec.loads(backup.read_text(encoding="utf-8"), backup)
        if path.exists():
            os.replace(path, path.with_name(f"{path.name}.corrupt-{utcnow():%Y%m%dT%H%M%S}"))
        # Write through save() so the restored file is itself atomic and durable.
        self._paths.pop(session.id, None)
        if path != self.root / f"{session.id}{SUFFIX}":
            self._paths[session.id] = path
        self.save(session)
        return session

    # ------------------------------------------------------------------ list

    def list(self) -> list[SessionSummary]:
        """Every session under the root, oldest first (by creation time); unreadable ones last."""
        from dwtui.session.lock import read_live_holder

        if not self.root.is_dir():
            return []
        index = SummaryIndex(self.root)
        out: list[SessionSummary] = []
        for path in sorted(self.root.glob(f"*{SUFFIX}")):
            session_id = path.name[: -len(SUFFIX)]
            holder = read_live_holder(path.parent / f"{session_id}.lock")
            driver = holder.display() if holder else None
            stamp = stamp_of(path)
            if stamp is None:
                continue  # removed while we listed
            summary = index.get(path, stamp)
            if summary is None:
                summary = self._summary_from_file(path, session_id)
                index.put(path, stamp, summary)
            out.append(replace(summary, driver=driver))
        index.flush()
        # By creation time (ids carry only the minute, then a random part), unreadable last.
        out.sort(key=lambda s: (s.created_at is None, s.created_at or _EPOCH, s.id))
        return out

    @staticmethod
    def _summary_from_file(path: Path, session_id: str) -> SessionSummary:
        try:
            session = codec.loads(path.read_text(encoding="utf-8"), path)
        except (SessionError, OSError, UnicodeDecodeError) as exc:
            return SessionSummary(id=session_id, path=path, state="unreadable", error=str(exc))
        return summarize(session, path)


def _refuse_secrets(session_id: str, text: str, secrets: Collection[str] | Iterable[str]) -> None:
    for index, value in enumerate(secrets):
        if len(value) >= MIN_SECRET_LENGTH and value in text:
            # Never echo the value itself.
            raise SecretInSession(
                f"refusing to save session {session_id}: it would contain secret value "
                f"#{index + 1} ({len(value)} characters); mask it before recording"
            )


def _encode(text: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # Lone surrogates (from badly decoded output) cannot be UTF-8 nor TOML escapes:
        # write U+FFFD in their place rather than lose the whole save.
        return _SURROGATE.sub("\ufffd", text).encode("utf-8")
