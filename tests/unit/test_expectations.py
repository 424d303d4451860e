"""`expect` evaluation: comparisons, one-of lists, JSON paths, text keys, readable messages."""

from __future__ import annotations

import pytest

from dwtui.expectations import compare, describe_expected, evaluate, summarize, with_defaults


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        (">= 1", 1, True),
        (">= 1", 0, False),
        ("== 0", 0, True),
        ("== 0", "0", True),
        ("< 500", 499.9, True),
        ("< 500", 500, False),
        ("!= 0", 3, True),
        ("!= 0", 0, False),
        ("> 0.1", 0.2, True),
        ("<= 20", 20, True),
        (">= 1", None, False),
        (">= 1", "abc", False),
        (">= 2", [1, 2], True),  # a list compares by its length
        (201, 201, True),
        (201, 500, False),
        ("present", "present", True),
        ([200, 201], 201, True),
        ([200, 201], 204, False),
        (True, True, True),
        ("true", True, True),
        (3, [1, 2, 3], True),
    ],
)
def test_compare(expected: object, actual: object, ok: bool) -> None:
    assert compare(expected, actual) is ok


def test_status_message_reads_like_a_diff() -> None:
    failures = evaluate({"status": 201}, {"status": 500})
    assert [f.message for f in failures] == ["expected status 201, got 500"]
    assert evaluate({"status": [200, 201]}, {"status": 500})[0].message == (
        "expected status one of 200, 201, got 500"
    )
    assert evaluate({"latency_ms": "< 500"}, {"latency_ms": 731})[0].message == (
        "expected latency_ms < 500, got 731"
    )


def test_json_paths_show_path_expected_and_actual() -> None:
    body = {"data": [{"id": 9, "role": "player"}], "status": "ok"}
    failures = evaluate({"json": {"data.0.id": 7, "status": "ok", "data.0.x": 1}}, {"json": body})
    assert [f.message for f in failures] == [
        "json data.0.id: expected 7, got 9",
        "json data.0.x: expected 1, got nothing (not present)",
    ]
    assert failures[0].key == "json.data.0.id"
    assert evaluate({"json": {"data.0.role": "player"}}, {"json": body}) == []


def test_nested_tables_matches_and_columns() -> None:
    observed = {"matches": {"dual_write_scheduled": 3}, "columns": {"role": "captain"}}
    expect = {"matches": {"dual_write_scheduled": ">= 5"}, "columns": {"role": "captain"}}
    failures = evaluate(expect, observed)
    assert [f.message for f in failures] == ["matches dual_write_scheduled: expected >= 5, got 3"]


def test_text_keys() -> None:
    observed = {"output": "hello world\nstatus: ok\n", "exit_code": 0}
    assert (
        evaluate({"contains": "world", "not_contains": "error", "regex": "^status: ok$"}, observed)
        == []
    )
    failures = evaluate(
        {"contains": ["world", "mars"], "not_contains": "hello", "regex": "^x"}, observed
    )
    assert [f.message for f in failures] == [
        "output does not contain 'mars'",
        "output contains 'hello'",
        "output does not match /^x/",
    ]
    assert evaluate({"regex": "("}, observed)[0].message.startswith("bad regex")


def test_a_key_not_observed_fails() -> None:
    assert [f.message for f in evaluate({"scalar": 1}, {})] == ["scalar: not observed"]
    assert [f.message for f in evaluate({"contains": "x"}, {})] == ["contains: output not observed"]


def test_exit_code_message_shows_the_last_output_line() -> None:
    failures = evaluate({"exit_code": 0}, {"exit_code": 2, "output": "a\nboom: no such file\n"})
    assert failures[0].message == "expected exit_code 0, got 2 (boom: no such file)"


def test_defaults_and_summary() -> None:
    assert with_defaults("shell", {}) == {"exit_code": 0}
    assert with_defaults("shell", {"exit_code": 3}) == {"exit_code": 3}
    assert with_defaults("http", {}) == {}
    failures = evaluate({"status": 1, "rows": 2}, {"status": 0, "rows": 0})
    assert summarize(failures) == "expected status 1, got 0 (+1 more)"
    assert summarize([]) == ""
    assert describe_expected(" >=  1") == ">= 1"
