"""Runs last: no secret value used by the suite may appear in any session or log file.

Every file under `$DWTUI_TEST_ROOT` (set by conftest; pytest's tmp_path dirs live below it)
that is a session/log output — inside a `sessions`, `logs` or `artifacts` directory, or a
`*.log` / `*.toml.bak` file — is searched for every secret registered through
`secret_fixtures` (raw, URL-encoded and JSON-escaped forms) and for the marker every test
secret carries. The file is named `test_zz_*` so pytest collects it after all the others.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from dwtui.actions.http import HttpAction
from dwtui.actions.notify import NotifyAction
from dwtui.secrets import secret_forms
from tests.helpers.action_fixtures import make_context
from tests.helpers.http_fixtures import RecordingServer, Request, Response
from tests.helpers.secret_fixtures import SECRET_MARKER, make_secret, used_secrets

OUTPUT_DIRS = frozenset({"sessions", "logs", "artifacts"})


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
        ctx, _ = make_context(session, "http", {"url": f"{server.url}/echo?t={token}",
                                                "bearer": token},
                              step_id="echo", secrets={"api_token": token})
        assert HttpAction().run(ctx).ok
        ctx, _ = make_context(session, "notify", {"webhook": f"{server.url}/hook/{hook}",
                                                  "text": f"leak? {token}"},
                              step_id="notify", secrets={"api_token": token, "hook": hook})
        assert NotifyAction().run(ctx).ok
    finally:
        server.close()
    assert len(output_files(session)) == 2


def test_no_secret_reached_any_session_or_log_file(test_root: Path) -> None:
    files = output_files(test_root)
    secrets = used_secrets()
    assert files, f"nothing to scan under {test_root}"
    assert secrets
    found = leaks(files, secrets)
    assert found == [], f"{len(found)} secret(s) on disk:\n" + "\n".join(found[:20])
