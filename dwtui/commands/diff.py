"""`dwtui diff SESSION_A SESSION_B [--json]`: two sessions compared step by step.

Typically a rehearsal (`dwtui demo`) and the real run of the same checklist. The logic is
`dwtui.report.session_diff`. Exit 0 (whether or not they differ: a rehearsal is expected
to differ), 1 a session cannot be read, 2 unknown session.
"""

from __future__ import annotations

import argparse
import json

from dwtui.commands import error
from dwtui.exit_codes import EXIT_OK, EXIT_PROBLEM, EXIT_USAGE
from dwtui.session.errors import SessionError, SessionNotFound
from dwtui.session.store import SessionStore


def cmd_diff(args: argparse.Namespace) -> int:
    """Print the comparison of two sessions."""
    from dwtui.commands.sessions import _checklist_of
    from dwtui.report.session_diff import diff_sessions, render_text

    root = SessionStore.default_root(getattr(args, "sessions_dir", None))
    loaded = []
    for ref in (args.session_a, args.session_b):
        store = SessionStore(root)  # one each: two paths may hold sessions of one id
        try:
            session = store.load(ref)
        except SessionError as exc:
            error(str(exc))
            return EXIT_USAGE if isinstance(exc, SessionNotFound) else EXIT_PROBLEM
        checklist, why = _checklist_of(store, session)
        if why:
            error(f"{session.id}: {why}; comparing the steps its session recorded")
        loaded.append((session, checklist))
    (a, checklist_a), (b, checklist_b) = loaded
    diff = diff_sessions(a, b, checklist_a, checklist_b)
    if getattr(args, "json", False):
        print(json.dumps(diff.to_json(), indent=2, ensure_ascii=True, default=str))
    else:
        print(render_text(diff), end="")
    return EXIT_OK
