"""The secret scan: the scanner finds what is planted, and a leak fails the run it happens in.

The scan itself runs when the suite ends (`tests/helpers/secret_scan.py`, loaded by conftest),
so it covers every test whatever order they ran in; these tests prove it can fail.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path

import pytest

from dwtui.actions.http import HttpAction
from dwtui.actions.notify import NotifyAction
from tests.helpers.action_fixtures import make_context
from tests.helpers.http_fixtures import RecordingServer, Request, Response
from tests.helpers.paths import REPO_ROOT
from tests.helpers.secret_fixtures import SECRET_MARKER, make_secret
from tests.helpers.secret_scan import leaks, output_files


def test_the_scanner_finds_a_planted_secret() -> None:
    secret = make_secret("planted")
    # Outside the suite root on purpose: this file leaks by design.
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        log = root / "sessions" / "abc" / "logs" / "step.1.log"
        log.parent.mkdir(parents=True)
        log.write_text("Authorization: Bearer ••••\n", encoding="utf-8")
        (root / "input.env").write_text(f"TOKEN={secret}\n", encoding="utf-8")
        assert output_files(root) == [log]  # inputs written by a test are not outputs
        assert leaks([log], [secret]) == []
        log.write_text(f"Authorization: Bearer {secret}\n", encoding="utf-8")
        assert leaks(output_files(root), [secret]) == [
            f"{log}: {SECRET_MARKER}",
            f"{log}: {secret}",
        ]


def test_actions_write_masked_logs_into_the_suite_root(test_root: Path) -> None:
    """A probe that always gives the final scan something to scan, even run alone."""
    token = make_secret("probe-token")
    hook = make_secret("probe-hook")
    server = RecordingServer()

    def echo(request: Request, match: re.Match[str]) -> Response:
        return Response(200, {"headers": dict(request.headers), "body": request.body.decode()})

    server.add("GET", "/echo", echo)
    server.add("POST", "/hook/.*", echo)
    try:
        session = test_root / "sessions" / "secret-scan-probe"
        ctx, _ = make_context(
            session,
            "http",
            {"url": f"{server.url}/echo?t={token}", "bearer": token},
            step_id="echo",
            secrets={"api_token": token},
        )
        assert HttpAction().run(ctx).ok
        ctx, _ = make_context(
            session,
            "notify",
            {"webhook": f"{server.url}/hook/{hook}", "text": f"leak? {token}"},
            step_id="notify",
            secrets={"api_token": token, "hook": hook},
        )
        assert NotifyAction().run(ctx).ok
    finally:
        server.close()
    assert len(output_files(session)) == 2


LEAKY_TEST = """
import os
from pathlib import Path

import pytest

from tests.helpers.secret_fixtures import make_secret


def test_writes_a_step_log():
    log = Path(os.environ["DWTUI_TEST_ROOT"]) / "sessions" / "s" / "logs" / "step.1.log"
    log.parent.mkdir(parents=True)
    log.write_text("Authorization: Bearer " + {token})
"""


@pytest.mark.parametrize(("token", "failed"), [('make_secret("leak")', True), ('"****"', False)])
def test_a_leak_anywhere_in_a_run_fails_that_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, token: str, failed: bool
) -> None:
    # Outside the suite root on purpose: the inner run may leak by design.
    with tempfile.TemporaryDirectory() as outside:
        monkeypatch.setenv("DWTUI_TEST_ROOT", outside)
        monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
        pytester.makeconftest('pytest_plugins = ["tests.helpers.secret_scan"]')
        pytester.makepyfile(test_leaky=LEAKY_TEST.format(token=token))
        result = pytester.runpytest_subprocess("-p", "no:randomly", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    output = result.stdout.str()
    if failed:
        assert result.ret == pytest.ExitCode.TESTS_FAILED
        assert "secret scan" in output and f"step.1.log: {SECRET_MARKER}" in output
    else:
        assert result.ret == pytest.ExitCode.OK
        assert "secret scan" not in output


REGISTERS = """
from tests.helpers.secret_fixtures import register_secret


def test_registers_a_secret_without_the_marker():
    register_secret("plain-value-registered-on-one-worker")
"""

WRITES_LATER = """
import os
import time
from pathlib import Path


def test_writes_it_after_the_other_worker_is_done():
    time.sleep(1)
    log = Path(os.environ["DWTUI_TEST_ROOT"]) / "sessions" / "s" / "logs" / "step.1.log"
    log.parent.mkdir(parents=True)
    log.write_text("token=plain-value-registered-on-one-worker")
"""


def test_under_xdist_the_controller_scans_for_every_workers_secrets(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two workers: one registers a secret (no marker), the other writes it later; the one
    scan at the end, in the controller, knows the first worker's secrets and sees the file."""
    with tempfile.TemporaryDirectory() as outside:
        monkeypatch.setenv("DWTUI_TEST_ROOT", outside)
        monkeypatch.setenv("PYTHONPATH", str(REPO_ROOT))
        pytester.makeconftest('pytest_plugins = ["tests.helpers.secret_scan"]')
        pytester.makepyfile(test_registers=REGISTERS, test_writes=WRITES_LATER)
        result = pytester.runpytest_subprocess(
            "-p", "no:randomly", "-p", "no:cacheprovider", "-n", "2", "--dist", "loadfile"
        )
    result.assert_outcomes(passed=2)
    output = result.stdout.str()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert "step.1.log: plain-value-registered-on-one-worker" in output
    assert output.count("secret(s) on disk after the run") == 1
