"""The suite-end secret scan: no secret a test used may be in a session, log or artifact file.

A plugin (loaded by tests/conftest.py): when the run ends, every output file under
`$DWTUI_TEST_ROOT` (pytest's tmp_path directories live below it) is searched for every secret
registered through `secret_fixtures` (raw, URL-encoded and JSON-escaped forms) and for the
marker every test secret carries. A leak fails the run whatever order the tests ran in, and
the leaks are listed in the summary. Output is a file inside a `sessions`, `logs` or
`artifacts` directory, or a `*.log` / `*.toml.bak` file.

Under pytest-xdist (`-n 2`, as `scripts/test.sh` runs the suite) every worker shares the root
and hands the secrets it registered to the controller (`workeroutput`); only the controller
scans, once, after every worker has finished, for the secrets of all of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import pytest

from dwtui.secrets import secret_forms
from tests.helpers.secret_fixtures import SECRET_MARKER, used_secrets

OUTPUT_DIRS = frozenset({"sessions", "logs", "artifacts"})
_LEAKS = pytest.StashKey[list[str]]()
_WORKER_SECRETS = pytest.StashKey[set[str]]()
#: The key of a worker's secrets in its `workeroutput` (sent to the controller when it ends).
WORKEROUTPUT_KEY = "dwtui_used_secrets"


def output_files(root: Path) -> list[Path]:
    """Files under `root` that dwtui wrote as session/log/artifact output."""
    found = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        parents = set(path.relative_to(root).parts[:-1])
        if parents & OUTPUT_DIRS or path.suffix == ".log" or path.name.endswith(".toml.bak"):
            found.append(path)
    return found


def leaks(files: Iterable[Path], secrets: Iterable[str]) -> list[str]:
    """`path: form` for every secret form (or the test-secret marker) found in a file."""
    forms = {form for value in secrets for form in secret_forms(value)} | {SECRET_MARKER}
    hits = []
    for path in files:
        text = path.read_bytes().decode("utf-8", "replace")
        hits += [f"{path}: {form}" for form in sorted(forms) if form in text]
    return hits


def _is_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """Controller (xdist): remember the secrets a worker used, for the one scan at the end."""
    output = getattr(node, "workeroutput", None) or {}
    config = getattr(node, "config", None)
    if config is not None:
        config.stash.setdefault(_WORKER_SECRETS, set()).update(output.get(WORKEROUTPUT_KEY, ()))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Scan what this run wrote; a leak fails the run. A worker only reports its secrets."""
    config = session.config
    if _is_worker(config):
        config.workeroutput[WORKEROUTPUT_KEY] = sorted(used_secrets())  # type: ignore[attr-defined]
        return
    if config.option.collectonly or not session.testscollected:
        return
    root = Path(os.environ["DWTUI_TEST_ROOT"])
    found = leaks(output_files(root), used_secrets() | config.stash.get(_WORKER_SECRETS, set()))
    session.config.stash[_LEAKS] = found
    if found:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    found = terminalreporter.config.stash.get(_LEAKS, [])
    if found:
        terminalreporter.section("secret scan", red=True)
        terminalreporter.line(f"{len(found)} secret(s) on disk after the run:")
        for hit in found[:20]:
            terminalreporter.line(f"  {hit}")
