"""`dwtui import RUNBOOK.md` and `dwtui export CHECKLIST.toml`: Markdown runbooks in and out.

Import writes the checklist (stdout without `-o`), lists on stderr what it could not map
(`RUNBOOK.md:42: table not imported`), then checks the result like `dwtui check`: exit 0
clean, 1 when the written checklist has problems, 2 for unreadable input. Neither command
replaces an existing `-o` file unless `--force` is given (exit 1, nothing written).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import tomli

from dwtui.commands import error
from dwtui.exit_codes import EXIT_OK, EXIT_PROBLEM, EXIT_USAGE


def cmd_import(args: argparse.Namespace) -> int:
    """Markdown runbook -> checklist TOML."""
    from dwtui.checklist.loader import check_files
    from dwtui.markdown_io import import_markdown, to_toml

    source = Path(args.file)
    if _would_replace(args):
        return EXIT_PROBLEM
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        error(f"{source}: {getattr(exc, 'strerror', None) or exc}")
        return EXIT_USAGE
    if args.phase_level is not None and not 1 <= args.phase_level <= 6:
        error("--phase-level must be 1..6")
        return EXIT_USAGE
    result = import_markdown(text, source.name, args.phase_level)
    for note in result.notes:
        print(note.format(str(source)), file=sys.stderr)
    toml_text = to_toml(result.data)
    output = Path(args.output) if args.output else None
    with tempfile.TemporaryDirectory() as tmp:
        checked = output or Path(tmp) / f"{source.stem}.toml"
        try:
            checked.write_text(toml_text, encoding="utf-8")
        except OSError as exc:
            error(f"{checked}: {exc.strerror or exc}")
            return EXIT_USAGE
        problems = check_files([checked])
        if output is None:
            sys.stdout.write(toml_text)
    for problem in problems:
        print(problem, file=sys.stderr)
    return EXIT_PROBLEM if problems else EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    """Checklist TOML -> readable Markdown runbook."""
    from dwtui.checklist.loader import ChecklistError, load_checklist
    from dwtui.markdown_io.export import export_markdown

    source = Path(args.file)
    if _would_replace(args):
        return EXIT_PROBLEM
    try:
        load_checklist(source)
        data = tomli.loads(source.read_text(encoding="utf-8"))
    except OSError as exc:
        error(f"{source}: {exc.strerror or exc}")
        return EXIT_USAGE
    except ChecklistError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_PROBLEM
    markdown = export_markdown(data)
    if not args.output:
        sys.stdout.write(markdown)
        return EXIT_OK
    try:
        Path(args.output).write_text(markdown, encoding="utf-8")
    except OSError as exc:
        error(f"{args.output}: {exc.strerror or exc}")
        return EXIT_USAGE
    return EXIT_OK


def _would_replace(args: argparse.Namespace) -> bool:
    """`-o FILE` names an existing file and `--force` was not given: refused, said in one
    line (a checklist or runbook someone edited by hand is not silently lost)."""
    output = getattr(args, "output", None)
    if not output or getattr(args, "force", False) or not Path(output).exists():
        return False
    error(f"{output} exists; not replaced (--force replaces it)")
    return True
