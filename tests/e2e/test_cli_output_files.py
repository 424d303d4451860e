"""Files the command line writes with `-o`: never a directory made up from a typo, never an
existing file replaced without `--force`."""

from __future__ import annotations

from pathlib import Path

from tests.helpers.cli_fixtures import cli
from tests.helpers.small_session import small_session


def test_report_into_a_missing_directory_is_refused_and_creates_nothing(
    tmp_path: Path,
) -> None:
    made = small_session(tmp_path)
    target = tmp_path / "no-such-dir" / "deeper" / "report.md"
    done = cli("report", made.session_id, "-o", target, cwd=made.cwd, env=made.env)
    assert done.returncode == 2
    assert done.stderr == (f"dwtui report: cannot write {target}: no directory {target.parent}\n")
    assert not (tmp_path / "no-such-dir").exists()
    written = cli("report", made.session_id, "-o", tmp_path / "r.md", cwd=made.cwd, env=made.env)
    assert written.returncode == 0, written.stderr
    assert (tmp_path / "r.md").read_text(encoding="utf-8").startswith("# Small")
