"""Operator identity: --operator, then $DWTUI_OPERATOR, then user@host."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys

import pytest

from dwtui.session.identity import host_name, operator_name


def test_cli_value_wins_over_environment() -> None:
    assert operator_name("ana", {"DWTUI_OPERATOR": "bo"}) == "ana"


def test_environment_then_user_at_host() -> None:
    assert operator_name(None, {"DWTUI_OPERATOR": "  bo@laptop \n"}) == "bo@laptop"
    assert operator_name(None, {}) == f"{getpass.getuser()}@{host_name()}"
    # blank values fall through instead of recording an empty operator
    assert operator_name("  ", {"DWTUI_OPERATOR": ""}) == f"{getpass.getuser()}@{host_name()}"


def test_control_characters_are_removed() -> None:
    assert operator_name("ana\x1b[31m\nred", {}) == "ana[31mred"


def test_no_user_name_anywhere_still_gives_an_identity() -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("USER", "LOGNAME", "LNAME", "USERNAME", "DWTUI_OPERATOR")
    }
    code = (
        "import getpass, pwd\n"
        "def boom(*a): raise KeyError('no passwd entry')\n"
        "pwd.getpwuid = boom\n"
        "from dwtui.session.identity import operator_name\n"
        "print(operator_name(None))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip() == f"uid{os.getuid()}@{host_name()}"


@pytest.mark.parametrize("name", ["ana", "bo@laptop", "Łukasz Ż."])
def test_plain_names_pass_unchanged(name: str) -> None:
    assert operator_name(name, {}) == name
