"""Suite-wide setup: every file any test writes lives under one root.

`DWTUI_TEST_ROOT` is that root (pytest's `tmp_path` directories included), so the secret scan
(`tests/helpers/secret_scan.py`, run when the suite ends) can search everything the run wrote
for secret values, and no test ever touches the repository's own `sessions/`.

Under pytest-xdist the workers inherit the controller's root (set here before they start) and
each gets its own default sessions and cache directories below it (`<root>/gw0/...`), so two
workers never share one; the controller scans the whole root once they are all done.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

pytest_plugins = ["pytester", "tests.helpers.secret_scan"]

_ROOT = Path(os.environ.get("DWTUI_TEST_ROOT") or tempfile.mkdtemp(prefix="dwtui-tests-"))
_ROOT.mkdir(parents=True, exist_ok=True)
os.environ["DWTUI_TEST_ROOT"] = str(_ROOT)
#: This process's own corner of the root: the root itself, or `<root>/gwN` in an xdist worker.
_OWN = _ROOT / os.environ["PYTEST_XDIST_WORKER"] if "PYTEST_XDIST_WORKER" in os.environ else _ROOT
os.environ["DWTUI_SESSIONS_DIR"] = str(_OWN / "sessions")
os.environ["DWTUI_CACHE_DIR"] = str(_OWN / "cache")  # the load-time SQL verdicts
os.environ.setdefault("DWTUI_OPERATOR", "tester@ci")
# The `python -m dwtui ...` subprocesses (and probes) share one byte-code cache under the root:
# with PYTHONDONTWRITEBYTECODE each compiled again every dwtui module it imports (~0.6 s of a
# 0.9 s start). Outside the repository, so it is never littered.
os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
os.environ.setdefault("PYTHONPYCACHEPREFIX", str(_ROOT / "pycache"))


def pytest_configure(config: pytest.Config) -> None:
    """Put pytest's temporary directories under the suite root; track every secret used."""
    if not config.option.basetemp:
        config.option.basetemp = str(_ROOT / "pytest")
    # Every value any test hands to a Masker is remembered, so the scan at the end can prove
    # that none of them reached a file the suite wrote.
    from tests.helpers.secret_fixtures import install_masker_tracking

    install_masker_tracking()


@pytest.fixture(scope="session")
def test_root() -> Path:
    """The directory under which every test writes."""
    return _ROOT


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    """The order seed (pytest-randomly), so a failure in a random order can be run again."""
    seed = getattr(config.option, "randomly_seed", None)
    if config.pluginmanager.has_plugin("randomly") and isinstance(seed, int):
        terminalreporter.write_line(
            f"random order seed {seed}: again with `-p randomly --randomly-seed={seed}`, "
            "in file order with `-p no:randomly`"
        )
