"""`dwtui report [SESSION] [-o FILE]`: the summary of a session, regenerated from it, and the
summary files its `report.summary` steps wrote rewritten to match."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from dwtui.checklist.model import Checklist
from dwtui.report.refresh import refresh_summaries
from dwtui.report.summary import render_summary
from dwtui.session.atomic import write_file
from dwtui.session.errors import SessionError

Masker = Callable[[str], str]


def _environment_masker(checklist: Checklist) -> Masker:
    """Masks the values the checklist's secret variables have in this environment.

    A session holds no secrets by construction; this is the belt to that pair of braces
    (a note or a step summary typed by hand could still quote one).
    """
    import os

    from dwtui.secrets import Masker as SecretMasker

    masker = SecretMasker()
    for variable in checklist.variables.values():
        if variable.secret and variable.env and os.environ.get(variable.env):
            masker.add(os.environ[variable.env], variable.name)
    return masker.mask


def main(args: argparse.Namespace) -> int:
    """`dwtui report [SESSION] [-o FILE]`: write the summary to FILE or stdout."""
    from dwtui.report.loading import ReportInputError, load_for_report

    output = getattr(args, "output", None)
    if output and not Path(output).parent.is_dir():
        # A typo in the path must not leave new directories behind: refused, nothing written.
        print(
            f"dwtui report: cannot write {output}: no directory {Path(output).parent}",
            file=sys.stderr,
        )
        return 2
    try:
        checklist, session, session_dir = load_for_report(
            getattr(args, "sessions_dir", None), getattr(args, "session", None)
        )
    except ReportInputError as exc:
        print(f"dwtui report: {exc}", file=sys.stderr)
        return 2
    masker = _environment_masker(checklist)
    text = render_summary(checklist, session, session_dir=session_dir, masker=masker)
    try:  # the files `report.summary` steps wrote: regenerated too, never left stale
        refresh_summaries(checklist, session, session_dir, masker)
    except OSError as exc:
        print(
            f"dwtui report: cannot rewrite the session's summary: {exc.strerror or exc}",
            file=sys.stderr,
        )
    if output:
        try:
            write_file(Path(output), text.encode("utf-8"))
        except SessionError as exc:
            print(f"dwtui report: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:
            print(f"dwtui report: cannot write {output}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        print(f"report written to {output}")
    else:
        sys.stdout.write(text)
    return 0
