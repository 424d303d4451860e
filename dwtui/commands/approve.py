"""`dwtui approve SESSION STEP [--note ...]`: a second person signs a step off.

Run by a watcher from their own terminal while the driver waits at a step with
`signoff`/`approvers` (see `dwtui.engine.approval` for the checks). Exit 0 approved, 1
refused (one line saying why), 2 unknown session.
"""

from __future__ import annotations

import argparse

from dwtui.commands import error, named_session
from dwtui.exit_codes import EXIT_OK, EXIT_PROBLEM
from dwtui.session.errors import SessionError
from dwtui.session.identity import operator_name
from dwtui.text_safety import visible


def cmd_approve(args: argparse.Namespace) -> int:
    """Approve one step of a session as this operator."""
    from dwtui.checklist.loader import ChecklistError, load_checklist
    from dwtui.engine.approval import ApprovalRefused, approve
    from dwtui.session.lock import read_live_holder

    operator = operator_name(getattr(args, "operator", None))
    named = named_session(args)
    if isinstance(named, int):
        return named
    store, session = named
    try:
        checklist = load_checklist(store.checklist_path(session))
    except ChecklistError as exc:
        error(f"the session's checklist has problems ({exc.problems[0] if exc.problems else ''})")
        return EXIT_PROBLEM
    holder = read_live_holder(store.lock_path(session.id))
    note = " ".join(str(getattr(args, "note", "") or "").split())
    try:
        approved = approve(
            store,
            session,
            checklist,
            args.step,
            operator,
            note=note,
            driver_now=holder.operator if holder else "",
        )
    except (ApprovalRefused, SessionError, OSError) as exc:
        error(f"approve: {exc}")
        return EXIT_PROBLEM
    print(visible(approved.text()))
    return EXIT_OK
