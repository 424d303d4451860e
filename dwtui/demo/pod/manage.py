#!/usr/bin/env python
"""The stand-in's `manage.py`: `shell -c CODE` and `validate_vnext_migration --format json`.

Run by the fake cluster's exec handler with the pod's environment; the database is the one
named by `DATABASE_URL` in that environment.
"""

from __future__ import annotations

import json
import os
import sys


def _shell(argv: list[str]) -> int:
    if "-c" not in argv or argv.index("-c") + 1 >= len(argv):
        print("manage.py shell: only `shell -c CODE` is supported here", file=sys.stderr)
        return 2
    code = argv[argv.index("-c") + 1]
    # Django's `shell -c` runs the operator's code as-is; so does the stand-in.
    exec(compile(code, "<shell>", "exec"), {"__name__": "__main__"})  # noqa: S102
    return 0


def _validate(argv: list[str]) -> int:
    from dwtui.demo.validation import build_report

    if "--format" in argv and argv[argv.index("--format") + 1 :][:1] != ["json"]:
        print("validate_vnext_migration: only --format json is supported", file=sys.stderr)
        return 2
    dsn = os.environ.get("DATABASE_URL", "")
    if not dsn:
        print("validate_vnext_migration: DATABASE_URL is not set", file=sys.stderr)
        return 1
    print(json.dumps(build_report(dsn, os.environ), indent=2))
    return 0


def main(argv: list[str]) -> int:
    """Dispatch a management command."""
    commands = {"shell": _shell, "validate_vnext_migration": _validate}
    if not argv or argv[0] not in commands:
        name = argv[0] if argv else ""
        print(f"Unknown command: {name!r}. Available: {', '.join(commands)}", file=sys.stderr)
        return 1
    return commands[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
