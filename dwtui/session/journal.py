"""The followers' journal: notes and requests appended by processes that do not drive.

Only the driver writes `sessions/<id>.toml`. A follower appends one JSON line per entry to
`sessions/<id>/journal.jsonl` with a single `O_APPEND` write (atomic for lines this small)
and an fsync. The driver folds new lines into the session (`fold_into`) and saves; the byte
offset read so far is stored in the session itself, so an entry is applied exactly once even
across crashes: the offset and the folded entries reach the disk in the same atomic save.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dwtui.session.errors import SessionError
from dwtui.session.model import Event, Note, Session, utcnow
from dwtui.session.safe_files import append_mode, open_file
from dwtui.session.signoff import APPROVED

JOURNAL_NAME = "journal.jsonl"
#: Longest note text accepted; keeps each line one small atomic write.
MAX_TEXT = 8_000
#: Kinds of entry the driver understands; others are kept as `journal.<kind>` events.
NOTE = "note"
REQUEST = "request"  # text names the request, e.g. "take-wheel"
APPROVAL = "approval"  # a follower signs a step off (`dwtui.session.signoff`); text: a note
MIN_SECRET_LENGTH = 4


@dataclass(frozen=True)
class JournalEntry:
    """One line of the journal."""

    kind: str
    operator: str
    at: datetime
    text: str = ""
    step: str = ""
    id: str = field(default_factory=lambda: secrets.token_hex(6))
    #: The OS account and host that wrote the line (`user@host`; approvals), for the record.
    account: str = ""

    def to_json(self) -> str:
        """The entry as one JSON line (without the newline)."""
        data: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind,
            "operator": self.operator,
            "at": self.at.isoformat(),
        }
        if self.step:
            data["step"] = self.step
        if self.text:
            data["text"] = self.text
        if self.account:
            data["account"] = self.account
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, line: str) -> JournalEntry | None:
        """Parse a line; None if it is not a valid entry (it is then skipped)."""
        try:
            data = json.loads(line)
            return cls(
                kind=str(data["kind"]),
                operator=str(data.get("operator", "")),
                at=datetime.fromisoformat(str(data["at"])),
                text=str(data.get("text", "")),
                step=str(data.get("step", "")),
                id=str(data.get("id", "")),
                account=str(data.get("account", "")),
            )
        except (ValueError, KeyError, TypeError):
            return None


class Journal:
    """Append-only notes/requests file of one session."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def in_dir(cls, session_dir: Path) -> Journal:
        """The journal of the session whose directory is `session_dir` (`store.dir_of(id)`)."""
        return cls(Path(session_dir) / JOURNAL_NAME)

    def prepare(self) -> None:
        """Create the (empty) journal now, so followers of the group can append to it: in
        a group-shared sessions directory they cannot create files in the session's own."""
        fd = open_file(
            self.path,
            os.O_WRONLY | os.O_APPEND | os.O_CREAT,
            create_dirs=True,
            mode=append_mode(self.path.parent),
        )
        os.close(fd)

    # ------------------------------------------------------------------ followers

    def append(
        self,
        kind: str,
        operator: str,
        text: str = "",
        *,
        step: str = "",
        secrets: Iterable[str] = (),
        account: str = "",
    ) -> JournalEntry:
        """Append one entry durably (single O_APPEND write + fsync); secrets are masked."""
        if len(text) > MAX_TEXT:
            raise SessionError(f"note too long ({len(text)} characters; at most {MAX_TEXT})")
        entry = JournalEntry(
            kind=kind,
            operator=operator,
            at=utcnow(),
            text=_mask(text, secrets),
            step=step,
            account=account,
        )
        data = (entry.to_json() + "\n").encode("utf-8", "backslashreplace")
        fd = open_file(
            self.path,
            os.O_WRONLY | os.O_APPEND | os.O_CREAT,
            create_dirs=True,
            mode=append_mode(self.path.parent),
        )
        try:
            written = os.write(fd, data)
            if written != len(data):
                raise SessionError(f"{self.path}: short write to the journal (disk full?)")
            os.fsync(fd)
        finally:
            os.close(fd)
        return entry

    def note(
        self, operator: str, text: str, *, step: str = "", secrets: Iterable[str] = ()
    ) -> JournalEntry:
        """A follower's note on a step (or on the session when `step` is empty)."""
        return self.append(NOTE, operator, text, step=step, secrets=secrets)

    def request(self, operator: str, what: str) -> JournalEntry:
        """A follower asks the driver for something, e.g. `"take-wheel"`."""
        return self.append(REQUEST, operator, what)

    def approve(
        self, operator: str, step: str, note: str = "", *, account: str = ""
    ) -> JournalEntry:
        """A follower approves a step awaiting sign-off (checked by `dwtui.engine.approval`
        before, and by the driver's gate again when it folds the line in)."""
        return self.append(APPROVAL, operator, note, step=step, account=account)

    # ------------------------------------------------------------------ readers

    def read_from(self, offset: int) -> tuple[list[JournalEntry], int]:
        """Complete entries after byte `offset`, and the offset after the last one read.

        A journal shorter than `offset` was recreated: it is read from the start.
        """
        try:
            with self.path.open("rb") as handle:
                size = os.fstat(handle.fileno()).st_size
                if size < offset:
                    offset = 0
                handle.seek(offset)
                data = handle.read()
        except FileNotFoundError:
            return [], offset
        end = data.rfind(b"\n")
        if end < 0:
            return [], offset  # nothing, or one line still being written
        entries: list[JournalEntry] = []
        for raw in data[: end + 1].splitlines():
            if not raw.strip():
                continue
            entry = JournalEntry.from_json(raw.decode("utf-8", "replace"))
            if entry is not None:
                entries.append(entry)
        return entries, offset + end + 1

    def pending(self, session: Session) -> list[JournalEntry]:
        """Entries the driver has not folded in yet (a follower shows them as its own)."""
        return self.read_from(session.journal_offset)[0]

    # ------------------------------------------------------------------ the driver

    def fold_into(self, session: Session, secrets: Iterable[str] = ()) -> list[JournalEntry]:
        """Apply new entries to the session (the caller saves it); returns them.

        Notes go to their step's notes and the event history; requests and unknown kinds
        become events (`driver.request`, `journal.<kind>`) for the driver's UI to act on.
        """
        start = session.journal_offset
        entries, offset = self.read_from(start)
        secret_values = list(secrets)
        if entries and secret_values:
            self._scrub(start, offset, secret_values)
        for entry in entries:
            text = _mask(entry.text, secret_values)
            if entry.kind == NOTE:
                # A step the session does not know (a follower on another checklist
                # version) keeps its note in the history only, not as a phantom step.
                if entry.step in session.steps:
                    session.steps[entry.step].notes.append(
                        Note(at=entry.at, operator=entry.operator, text=text)
                    )
                kind = "note"
            elif entry.kind == REQUEST:
                kind = "driver.request"
            elif entry.kind == APPROVAL:
                kind = APPROVED
                text = approval_detail(entry.account, text)
            else:
                kind = f"journal.{entry.kind}"
            session.events.append(
                Event(at=entry.at, operator=entry.operator, kind=kind, step=entry.step, detail=text)
            )
            if entry.operator and entry.operator not in session.operators:
                session.operators.append(entry.operator)
        session.journal_offset = offset
        return entries

    def _scrub(self, start: int, end: int, secret_values: Iterable[str]) -> None:
        """Overwrite secrets a follower pasted (it cannot know them) in the journal file itself.

        Same-length `*` runs written in place: no byte offset moves, so neither the driver's
        `journal_offset` nor a follower's concurrent O_APPEND write is disturbed, and the JSON
        lines stay valid.
        """
        forms = {
            form
            for value in secret_values
            if len(value) >= MIN_SECRET_LENGTH
            for form in (value.encode("utf-8"), json.dumps(value)[1:-1].encode("utf-8"))
        }
        try:
            fd = open_file(self.path, os.O_RDWR, mode=append_mode(self.path.parent))
        except FileNotFoundError:
            return
        try:
            data = os.pread(fd, end - start, start)
            dirty = False
            for form in forms:
                at = data.find(form)
                while at >= 0:
                    os.pwrite(fd, b"*" * len(form), start + at)
                    dirty = True
                    at = data.find(form, at + len(form))
            if dirty:
                os.fsync(fd)
        finally:
            os.close(fd)


def approval_detail(account: str, note: str) -> str:
    """An approval's event detail: `OS account bob@db1; note: looks right`."""
    parts = [f"OS account {account}" if account else "OS account unknown"]
    if note:
        parts.append(f"note: {note}")
    return "; ".join(parts)


def _mask(text: str, secret_values: Iterable[str]) -> str:
    for value in secret_values:
        if len(value) >= MIN_SECRET_LENGTH and value in text:
            text = text.replace(value, "***")
    return text
